/**
 * The npm package's command (`bin`, bundled by `make npm-pack` into `bin/codex-login.mjs` with
 * the grant rules of `lib/base/grants.ts`): runs the bundle on the Deno binary npm installed
 * for this platform (`@deno/<platform>`, found by Node's own resolution: never the `deno`
 * package's `bin.cjs`, never a `.cmd`, so install scripts may be disabled), with exactly the
 * grants the POSIX launcher gives for the same arguments and environment.
 *
 * Deno is started asynchronously and shares the terminal (stdio inherited, same process
 * group); INT, TERM and HUP sent to this process are passed on; it exits with Deno's status,
 * or dies of Deno's signal. On a platform npm has no Deno for (musl, FreeBSD, 32-bit...) it
 * says so in one line, naming the ways that work.
 *
 * Pure parts (exported, tested under Deno) take what they look at as arguments; `main` binds
 * them to Node.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { accessSync, constants as fs, statSync } from "node:fs";
import { createRequire } from "node:module";
import { constants as os } from "node:os";
import { posix, win32 } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { denoFlags, GRANT_RULES, GrantRefusal, grantsFor } from "../../lib/base/grants.ts";

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
  /** Node's resolution from the package (`require.resolve`), undefined when not found. */
  resolve: (specifier: string) => string | undefined;
  /** The programs of the grant rules found on PATH. */
  programs: readonly string[];
  exists: (path: string) => boolean;
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
  const target = denoTarget(input.platform, input.arch, input.musl);
  const manifest = target ? input.resolve(`@deno/${target}/package.json`) : undefined;
  const exe = input.platform === "win32" ? "deno.exe" : "deno";
  const deno = manifest ? join(dirname(manifest), exe) : undefined;
  if (!deno || !input.exists(deno)) {
    return { ok: false, message: noDeno(input, target), exitCode: 1 };
  }
  const keyring = input.resolve("@napi-rs/keyring");
  const binding = keyring ? dirname(dirname(keyring)) : undefined;
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

/** The signals passed on to Deno (Windows: Ctrl-C reaches every process of the console). */
const FORWARDED: NodeJS.Signals[] = process.platform === "win32"
  ? ["SIGTERM", "SIGHUP"]
  : ["SIGINT", "SIGTERM", "SIGHUP"];

/** Run Deno, pass signals on, end as it ended. */
function run(plan: Extract<LaunchPlan, { ok: true }>): void {
  const child = spawn(plan.command, plan.args, { stdio: "inherit", env: plan.env });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
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

/** Start codex-login: the bundle beside this package, on npm's Deno, with its grants. */
export function main(): void {
  const { dirname } = pathsOf(process.platform);
  const file = fileURLToPath(import.meta.url);
  const dir = dirname(dirname(file));
  const require = createRequire(file);
  const resolve = (specifier: string) => {
    try {
      return require.resolve(specifier);
    } catch {
      return undefined;
    }
  };
  const platform = process.platform;
  const env = process.env;
  const candidates: readonly string[] =
    GRANT_RULES.programs[grantOs(platform) as keyof typeof GRANT_RULES.programs] ?? [];
  const linuxGlibc = platform === "linux" &&
    resolve(`@deno/linux-${process.arch}-glibc/package.json`);
  const plan = launchPlan({
    dir,
    args: process.argv.slice(2),
    env,
    platform,
    arch: process.arch,
    musl: platform === "linux" && !linuxGlibc && isMusl(),
    resolve,
    programs: programsOnPath(candidates, env, platform === "win32"),
    exists: (path) => {
      try {
        statSync(path);
        return true;
      } catch {
        return false;
      }
    },
  });
  if (!plan.ok) {
    process.stderr.write(`${plan.message}\n`);
    process.exit(plan.exitCode);
  }
  run(plan);
}
