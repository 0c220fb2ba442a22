/**
 * The npm package's command (`bin`, bundled by `make npm-pack` into `bin/codex-login.cjs` with
 * the grant rules of `lib/base/grants.ts`): runs the bundle on the Deno binary npm installed
 * for this platform (`@deno/<platform>`, found by Node's own resolution: never the `deno`
 * package's `bin.cjs`, never a `.cmd`, so install scripts may be disabled), with exactly the
 * grants the POSIX launcher gives for the same arguments and environment.
 *
 * Where Node can replace itself (`process.execve`: Node 22.15+ and 23.11+, not on Windows),
 * Deno takes this process's place: same pid, terminal and signals, no Node left in memory.
 * Elsewhere Deno is started asynchronously and shares the terminal (stdio inherited, same
 * process group); INT, TERM and HUP sent to this process are passed on (INT and HUP while it is
 * in the terminal's foreground only if Deno, which the terminal signals too, is still running
 * half a second later); it exits with Deno's status, or dies of Deno's signal. What no process can pass on is SIGKILL: killing this
 * process that way leaves Deno running (with the terminal and the pipes it was given) until it
 * ends by itself, as with Codex's own npm launcher on such a Node. On a platform npm has no Deno
 * for (musl, FreeBSD, 32-bit...) it says so in one line, naming the ways that work.
 *
 * Pure parts (exported, tested under Deno) take what they look at as arguments; `main` binds
 * them to Node.
 *
 * @module
 */

import { accessSync, constants as fs, readFileSync, realpathSync, statSync } from "node:fs";
import { constants as os } from "node:os";
import { posix, win32 } from "node:path";
import process from "node:process";
import { candidatePrograms, denoFlags, GrantRefusal, grantsFor } from "../../lib/base/grants.ts";

/** The platforms the `deno` npm package has a binary package for (`@deno/<target>`). */
export const DENO_TARGETS: readonly string[] = [
  "win32-x64",
  "win32-arm64",
  "darwin-x64",
  "darwin-arm64",
  "linux-x64-glibc",
  "linux-arm64-glibc",
];

/**
 * The `@deno/…` package for a platform (`process.platform`, `process.arch`, whether the C
 * library is musl), or `undefined` where Deno publishes none.
 */
export function denoTarget(platform: string, arch: string, musl: boolean): string | undefined {
  const target = platform === "linux"
    ? `linux-${arch}-${musl ? "musl" : "glibc"}`
    : `${platform}-${arch}`;
  return DENO_TARGETS.includes(target) ? target : undefined;
}

/** `process.platform` as `lib/base/grants.ts` names operating systems (Deno's names). */
export function grantOs(platform: string): string {
  return platform === "win32" ? "windows" : platform;
}

/** The path functions of `platform` (so that the pure parts hold for any platform, anywhere). */
function pathsOf(platform: string): typeof posix {
  return platform === "win32" ? win32 : posix;
}

/** Whether `path` is a file this process may run. */
function runnable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fs.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The programs of `candidates` found on `PATH` (as `command -v` finds them; on Windows with
 * the `PATHEXT` extensions), in the order of `candidates`.
 */
