/**
 * The real Codex CLI (`@openai/codex`, pinned in tests/package.json) for the interop tests: the
 * native binary npm installed for this platform under tests/node_modules, run with a throwaway
 * `HOME` and the overrides that keep it on loopback. When the binary cannot be had here,
 * `CODEX_MISSING` says why, so the tests report themselves skipped, never passed.
 *
 * @module
 */

import testTools from "../package.json" with { type: "json" };
import { ROOT } from "./helpers.ts";

/** The Codex version tests/package.json pins (the one tests/fixtures/codex-surface/ describes). */
export const CODEX_PINNED: string = testTools.devDependencies["@openai/codex"];

const PACKAGE = `${ROOT}tests/node_modules/@openai/codex`;

/** The version of the Codex package installed in tests/node_modules, or undefined. */
export const CODEX_INSTALLED: string | undefined = await Deno.readTextFile(
  `${PACKAGE}/package.json`,
).then((text) => {
  const version: unknown = JSON.parse(text).version;
  return typeof version === "string" ? version : undefined;
}, () => undefined);

/** The version the tests run against (and name in their titles): the installed one. */
export const CODEX_VERSION: string = CODEX_INSTALLED ?? CODEX_PINNED;

const TRIPLES: Record<string, [string, string]> = {
  "linux-x86_64": ["codex-linux-x64", "x86_64-unknown-linux-musl"],
  "linux-aarch64": ["codex-linux-arm64", "aarch64-unknown-linux-musl"],
  "darwin-x86_64": ["codex-darwin-x64", "x86_64-apple-darwin"],
  "darwin-aarch64": ["codex-darwin-arm64", "aarch64-apple-darwin"],
};

/**
 * Where npm puts the native binary of an `@openai/codex` install whose `node_modules` is
 * `nodeModules`, for this platform (undefined: a platform the package ships no binary for).
 */
export function nativeBinaryIn(nodeModules: string): string | undefined {
  const triple = TRIPLES[`${Deno.build.os}-${Deno.build.arch}`];
  if (!triple) return undefined;
  return `${nodeModules}/@openai/${triple[0]}/vendor/${triple[1]}/bin/codex`;
}

const binaryPath = () => nativeBinaryIn(`${ROOT}tests/node_modules`);

/** The binary's path, when it is installed for this platform. */
export const CODEX_BIN: string | undefined = await (async () => {
  const path = binaryPath();
  if (!path) return undefined;
  return await Deno.stat(path).then((s) => (s.isFile ? path : undefined), () => undefined);
})();

/** Why the real Codex cannot run here (skip reason), or undefined. */
export const CODEX_MISSING: string | undefined = CODEX_BIN
  ? undefined
  : binaryPath()
  ? `the @openai/codex ${CODEX_PINNED} binary is not installed (make test-tools installs it)`
  : `@openai/codex ships no binary the tests know for ${Deno.build.os}-${Deno.build.arch}`;

/** What a finished Codex run printed. */
export interface CodexRun {
  code: number;
  stdout: string;
  /** stderr without Codex's warning about helper binaries under a temporary directory. */
  stderr: string;
}

/** The environment every Codex run gets: its own HOME and codex home, nothing inherited. */
export function codexEnv(
  codexHome: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: codexHome,
    CODEX_HOME: codexHome,
    NO_COLOR: "1",
    ...extra,
  };
}

function clean(text: string): string {
  return text.split("\n").filter((l) => !l.startsWith("WARNING: proceeding")).join("\n");
}

/** Run the real Codex to completion (stdin text optional). */
export async function runCodex(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<CodexRun> {
  if (!CODEX_BIN) throw new Error(CODEX_MISSING);
  const child = new Deno.Command(CODEX_BIN, {
    args,
    env,
    clearEnv: true,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: clean(decode(out.stderr)) };
}

/**
 * Start the real Codex in the background (for `codex exec`, which refreshes first and then
 * tries a model offline); the caller kills it once it has seen what it waits for.
 */
export function spawnCodex(args: string[], env: Record<string, string>): Deno.ChildProcess {
  if (!CODEX_BIN) throw new Error(CODEX_MISSING);
  return new Deno.Command(CODEX_BIN, {
    args,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Stop a background Codex (and wait for it). */
export async function stopCodex(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // already gone
  }
  await child.status;
}
