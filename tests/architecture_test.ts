import assert from "node:assert/strict";
import {
  buildGraph,
  checkLayers,
  importSpecifiers,
  LAYERS,
  readSources,
} from "./support/import_graph.ts";
import { ROOT } from "./support/helpers.ts";

const LIB = `${ROOT}lib`;

Deno.test("architecture: lib/ imports point down the layers, with no circle anywhere", async () => {
  const graph = buildGraph(await readSources(LIB));
  assert.ok(graph.size > 40, `expected the whole lib/, read ${graph.size} modules`);
  assert.deepEqual(checkLayers(graph), []);
});

Deno.test("architecture: every folder of lib/ is a layer and opens with a README", async () => {
  const layers = LAYERS.flat();
  for await (const entry of Deno.readDir(LIB)) {
    if (!entry.isDirectory) {
      assert.fail(`lib/${entry.name} stands outside the layers: move it into a folder`);
    }
    assert.ok(layers.includes(entry.name), `lib/${entry.name} is not a layer`);
    const readme = await Deno.readTextFile(`${LIB}/${entry.name}/README.md`);
    assert.match(readme, /may import/i, `lib/${entry.name}/README.md says what it may import`);
  }
});

Deno.test("architecture: no module of lib/ is over 400 lines", async () => {
  for (const [path, text] of await readSources(LIB)) {
    const lines = text.split("\n").length;
    assert.ok(lines <= 400, `lib/${path} has ${lines} lines: split it by concern`);
  }
});

Deno.test("architecture checker: a planted circle is caught", () => {
  const graph = buildGraph(
    new Map([
      ["store/a.ts", 'import { b } from "./b.ts";'],
      ["store/b.ts", 'export { c } from "./c.ts";'],
      ["store/c.ts", 'const a = await import("./a.ts");'],
    ]),
  );
  const found = checkLayers(graph);
  assert.equal(found.length, 1);
  assert.equal(found[0].kind, "circle");
  assert.deepEqual(found[0].modules, ["store/a.ts", "store/b.ts", "store/c.ts", "store/a.ts"]);
});

Deno.test("architecture checker: a planted upward or sideways import is caught", () => {
  const graph = buildGraph(
    new Map([
      ["store/file_store.ts", 'import type { CliIo } from "../cli/io.ts";'],
      ["cli/io.ts", ""],
      ["issuer/issuer.ts", 'import { serveHttp } from "../loopback/http_server.ts";'],
      ["loopback/http_server.ts", 'import { x } from "../base/errors.ts";'],
      ["base/errors.ts", ""],
    ]),
  );
  assert.deepEqual(checkLayers(graph), [
    { kind: "upward", modules: ["store/file_store.ts", "cli/io.ts"] },
    { kind: "sideways", modules: ["issuer/issuer.ts", "loopback/http_server.ts"] },
  ]);
});

Deno.test("architecture checker: imports inside doc examples and comments do not count", () => {
  const source = [
    "/**",
    " * @example",
    " * ```ts",
    ' * import { runCli } from "../cli/cli.ts";',
    " * ```",
    " */",
    '// import { x } from "../cli/io.ts";',
    'import { LoginError } from "../base/errors.ts";',
    'const url = "https://example.com/x"; // a URL is not a comment start',
  ].join("\n");
  assert.deepEqual(importSpecifiers(source), ["../base/errors.ts"]);
});