export function programsOnPath(
  candidates: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  windows: boolean,
  isRunnable: (path: string) => boolean = runnable,
): string[] {
  const dirs = (env.PATH ?? env.Path ?? "").split(windows ? ";" : ":").filter((d) => d !== "");
  const extensions = windows
    ? ["", ...(env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter((e) => e !== "")]
    : [""];
  const slash = windows ? "\\" : "/";
  return candidates.filter((program) =>
    dirs.some((dir) =>
      extensions.some((ext) => isRunnable(`${dir.replace(/[\\/]+$/, "")}${slash}${program}${ext}`))
    )
  );
}

/** How this copy was installed: what hints name, and what `--version` says. */
export interface NpmInstall {
  /** `CODEX_LOGIN_INVOCATION`: `npm` (hints say `codex-login …`) or `npx` (`npx codex-login …`). */
  invocation: "npm" | "npx";
  /** `CODEX_LOGIN_INSTALL`: `--version`'s words. */
  install: string;
}

/**
 * How the package in `dir` was installed: in npx's cache (a `_npx` directory), globally
 * (`npm install -g`: npm's global folder with the command beside it), or into a project
 * (run with `npx codex-login` there).
 */
export function npmInstall(
  dir: string,
  platform: string,
  exists: (path: string) => boolean,
): NpmInstall {
  const { basename, dirname, join } = pathsOf(platform);
  const parts = dir.split(/[\\/]/);
  if (parts.includes("_npx")) {
    return { invocation: "npx", install: `npx, from npm's cache (${dir})` };
  }
  const modules = dirname(dir);
  const globalBin = platform === "win32"
    ? join(dirname(modules), "codex-login.cmd")
    : join(dirname(dirname(modules)), "bin", "codex-login");
  const global = basename(modules) === "node_modules" &&
    (platform === "win32" || basename(dirname(modules)) === "lib") && exists(globalBin);
  return global
    ? { invocation: "npm", install: `npm install -g (${dir})` }
    : { invocation: "npx", install: `npm install, in a project (${dir})` };
}

/** What to start: the program, its arguments and environment; or one line to print instead. */
export type LaunchPlan =
  | { ok: true; command: string; args: string[]; env: Record<string, string | undefined> }
  | { ok: false; message: string; exitCode: number };

/** What a plan is made from (all of it looked up by `main`, given by the tests). */
export interface LaunchInput {
  /** The package's directory (`…/node_modules/codex-login`). */
  dir: string;
  /** codex-login's arguments. */
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  platform: string;
  arch: string;
  /** Whether the C library is musl (Linux). */
  musl: boolean;
  /** Whether a file is there. */
  exists: (path: string) => boolean;
  /** The programs of the grant rules found on PATH. */
  programs: readonly string[];
}

/**
 * The directory of package `name` as Node finds it from `dir`: in `dir/node_modules`, then in
 * each parent's (nested under a global install, hoisted beside it in npx's cache or a project).
 */
export function findPackage(
  dir: string,
  name: string,
  platform: string,
  exists: (path: string) => boolean,
): string | undefined {
  const { basename, dirname, join } = pathsOf(platform);
  for (let at = dir;; at = dirname(at)) {
    if (basename(at) !== "node_modules") {
      const candidate = join(at, "node_modules", name);
      if (exists(join(candidate, "package.json"))) return candidate;
    }
    if (dirname(at) === at) return undefined;
  }
}

/** The one line said where npm has no Deno (or it was left out), naming what works instead. */
export function noDeno(input: LaunchInput, target: string | undefined): string {
  const here = `${input.platform}-${input.arch}${
    input.platform === "linux" ? (input.musl ? "-musl" : "-glibc") : ""
  }`;
  const bundle = pathsOf(input.platform).join(input.dir, "codex-login.js");
  if (target) {
    return `codex-login: the Deno runtime for ${here} (@deno/${target}) is not installed beside ` +
      `codex-login (npm leaves it out with --omit=optional, or node_modules came from another ` +
      `system): install codex-login again here, without --omit=optional.`;
  }
  return `codex-login: npm has no Deno runtime for ${here} (only Linux with glibc, macOS and ` +
    `Windows, on x64 and arm64), so this package cannot run here: use a release binary where ` +
    `one fits, or from source run it with a Deno of your own: ` +
    `deno run --allow-net --allow-write ${bundle}`;
}

/** The Deno binary and arguments for one run, or the line to print instead. */
export function launchPlan(input: LaunchInput): LaunchPlan {
  const { dirname, join } = pathsOf(input.platform);
  const find = (name: string) => findPackage(input.dir, name, input.platform, input.exists);
  const target = denoTarget(input.platform, input.arch, input.musl);
  const denoPackage = target ? find(`@deno/${target}`) : undefined;
  const deno = denoPackage && join(denoPackage, input.platform === "win32" ? "deno.exe" : "deno");
  if (!deno || !input.exists(deno)) {
    return { ok: false, message: noDeno(input, target), exitCode: 1 };
  }
  const keyring = find("@napi-rs/keyring");
  const binding = keyring ? dirname(keyring) : undefined;
  let flags: string[];
  try {
    flags = denoFlags(grantsFor({
      args: input.args,
      env: input.env,
      os: grantOs(input.platform),
      programs: input.programs,
      binding,
    }));
  } catch (err) {
    if (!(err instanceof GrantRefusal)) throw err;
    return { ok: false, message: `codex-login: ${err.message}`, exitCode: 2 };
  }
  const how = npmInstall(input.dir, input.platform, input.exists);
  return {
    ok: true,
    command: deno,
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--config",
      join(input.dir, "deno.json"),
      ...flags,
      join(input.dir, "codex-login.js"),
      ...input.args,
    ],
    env: {
      ...input.env,
      DENO_NO_UPDATE_CHECK: "1",
      CODEX_LOGIN_INVOCATION: how.invocation,
      CODEX_LOGIN_INSTALL: how.install,
    },
  };
}

/** Whether Node's report names a glibc (it has `header.glibcVersionRuntime` only there). */
export function reportsGlibc(report: unknown): boolean {
  if (typeof report !== "object" || report === null || !("header" in report)) return false;
  const header = report.header;
  return typeof header === "object" && header !== null && "glibcVersionRuntime" in header;
}

/** Whether this Linux runs on musl (only asked when there is no glibc Deno package to find). */
function isMusl(): boolean {
  return process.platform === "linux" && !reportsGlibc(process.report?.getReport());
}

