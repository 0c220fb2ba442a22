/**
 * The import graph of `lib/` and the layer rule it must keep (docs/architecture.md):
 * folders are layers, `cli > signin > issuer | loopback > store > base`; a module imports
 * only from its own folder or from a lower layer, and no import circle exists anywhere.
 *
 * @module
 */

/** The layers of `lib/`, highest first; folders on one rank may not import each other. */
export const LAYERS: readonly (readonly string[])[] = [
  ["cli"],
  ["signin"],
  ["issuer", "loopback"],
  ["store"],
  ["base"],
];

/** One module's imports of other `lib/` modules, as paths relative to `lib/`. */
export type ImportGraph = Map<string, string[]>;

/** What breaks the rule: an import that points up or sideways, or a circle. */
export interface Violation {
  /** `upward`, `sideways` (between two folders of one rank), `unknown_folder`, `circle`. */
  kind: "upward" | "sideways" | "unknown_folder" | "circle";
  /** The importing module, or the modules of the circle in order. */
  modules: string[];
}

/** Block and line comments removed (doc examples import modules only to show them). */
function stripComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/**
 * The relative specifiers a module's code imports: static `import`/`export … from`,
 * side-effect `import "x"`, and dynamic `import("x")` / `typeof import("x")`.
 */
export function importSpecifiers(source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.push(match[1]);
  }
  return found.filter((s) => s.startsWith("./") || s.startsWith("../"));
}

function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const piece of specifier.split("/")) {
    if (piece === ".." && parts.length === 0) return `../${specifier}`; // outside lib/
    if (piece === "..") parts.pop();
    else if (piece !== ".") parts.push(piece);
  }
  return parts.join("/");
}

/** The graph of `sources` (paths relative to `lib/` → their text), `lib/` imports only. */
export function buildGraph(sources: Map<string, string>): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const [path, text] of sources) {
    const targets = importSpecifiers(text).map((s) => resolve(path, s))
      .filter((t) => !t.startsWith(".."));
    graph.set(path, [...new Set(targets)]);
  }
  return graph;
}

/** Every `.ts` file under `dir`, relative to it, with its text. */
export async function readSources(dir: string): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  const walk = async (sub: string) => {
    for await (const entry of Deno.readDir(`${dir}/${sub}`)) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(rel);
      else if (entry.name.endsWith(".ts")) {
        sources.set(rel, await Deno.readTextFile(`${dir}/${rel}`));
      }
    }
  };
  await walk("");
  return sources;
}

function rankOf(path: string): number | undefined {
  const folder = path.split("/")[0];
  const rank = LAYERS.findIndex((names) => names.includes(folder));
  return rank < 0 ? undefined : rank;
}

function circles(graph: ImportGraph): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

/** Every violation of the layer rule in `graph` (empty: the house stands). */
export function checkLayers(graph: ImportGraph): Violation[] {
  const violations: Violation[] = [];
  for (const [from, targets] of graph) {
    const fromRank = rankOf(from);
    if (fromRank === undefined) {
      violations.push({ kind: "unknown_folder", modules: [from] });
      continue;
    }
    for (const to of targets) {
      if (from.split("/")[0] === to.split("/")[0]) continue;
      const toRank = rankOf(to);
      if (toRank === undefined) violations.push({ kind: "unknown_folder", modules: [from, to] });
      else if (toRank < fromRank) violations.push({ kind: "upward", modules: [from, to] });
      else if (toRank === fromRank) violations.push({ kind: "sideways", modules: [from, to] });
    }
  }
  for (const circle of circles(graph)) violations.push({ kind: "circle", modules: circle });
  return violations;
}

/**
 * Module-level mutable state in `sources` (paths → text): a top-level `let` or `var`, or a
 * top-level `const` holding a new Map, Set or array. Each entry: `path:line: text`.
 */
export function moduleState(sources: Map<string, string>): string[] {
  const found: string[] = [];
  const pattern =
    /^(?:export\s+)?(?:(?:let|var)\s|const\s+\w+\s*(?::[^=]+)?=\s*(?:new\s+(?:Map|Set|WeakMap|WeakSet|Array)\b|\[\s*\]))/;
  for (const [path, text] of sources) {
    // Comments blanked, not removed, so that line numbers stay right.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "));
    code.split("\n").forEach((line, i) => {
      if (pattern.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

/** What `loopback/` may not use: the sign-in's error kinds and its wording. */
const SIGN_IN_WORDING = {
  files: ["base/invocation.ts", "base/permissions.ts"],
  names: ["LoginError", "LoginErrorKind", "ERROR_KINDS", "usageError", "timedOut", "interrupted"],
};

/** Each import of the sign-in's error kinds or wording by a `loopback/` module. */
export function loopbackWording(sources: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [path, text] of sources) {
    if (!path.startsWith("loopback/")) continue;
    const code = stripComments(text);
    for (const spec of importSpecifiers(text)) {
      const target = resolve(path, spec);
      if (SIGN_IN_WORDING.files.includes(target)) found.push(`${path} imports ${target}`);
    }
    for (
      const match of code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/g)
    ) {
      const names = match[1].split(",").map((n) =>
        n.replace(/^\s*type\s+/, "").trim().split(/\s/)[0]
      );
      for (const name of names) {
        if (SIGN_IN_WORDING.names.includes(name)) found.push(`${path} imports ${name}`);
      }
    }
  }
  return found;
}

/** The `lib/` modules that export a function or a class. */
export function modulesWithCode(sources: Map<string, string>): string[] {
  return [...sources].filter(([, text]) =>
    /^export\s+(?:async\s+)?(?:function|class)\s/m.test(stripComments(text))
  ).map(([path]) => path).sort();
}

/**
 * The `lib/` modules (paths relative to lib/) that test files import, from `tests` (paths
 * relative to the tests folder → their text), counting the imports of a `tests/support/`
 * script a test names (one it runs as a program: in a terminal, as another user).
 */
export function modulesImportedByTests(tests: Map<string, string>): Set<string> {
  const imported = new Set<string>();
  const add = (path: string, text: string) => {
    for (const spec of importSpecifiers(text)) {
      const target = resolve(`tests/${path}`, spec);
      if (target.startsWith("lib/")) imported.add(target.slice(4));
    }
  };
  for (const [path, text] of tests) {
    if (!path.endsWith("_test.ts")) continue;
    add(path, text);
    // A support script the test runs as a program (in a terminal, as another user) counts.
    for (const [, script] of text.matchAll(/tests\/(support\/[\w/]+\.ts)/g)) {
      const source = tests.get(script);
      if (source !== undefined) add(script, source);
    }
  }
  return imported;
}
