/**
 * Whether a Codex runs on a codex home. A running Codex (the TUI, `codex exec`, `codex
 * app-server`) keeps its SQLite state databases open in the codex home (or in `sqlite_home` /
 * `$CODEX_SQLITE_HOME` when set) for its whole life, and a waiting `codex login` keeps
 * `log/codex-login.log` open; so `lsof -n -w -F pcfn +d DIR` lists them (one directory level: the
 * files directly there). Deno reads `/proc` only under `--allow-all`, which codex-login never asks
 * for: hence a program, under `--allow-run=lsof` (granted where it is installed, by the one
 * permission source `base/grants.ts`). macOS ships `/usr/sbin/lsof` with the same output format.
 *
 * The answer is `none`, `running` (with the processes seen), or `unknown` with the reason
 * (lsof missing or not granted, Windows): never a guess. codex-login itself (`deno`,
 * `codex-login`) and a shell merely sitting in the directory (`cwd`) do not count. Limits: lsof
 * run as a person sees only their own processes, and a Codex in its first moments (before it
 * opens its databases) is not seen.
 *
 * @module
 */

import { type CodexHome, joinPath } from "../store/codex_home.ts";
import type { Settings } from "../store/config.ts";
import { errorText, LoginError } from "../base/errors.ts";
import { grantFlag, readEnv } from "../base/permissions.ts";
import { safeLine } from "../base/terminal_safe.ts";

/** A process with files open in the codex home (or its SQLite home). */
export interface CodexProcess {
  /** Its pid. */
  pid: number;
  /** Its command name, as lsof prints it (`codex`). */
  command: string;
  /** The files it has open there. */
  files: string[];
}

/** Whether a Codex runs on a codex home. */
export type CodexDetection =
  | { state: "none" }
  | { state: "running"; processes: CodexProcess[] }
  | { state: "unknown"; reason: string };

/** What one lsof run gave. */
export type LsofOutput =
  | { kind: "output"; code: number; stdout: string; stderr: string }
  | { kind: "missing" }
  | { kind: "not_granted" }
  | { kind: "failed"; why: string };

/** Runs lsof with `args` (tests pass their own). */
export type LsofRunner = (args: string[]) => Promise<LsofOutput>;

/**
 * lsof itself, when granted (never prompts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runLsof } from "./codex_running.ts";
 * // Doc examples run without --allow-run: said as such, never run.
 * assert.equal((await runLsof(["-v"])).kind, "not_granted");
 * ```
 */
