import assert from "node:assert/strict";
import {
  buildGraph,
  checkLayers,
  importSpecifiers,
  LAYERS,
  loopbackWording,
  modulesImportedByTests,
  moduleState,
  modulesWithCode,
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

Deno.test("architecture: no module-level mutable state in lib/ (no top-level let, var, Map or Set)", async () => {
  assert.deepEqual(moduleState(await readSources(LIB)), []);
});

Deno.test("architecture checker: a planted module-level let, Map or Set is caught", () => {
  const found = moduleState(
    new Map([
      [
        "store/a.ts",
        "/** let x = 1 in a comment */\nlet cache = 0;\nfunction f() {\n  let ok = 1;\n}",
      ],
      ["store/b.ts", "export const seen = new Map<string, number>();\nconst ok = 1;"],
    ]),
  );
  assert.deepEqual(found, [
    "store/a.ts:2: let cache = 0;",
    "store/b.ts:1: export const seen = new Map<string, number>();",
  ]);
});

Deno.test("architecture: loopback/ uses none of the sign-in's error kinds or wording", async () => {
  assert.deepEqual(loopbackWording(await readSources(LIB)), []);
});

Deno.test("architecture checker: loopback/ importing LoginError or invocation.ts is caught", () => {
  const found = loopbackWording(
    new Map([
      ["loopback/a.ts", 'import { errorText, LoginError } from "../base/errors.ts";'],
      ["loopback/b.ts", 'import { commandLine } from "../base/invocation.ts";'],
      ["signin/c.ts", 'import { LoginError } from "../base/errors.ts";'],
    ]),
  );
  assert.deepEqual(found, [
    "loopback/a.ts imports LoginError",
    "loopback/b.ts imports base/invocation.ts",
  ]);
});

Deno.test("architecture: every lib/ module that exports a function or class is imported by a test", async () => {
  const tested = modulesImportedByTests(await readSources(`${ROOT}tests`));
  const untested = modulesWithCode(await readSources(LIB)).filter((m) => !tested.has(m));
  assert.deepEqual(untested, [], `lib/ modules no test file imports: ${untested.join(", ")}`);
});

Deno.test("architecture checker: a module only a test's script imports counts; one nobody imports does not", () => {
  const tested = modulesImportedByTests(
    new Map([
      ["cli/a_test.ts", "const driver = `${ROOT}tests/support/driver.ts`;"],
      ["support/driver.ts", 'import { a } from "../../lib/cli/a.ts";'],
      ["support/unused.ts", 'import { b } from "../../lib/cli/b.ts";'],
    ]),
  );
  assert.deepEqual([...tested], ["cli/a.ts"]);
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
