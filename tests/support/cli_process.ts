/**
 * Runs the CLI as a subprocess the way people run it, reading its stderr line by line so a
 * test can wait for the authorize URL. Three targets, chosen by the environment:
 *
 * - `main.ts` (default) or `CODEX_LOGIN_ENTRY` (the bundle), under `deno run` with the grants
 *   `make login` and the installed launcher give the same arguments and environment (from
 *   `lib/base/grants.ts`), unless a test names other permissions on purpose;
 * - `CODEX_LOGIN_COMMAND`, an installed command (`make install`'s or npm's launcher), run as
 *   is with `PATH=/usr/bin:/bin`: its own grants, no permission flag from the test.
 *
 * @module
 */

import { candidatePrograms, denoFlags, grantsFor } from "../../lib/base/grants.ts";
import { ROOT } from "./helpers.ts";

/** The installed command under test, when `CODEX_LOGIN_COMMAND` names one. */
export const COMMAND: string | undefined = Deno.env.get("CODEX_LOGIN_COMMAND") || undefined;

/** Whether the tests drive an installed command (which takes no permission flags). */
export const INSTALLED: boolean = COMMAND !== undefined;

/** The entry point under `deno run`: main.ts, or `CODEX_LOGIN_ENTRY` (e.g. the bundle). */
export const ENTRY = Deno.env.get("CODEX_LOGIN_ENTRY") ?? `${ROOT}main.ts`;

/** A prefix for test names, telling the installed command and the bundle from main.ts. */
export const ON = COMMAND ? "[installed] " : Deno.env.get("CODEX_LOGIN_ENTRY") ? "[bundle] " : "";

/** The PATH an installed command runs with in these tests. */
export const INSTALLED_PATH = "/usr/bin:/bin";

const OS = Deno.build.os === "darwin" ? "darwin" : Deno.build.os;

function present(program: string): boolean {
  return INSTALLED_PATH.split(":").some((dir) => {
    try {
      return Deno.statSync(`${dir}/${program}`).isFile;
    } catch {
      return false;
    }
  });
}

const PROGRAMS: string[] = candidatePrograms(OS).filter(present);

/** Where this checkout's keyring binding is (what `make login` grants ffi on). */
export const BINDING = `${ROOT}node_modules/@napi-rs`;

/**
 * The `deno run` flags `make login` and the installed launcher give a run of `args` with
 * this process's environment and `env` on top: scoped to its home, hosts, CA bundle,
 * programs and binding.
 */
export function launcherPermissions(
  args: readonly string[],
  env: Record<string, string> = {},
): string[] {
  return denoFlags(grantsFor({
    args,
    env: { ...Deno.env.toObject(), ...env },
    os: OS,
    programs: PROGRAMS,
    binding: BINDING,
  }));
}

/** How a test runs the CLI with `args`. */
export interface CliTarget {
  /** Permission flags for `deno run` (ignored for an installed command). */
  permissions?: readonly string[];
  /** Variables added to the environment. */
  env?: Record<string, string>;
}

/** The argument vector that runs the CLI with `args`: the installed command, or `deno run`. */
export function cliArgv(args: readonly string[], target: CliTarget = {}): string[] {
  if (COMMAND) return [COMMAND, ...args];
  const permissions = target.permissions ?? launcherPermissions(args, target.env);
  return [Deno.execPath(), "run", "--quiet", "--no-prompt", ...permissions, ENTRY, ...args];
}

/** The environment the CLI runs with: no colour, the installed command's PATH, then `env`. */
export function cliEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    ...(COMMAND ? { PATH: INSTALLED_PATH } : {}),
    ...env,
  };
}

/**
 * `login` arguments against a fake issuer: `--issuer` and `--api-base` at it, the given
 * codex home, any free port, no browser; then `extra`.
 */
export function loginArgs(issuerUrl: string, home: string, extra: string[] = []): string[] {
  return [
    "login",
    "--issuer",
    issuerUrl,
    "--api-base",
    issuerUrl,
    "--codex-home",
    home,
    "--port",
    "0",
    "--no-browser",
    ...extra,
  ];
}

/** A running CLI process. */
export interface CliProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** stderr lines so far. */
  lines: string[];
  /** Resolve with the first stderr line matching `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  /** Exit code and all output, once it exits. */
  done(): Promise<{ code: number; stderr: string; stdout: string }>;
  /** Write to stdin (with `openStdin: true`). */
  write(text: string): Promise<void>;
  /** stdout, line by line as it arrives. */
  out: LineWatcher;
}