/**
 * Whether a process is in its terminal's foreground process group, from its `/proc/PID/stat`
 * line (`pid (name) state ppid pgrp session tty tpgid …`): then Ctrl-C and a hang-up reach
 * every process of the group, Deno included, and passing them on would deliver them twice.
 */
export function inForeground(stat: string): boolean {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const group = Number(fields[2]);
  const foreground = Number(fields[5]);
  return foreground > 0 && foreground === group;
}

/** node:child_process, loaded only where Deno runs as a child (it takes Node some ms to load). */
type ChildProcesses = typeof import("node:child_process");

/** Whether this process is in its terminal's foreground group (Linux: /proc; macOS: ps). */
function foreground({ execFileSync }: ChildProcesses): boolean {
  try {
    if (process.platform === "linux") return inForeground(readFileSync("/proc/self/stat", "utf8"));
    const out = execFileSync("ps", ["-o", "tpgid=,pgid=", "-p", String(process.pid)], {
      encoding: "utf8",
    });
    const [tpgid, pgid] = out.trim().split(/\s+/).map(Number);
    return tpgid > 0 && tpgid === pgid;
  } catch {
    return false;
  }
}

/** The signals passed on to Deno (Windows: Ctrl-C reaches every process of the console). */
const FORWARDED: NodeJS.Signals[] = process.platform === "win32"
  ? ["SIGTERM", "SIGHUP"]
  : ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * How long a signal that may have come from the terminal waits before it is passed on: Deno,
 * which got it too, ends well within it (a sign-in cancelled, a prompt given its echo back).
 */
const FOREGROUND_GRACE_MS = 500;

/** Node's `process.execve` (Node 22.15+, 23.11+), where this Node has it. */
type Execve = (file: string, args: string[], env: Record<string, string | undefined>) => never;
function execveOf(): Execve | undefined {
  if (process.platform === "win32" || !("execve" in process)) return undefined;
  const execve = process.execve;
  return typeof execve === "function" ? execve : undefined;
}

/** Become Deno where Node can (`execve`); else run it as a child, pass signals on, end as it ended. */
async function run(plan: Extract<LaunchPlan, { ok: true }>): Promise<void> {
  const execve = execveOf();
  if (execve) {
    // Node ignores SIGXFSZ, and an ignored signal stays ignored across execve; a handler does
    // not (execve resets it), so Deno gets the default as it would from a shell.
    process.on("SIGXFSZ", () => {});
    try {
      execve(plan.command, [plan.command, ...plan.args], plan.env);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      process.stderr.write(`codex-login: could not start Deno (${plan.command}): ${why}\n`);
      process.exit(1);
    }
  }
  // getBuiltinModule (Node 20.16+) loads it without starting Node's ES module loader.
  const processes: ChildProcesses = "getBuiltinModule" in process
    ? process.getBuiltinModule("node:child_process")
    : await import("node:child_process");
  const child = processes.spawn(plan.command, plan.args, { stdio: "inherit", env: plan.env });
  const running = () => child.exitCode === null && child.signalCode === null;
  const forward = (signal: NodeJS.Signals) => {
    if (!running()) return;
    if (signal === "SIGTERM" || !foreground(processes)) {
      child.kill(signal);
      return;
    }
    // From the terminal (Ctrl-C, hang-up) Deno got it too, and once is what a shell gives;
    // sent to this pid alone (`kill -HUP PID`) it did not: pass it on if Deno is still there.
    setTimeout(() => running() && child.kill(signal), FOREGROUND_GRACE_MS);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  // Ctrl-C on a Windows console reaches Deno too: this process only waits for it.
  if (process.platform === "win32") process.on("SIGINT", () => {});
  child.on("error", (err) => {
    process.stderr.write(`codex-login: could not start Deno (${plan.command}): ${err.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    for (const s of FORWARDED) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    // A signal Node ignores (SIGPIPE) or cannot raise: the shell's code for it.
    setTimeout(() => process.exit(128 + (os.signals[signal] ?? 0)), 100).unref();
  });
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Start codex-login: the bundle of the package this script is in (`PACKAGE/bin/…`, found
 * through npm's bin link), on npm's Deno, with its grants.
 */
export function main(): void {
  const platform = process.platform;
  const { dirname } = pathsOf(platform);
  const dir = dirname(dirname(realpathSync(process.argv[1])));
  const env = process.env;
  const candidates = candidatePrograms(grantOs(platform));
  const glibcDeno = platform === "linux" &&
    findPackage(dir, `@deno/linux-${process.arch}-glibc`, platform, exists);
  const plan = launchPlan({
    dir,
    args: process.argv.slice(2),
    env,
    platform,
    arch: process.arch,
    musl: platform === "linux" && !glibcDeno && isMusl(),
    exists,
    programs: programsOnPath(candidates, env, platform === "win32"),
  });
  if (!plan.ok) {
    process.stderr.write(`${plan.message}\n`);
    process.exit(plan.exitCode);
  }
  void run(plan);
}
