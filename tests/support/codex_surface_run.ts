/**
 * Running a Codex binary for a surface snapshot (codex_surface.ts): each run in its own codex
 * home under the snapshot's temporary directory, with a fixed environment and umask, its output
 * masked (surface_format.ts); and how the snapshot records what was left and what was sent.
 *
 * @module
 */

import type { MappedIssuer } from "./private_network.ts";
import { type Json, type JsonObject, keyFormats, mask, maskedParams } from "./surface_format.ts";

/** One Codex binary and where it runs. */
export interface Context {
  bin: string;
  mapped: MappedIssuer;
  /** A private temporary directory for the homes and files of this snapshot. */
  dir: string;
  /** Run-specific paths and how the snapshot names them. */
  paths: Record<string, string>;
}

const TIMEOUT_MS = 60_000;

/** Codex's own note about helper binaries under a temporary directory, which is not sign-in. */
function clean(text: string): string {
  return text.split("\n").filter((l) => !l.startsWith("WARNING: proceeding"))
    .join("\n").trim();
}

function env(
  ctx: Context,
  home: string,
  extra: Record<string, string> = {},
) {
  return {
    PATH: "/usr/bin:/bin",
    HOME: home,
    CODEX_HOME: home,
    NO_COLOR: "1",
    BROWSER: "true",
    CODEX_CA_CERTIFICATE: ctx.mapped.caFile,
    // Codex's temporary directory is the one the homes are in, whatever the caller's TMPDIR
    // (under it Codex makes no helper binaries, so the homes hold the same files everywhere).
    TMPDIR: ctx.dir.slice(0, ctx.dir.lastIndexOf("/")) || "/",
    ...extra,
  };
}

/** A running Codex: what it printed so far, and its end. */
export interface CodexChild {
  child: Deno.ChildProcess;
  printed: { stdout: string; stderr: string };
  /** stdout and stderr so far, one after the other. */
  output(): string;
  /** Its status, once it has ended and its output is read. */
  finished(): Promise<Deno.CommandStatus>;
}

/** Codex as a child, under umask 022 (the modes it leaves then do not depend on the caller's). */
export function spawn(
  ctx: Context,
  args: string[],
  home: string,
  extra: Record<string, string> = {},
): CodexChild {
  const child = new Deno.Command("sh", {
    args: ["-c", 'umask 022 && exec "$0" "$@"', ctx.bin, ...args],
    env: env(ctx, home, extra),
    clearEnv: true,
    cwd: home,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const printed = { stdout: "", stderr: "" };
  const read = async (
    stream: ReadableStream<Uint8Array>,
    into: "stdout" | "stderr",
  ) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      printed[into] += decoder.decode(chunk, { stream: true });
    }
  };
  const done = Promise.all([
    read(child.stdout, "stdout"),
    read(child.stderr, "stderr"),
  ]);
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  const status = child.status.finally(() => clearTimeout(timer));
  return {
    child,
    printed,
    output: () => printed.stdout + printed.stderr,
    finished: async () => ((await done), await status),
  };
}

/** Run Codex to its end: exit code, what it printed (masked), and on which stream. */
export async function run(
  ctx: Context,
  args: string[],
  home: string,
  extra: Record<string, string> = {},
  stdin = "",
): Promise<{ exit: number; text: string; on: string }> {
  const c = spawn(ctx, args, home, extra);
  const writer = c.child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin)).catch(() => {});
  await writer.close().catch(() => {});
  const status = await c.finished();
  const out = clean(c.printed.stdout);
  const err = clean(c.printed.stderr);
  const on = out && err ? "stdout and stderr" : out ? "stdout" : err ? "stderr" : "nothing";
  return {
    exit: status.code,
    text: mask([out, err].filter((t) => t).join("\n"), ctx.paths),
    on,
  };
}

/** A fresh codex home for one run, named `name` in the snapshot. */
export async function newHome(ctx: Context, name: string): Promise<string> {
  const home = await Deno.makeTempDir({ dir: ctx.dir, prefix: "home-" });
  ctx.paths[home] = `<codex home: ${name}>`;
  return home;
}

/** Poll `get` until it gives a value (at most a minute). */
export async function until<T>(
  what: string,
  get: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    const value = await get();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Codex's own state databases (`state_5.sqlite` and its journal): not the sign-in's, and
 * `codex exec` writes them in the background, at its own pace (present in some runs only).
 */
const STATE_DB = /^state_\d+\.sqlite(-journal|-wal|-shm)?$/;

/** The codex home's entries and their modes (`600`, `755/` for a directory). */
async function modes(home: string): Promise<JsonObject> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(home)) {
    if (!STATE_DB.test(entry.name)) names.push(entry.name);
  }
  const out: JsonObject = {};
  for (const name of names.sort()) {
    const st = await Deno.lstat(`${home}/${name}`);
    out[name] = `${((st.mode ?? 0) & 0o777).toString(8)}${st.isDirectory ? "/" : ""}`;
  }
  return out;
}

/** auth.json's key paths and value formats, and the home's modes. */
export async function storedShape(
  ctx: Context,
  home: string,
): Promise<JsonObject> {
  const text = await Deno.readTextFile(`${home}/auth.json`).catch(() => undefined);
  return {
    "auth.json": text === undefined ? "(absent)" : keyFormats(JSON.parse(text), ctx.paths),
    "file modes": await modes(home),
  };
}

/** A request as the snapshot records it. */
export type RecordedCall = {
  method: string;
  path: string;
  "content type": string;
  parameters: string[];
};

/** The issuer's requests from index `from` on, as the snapshot records each. */
export function requestsSince(
  ctx: Context,
  from: number,
  keep: (path: string) => boolean = () => true,
): RecordedCall[] {
  return ctx.mapped.issuer.requests.slice(from).filter((r) => keep(r.path)).map(
    (r) => ({
      method: r.method,
      path: r.path,
      "content type": r.contentType || "(none)",
      parameters: maskedParams(r.params, ctx.paths),
    }),
  );
}

/** The first request of one grant type, or "(not sent)". */
export function grant(
  requests: RecordedCall[],
  type: string,
): Json {
  return requests.find((r) => r.parameters.includes(`grant_type=${type}`)) ??
    "(not sent)";
}

/** The authorize URL: endpoint, parameters in order (masked), redirect_uri. */
export function authorizeUrl(ctx: Context, url: string): JsonObject {
  const u = new URL(url);
  return {
    endpoint: `${u.origin}${u.pathname}`,
    parameters: [...u.searchParams].map(([k, v]) => `${k}=${mask(v, ctx.paths)}`),
    redirect_uri: u.searchParams.get("redirect_uri") ?? "(none)",
  };
}

/** The authorize URL in Codex's output. */
export const URL_PATTERN: RegExp = /(https:\/\/auth\.openai\.com\/oauth\/authorize\?\S+)/;