/** Unscoped read, write and env on loopback: only for tests about permissions themselves. */
export const BASE_PERMISSIONS: readonly string[] = [
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-env",
];

/** How {@linkcode spawnCli} runs the CLI. */
export interface SpawnOptions extends CliTarget {
  stdin?: string;
  clearEnv?: boolean;
  /** Called with each stderr line as it arrives. */
  onLine?: (line: string) => void;
  /** Keep stdin open for `write()`. */
  openStdin?: boolean;
  /** Run this bash command line instead (it must exec the CLI itself). */
  shell?: string;
}

/** An output stream split into lines as it arrives, with waiters for a matching line. */
export interface LineWatcher {
  /** Lines so far. */
  lines: string[];
  /** Resolve with the first line matching `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<string>;
}

/**
 * Output streams split into lines as they arrive (several streams: their lines in arrival
 * order), with waiters for a matching line; a waiter rejects after its time or once every
 * stream has ended without the line. `done`: the streams' text, once they end.
 */
export function lineWatcher(
  streams: ReadableStream<Uint8Array> | readonly ReadableStream<Uint8Array>[],
  onLine?: (line: string) => void,
): LineWatcher & { done: Promise<string> } {
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const add = (line: string) => {
    lines.push(line);
    onLine?.(line);
    for (const w of [...waiters]) {
      if (w.re.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  const read = async (stream: ReadableStream<Uint8Array>) => {
    let text = "";
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        add(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    }
    if (buffer) add(buffer);
    return text;
  };
  const done = Promise.all([streams].flat().map(read)).then((texts) => texts.join(""));
  const waitFor = (re: RegExp, ms = 15_000): Promise<string> => {
    const found = lines.find((l) => re.test(l));
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const fail = () => reject(new Error(`no line matching ${re} in:\n${lines.join("\n")}`));
      const timer = setTimeout(fail, ms);
      done.then(() => setTimeout(fail, 0), () => {});
      waiters.push({
        re,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  };
  return { lines, done, waitFor };
}

/** Start the CLI with `args` (see the module doc for which CLI and with what grants). */
export function spawnCli(args: string[], options: SpawnOptions = {}): CliProcess {
  const argv = options.shell ? ["bash", "-c", options.shell] : cliArgv(args, options);
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: ROOT,
    stdin: options.stdin === undefined && !options.openStdin ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: cliEnv(options.env),
    clearEnv: options.clearEnv,
  }).spawn();
  const writer = options.stdin !== undefined || options.openStdin
    ? child.stdin.getWriter()
    : undefined;
  if (options.stdin !== undefined) {
    writer?.write(new TextEncoder().encode(options.stdin)).then(() => writer.close());
  }
  const watcher = lineWatcher(child.stderr, options.onLine);
  const out = lineWatcher(child.stdout);
  const stdoutText = out.done;
  return {
    child,
    lines: watcher.lines,
    waitFor: watcher.waitFor,
    out: { lines: out.lines, waitFor: out.waitFor },
    async write(text: string) {
      await writer?.write(new TextEncoder().encode(text));
    },
    async done() {
      const status = await child.status;
      await watcher.done;
      return { code: status.code, stderr: watcher.lines.join("\n"), stdout: await stdoutText };
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await writer?.close().catch(() => {});
      await child.status;
      await watcher.done.catch(() => {});
      await stdoutText.catch(() => {});
    },
  };
}

/** Whether util-linux `script` is there to give the CLI a real terminal. */
export const HAVE_SCRIPT: boolean = await Deno.stat("/usr/bin/script").then(
  () => true,
  () => false,
);

/**
 * Run the CLI under a pseudo-terminal (`script -qec`), typing `input` after `typeAfterMs`
 * when given. Resolves with the exit code and everything the terminal showed.
 */
export async function runInTerminal(
  args: string[],
  options: CliTarget & { input?: string; typeAfterMs?: number },
): Promise<{ code: number; screen: string }> {
  const command = cliArgv(args, options).map((a) => `'${a}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: cliEnv(options.env),
  }).spawn();
  const writer = child.stdin.getWriter();
  if (options.input !== undefined) {
    await new Promise((r) => setTimeout(r, options.typeAfterMs ?? 1500));
    await writer.write(new TextEncoder().encode(options.input));
  }
  const out = await child.output();
  await writer.close().catch(() => {});
  return { code: out.code, screen: new TextDecoder().decode(out.stdout) };
}