export async function runLsof(args: string[]): Promise<LsofOutput> {
  const granted = await Deno.permissions.query({ name: "run", command: "lsof" })
    .then((s) => s.state === "granted", () => false);
  if (!granted) return { kind: "not_granted" };
  try {
    const out = await new Deno.Command("lsof", { args, stdout: "piped", stderr: "piped" })
      .output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { kind: "output", code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { kind: "missing" };
    return { kind: "failed", why: `lsof could not start: ${errorText(err)}` };
  }
}

/**
 * Commands that are never a Codex: codex-login itself, and lsof (another codex-login's
 * look at the same directory holds it open for a moment).
 */
const NOT_CODEX: readonly string[] = ["deno", "codex-login", "lsof"];

/**
 * The processes in `lsof -F pcfn` output, without our own pid, codex-login's processes, lsof's
 * and entries that are only a working or root directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLsofHolders } from "./codex_running.ts";
 * const out = "p41\ncbash\nfcwd\nn/h\np42\nccodex\nf12\nn/h/state_5.sqlite\np43\ncdeno\nf3\nn/h/x\n";
 * assert.deepEqual(parseLsofHolders(out, 1), [
 *   { pid: 42, command: "codex", files: ["/h/state_5.sqlite"] },
 * ]);
 * ```
 */
export function parseLsofHolders(text: string, ownPid: number): CodexProcess[] {
  const found: CodexProcess[] = [];
  let current: CodexProcess | undefined;
  let fd = "";
  for (const line of text.split("\n")) {
    const value = line.slice(1);
    if (line.startsWith("p")) {
      current = { pid: Number(value), command: "", files: [] };
      found.push(current);
    } else if (line.startsWith("c") && current) {
      current.command = value;
    } else if (line.startsWith("f")) {
      fd = value;
    } else if (line.startsWith("n") && current && fd !== "cwd" && fd !== "rtd") {
      if (!current.files.includes(value)) current.files.push(value);
    }
  }
  return found.filter((p) =>
    p.pid !== ownPid && Number.isInteger(p.pid) && p.files.length > 0 &&
    !NOT_CODEX.includes(p.command)
  );
}

/** How detection is run (tests replace each part). */
export interface DetectOptions {
  /** Runs lsof (default: {@linkcode runLsof}). */
  run?: LsofRunner;
  /** Reads `CODEX_SQLITE_HOME` (default: the environment, without prompting). */
  env?: (name: string) => string | undefined;
  /** The operating system (default `Deno.build.os`). */
  os?: string;
  /** Our pid, never counted (default `Deno.pid`). */
  pid?: number;
}

async function existing(path: string): Promise<string | undefined | "unreadable"> {
  try {
    return (await Deno.stat(path)).isDirectory ? await Deno.realPath(path) : undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    return "unreadable";
  }
}

/** The directories to look in: those that exist, and those we may not even stat. */
async function directories(
  home: CodexHome,
  settings: Settings,
  env: (name: string) => string | undefined,
): Promise<{ known: string[]; unverified: string[] }> {
  const known: string[] = [];
  const unverified: string[] = [];
  const sqlite = settings.sqliteHome ?? env("CODEX_SQLITE_HOME");
  const sqlitePath = sqlite && !/^([\\/]|[A-Za-z]:)/.test(sqlite)
    ? joinPath(home.platform, home.path, sqlite)
    : sqlite;
  for (const dir of [home.path, home.logDir, sqlitePath]) {
    if (!dir) continue;
    const found = await existing(dir);
    if (found === "unreadable") unverified.push(dir);
    else if (found && !known.includes(found)) known.push(found);
  }
  return { known, unverified };
}

/** One lsof run over `dirs`: the processes, or why it could not tell. */
async function look(run: LsofRunner, dirs: string[], pid: number) {
  const out = await run(["-n", "-w", "-F", "pcfn", ...dirs.flatMap((d) => ["+d", d])]);
  if (out.kind === "missing") return "lsof is not installed";
  if (out.kind === "not_granted") {
    return `lsof is not granted (run with ${grantFlag({ name: "run", command: "lsof" })})`;
  }
  if (out.kind === "failed") return out.why;
  // lsof exits 1 when a directory has nothing open in it: an answer, unless it said why.
  if (out.stdout.trim() === "" && (out.code !== 0 && out.stderr.trim() !== "")) {
    return `lsof could not look in ${dirs.join(", ")}`;
  }
  return parseLsofHolders(out.stdout, pid);
}

/**
 * Whether a Codex runs on `home` (and its SQLite home), by lsof.
 *
 * @example Without lsof granted, the answer says so, never "none"
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectCodex } from "./codex_running.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * const detection = await detectCodex(home, {}, { env: () => undefined });
 * assert.equal(detection.state, "unknown");
 * ```
 */
export async function detectCodex(
  home: CodexHome,
  settings: Settings,
  options: DetectOptions = {},
): Promise<CodexDetection> {
  if ((options.os ?? Deno.build.os) === "windows") {
    return { state: "unknown", reason: "codex-login cannot tell on Windows" };
  }
  const run = options.run ?? runLsof;
  const pid = options.pid ?? Deno.pid;
  const { known, unverified } = await directories(
    home,
    settings,
    options.env ?? ((name) => readEnv(name)),
  );
  const processes: CodexProcess[] = [];
  for (const dirs of [known, ...unverified.map((d) => [d])]) {
    if (dirs.length === 0) continue;
    const seen = await look(run, dirs, pid);
    if (typeof seen === "string") return { state: "unknown", reason: seen };
    for (const p of seen) {
      if (!processes.some((q) => q.pid === p.pid)) processes.push(p);
    }
  }
  return processes.length > 0 ? { state: "running", processes } : { state: "none" };
}

/**
 * The processes seen, for a message: `pid 42 (codex), pid 43 (codex)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processList } from "./codex_running.ts";
 * assert.equal(processList([{ pid: 42, command: "codex", files: [] }]), "pid 42 (codex)");
 * ```
 */
export function processList(processes: readonly CodexProcess[]): string {
  return processes.map((p) => `pid ${p.pid} (${safeLine(p.command || "?")})`).join(", ");
}

/**
 * The refusal when a running Codex (or one that may run) stands in the way: what was seen (or
 * why it could not be seen), what it risks (`risk`), and the way forward (`next`).
 */
export function codexRunningError(
  detection: Exclude<CodexDetection, { state: "none" }>,
  risk: string,
  next: string,
): LoginError {
  const what = detection.state === "running"
    ? `Codex is running on this codex home (${processList(detection.processes)}). ${risk}`
    : `codex-login cannot tell whether Codex runs on this codex home: ${detection.reason}. ${risk}`;
  return new LoginError("codex_running", {
    what,
    next,
    code: detection.state === "running" ? "codex_running" : "codex_running.unknown",
  });
}
