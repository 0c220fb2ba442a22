/**
 * Runs the CLI (`main.ts`, or a bundle) as a subprocess with chosen permissions, reading its
 * stderr line by line so a test can wait for the authorize URL.
 *
 * @module
 */

import { ROOT } from "./helpers.ts";

/** The entry point under test: main.ts, or `CODEX_LOGIN_ENTRY` (e.g. the bundle). */
export const ENTRY = Deno.env.get("CODEX_LOGIN_ENTRY") ?? `${ROOT}main.ts`;

/** A prefix for test names, so runs against the bundle are told apart from main.ts. */
export const ON = Deno.env.get("CODEX_LOGIN_ENTRY") ? "[bundle] " : "";

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
}

/** What the CLI runs with by default in tests: loopback only, files, environment. */
export const BASE_PERMISSIONS: readonly string[] = [
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-env",
];

/** Start `deno run <permissions> ENTRY <args>`. */
export function spawnCli(
  args: string[],
  options: {
    permissions?: string[];
    env?: Record<string, string>;
    stdin?: string;
    clearEnv?: boolean;
    /** Called with each stderr line as it arrives. */
    onLine?: (line: string) => void;
    /** Keep stdin open for `write()`. */
    openStdin?: boolean;
    /** Run this bash command line instead (it must exec the CLI itself). */
    shell?: string;
  } = {},
): CliProcess {
  const permissions = options.permissions ?? BASE_PERMISSIONS;
  const child = new Deno.Command(options.shell ? "bash" : Deno.execPath(), {
    args: options.shell
      ? ["-c", options.shell]
      : ["run", "--quiet", "--no-prompt", ...permissions, ENTRY, ...args],
    cwd: ROOT,
    stdin: options.stdin === undefined && !options.openStdin ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...options.env },
    clearEnv: options.clearEnv,
  }).spawn();
  const writer = options.stdin !== undefined || options.openStdin
    ? child.stdin.getWriter()
    : undefined;
  if (options.stdin !== undefined) {
    writer?.write(new TextEncoder().encode(options.stdin)).then(() => writer.close());
  }
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const stderrDone = (async () => {
    let buffer = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        lines.push(line);
        options.onLine?.(line);
        for (const w of [...waiters]) {
          if (w.re.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    }
    if (buffer) lines.push(buffer);
  })();
  const stdoutText = new Response(child.stdout).text();
  return {
    child,
    lines,
    waitFor(re, ms = 15_000) {
      const found = lines.find((l) => re.test(l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${re} in:\n${lines.join("\n")}`)),
          ms,
        );
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    async write(text: string) {
      await writer?.write(new TextEncoder().encode(text));
    },
    async done() {
      const status = await child.status;
      await stderrDone;
      return { code: status.code, stderr: lines.join("\n"), stdout: await stdoutText };
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await writer?.close().catch(() => {});
      await child.status;
      await stderrDone.catch(() => {});
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
  options: { permissions: string[]; input?: string; typeAfterMs?: number },
): Promise<{ code: number; screen: string }> {
  const command = [Deno.execPath(), "run", "--quiet", ...options.permissions, ENTRY, ...args]
    .map((a) => `'${a}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
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
