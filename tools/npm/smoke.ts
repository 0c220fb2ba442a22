/**
 * A smoke test of an installed codex-login, on Linux, macOS and Windows alike (ci.yml runs it
 * on each after installing the packed npm package; tests/npm_package_test.ts runs it here
 * against the npm-installed command): `--version`, `status` signed out, a sign-in against the
 * fake issuer (`--no-browser`, the callback driven as the browser would), `token`, `logout`,
 * `status` again; with `--keyring`, the OS keyring as this OS offers it (an API key kept there
 * and read back, then removed; on Windows the one-line refusal).
 *
 *   deno run -A tools/npm/smoke.ts [--keyring] [COMMAND [ARG...]]
 *
 * COMMAND defaults to `codex-login` found on PATH (on Windows npm's `codex-login.cmd`).
 * Prints one `ok - …` line per step, or the first failure (exit 1).
 *
 * @module
 */

import assert from "node:assert/strict";
import { loginArgs } from "../../tests/support/cli_process.ts";
import { startFakeIssuer } from "../../tests/support/fake_issuer.ts";
import { browse } from "../../tests/support/helpers.ts";

const WINDOWS = Deno.build.os === "windows";
const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/m;

/** What one run printed. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Start `command` with `args` (and text on stdin), or run it to its end. */
export interface Runner {
  start(args: string[], stdin?: string): Deno.ChildProcess;
  run(args: string[], stdin?: string): Promise<Run>;
}

/** A runner for `command` (and its first arguments), with `env` added to this environment. */
export function runner(command: readonly string[], env: Record<string, string> = {}): Runner {
  const start = (args: string[], stdin?: string) => {
    const child = new Deno.Command(command[0], {
      args: [...command.slice(1), ...args],
      env: { NO_COLOR: "1", ...env },
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin !== undefined) {
      const writer = child.stdin.getWriter();
      writer.write(new TextEncoder().encode(stdin)).then(() => writer.close());
    }
    return child;
  };
  const run = async (args: string[], stdin?: string): Promise<Run> => {
    const out = await start(args, stdin).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  };
  return { start, run };
}

/** `codex-login` on PATH, as a shell would find it (npm's `.cmd` shim on Windows). */
export function onPath(name = "codex-login"): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(WINDOWS ? ";" : ":").filter((d) => d);
  const names = WINDOWS ? [`${name}.cmd`, `${name}.exe`] : [name];
  for (const dir of dirs) {
    for (const file of names) {
      const path = `${dir.replace(/[\\/]+$/, "")}${WINDOWS ? "\\" : "/"}${file}`;
      try {
        if (Deno.statSync(path).isFile) return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The smoke's steps against `command`, with `env` added to this process's environment. */
export async function smoke(
  command: readonly string[],
  options: { env?: Record<string, string>; keyring?: boolean; log?: (line: string) => void } = {},
): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = await Deno.makeTempDir({ prefix: "codex-login-smoke-" });
  const home = `${dir}${WINDOWS ? "\\" : "/"}codex`;
  const { start, run } = runner(command, options.env);
  await using issuer = startFakeIssuer();
  const at = ["--codex-home", home, "--issuer", issuer.url];
  try {
    const version = await run(["--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^codex-login \d+\.\d+\.\d+/);
    log(`ok - --version: ${version.stdout.trim().split(/\r?\n/).join(" | ")}`);

    const out = await run(["status", ...at]);
    assert.equal(out.code, 1, out.stderr);
    assert.equal(out.stdout.trim(), "Not logged in");
    log("ok - status signed out: exit 1, Not logged in");

    await signIn(start, issuer.url, home);
    log("ok - login --no-browser against the fake issuer, callback as a browser: exit 0");

    const auth = JSON.parse(await Deno.readTextFile(`${home}/auth.json`));
    const token = await run(["token", ...at]);
    assert.equal(token.code, 0, token.stderr);
    assert.equal(token.stdout.trim(), auth.tokens.access_token);
    log("ok - token: the stored access token on stdout");

    const logout = await run(["logout", ...at]);
    assert.equal(logout.code, 0, logout.stderr);
    await assert.rejects(Deno.stat(`${home}/auth.json`), Deno.errors.NotFound);
    assert.ok(issuer.revoked.length > 0, "logout revoked at the issuer");
    const after = await run(["status", ...at]);
    assert.equal(after.code, 1, after.stderr);
    log("ok - logout: revoked, auth.json removed, status exit 1");

    if (options.keyring) await keyringSteps(run, at, log);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Sign in as a person would (`login --no-browser` against the issuer at `issuerUrl`, then
 * `extra`), the browser played by `browse`; resolves with what it printed on stderr.
 */
export async function signIn(
  start: (args: string[]) => Deno.ChildProcess,
  issuerUrl: string,
  home: string,
  extra: string[] = [],
): Promise<string> {
  const child = start(loginArgs(issuerUrl, home, extra));
  const stdout = new Response(child.stdout).text();
  let stderr = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let url: string | undefined;
  const deadline = setTimeout(() => child.kill(), 60_000);
  while (!url) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += value;
    url = URL_LINE.exec(stderr)?.[0];
  }
  if (url) await browse(url);
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += value;
  }
  const status = await child.status;
  clearTimeout(deadline);
  await stdout;
  assert.ok(url, `no authorize URL printed:\n${stderr}`);
  assert.equal(status.code, 0, stderr);
  assert.match(stderr, /Successfully logged in/);
  return stderr;
}

/** The OS keyring: an API key kept there and read back, then removed (Windows: refused). */
async function keyringSteps(
  run: (args: string[], stdin?: string) => Promise<Run>,
  at: string[],
  log: (line: string) => void,
): Promise<void> {
  const keyring = [...at, "-c", "cli_auth_credentials_store=keyring"];
  if (WINDOWS) {
    const refused = await run(["status", ...keyring]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /On Windows, Codex keeps keyring credentials/);
    log("ok - keyring on Windows: refused in one line, naming the file store");
    return;
  }
  const key = "sk-proj-smoke0123456789abcdef";
  const saved = await run(["login", "--with-api-key", ...keyring], `${key}\n`);
  assert.equal(saved.code, 0, saved.stderr);
  const status = await run(["status", ...keyring]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout + status.stderr, /API key/);
  const removed = await run(["logout", "--no-revoke", ...keyring]);
  assert.equal(removed.code, 0, removed.stderr);
  const gone = await run(["status", ...keyring]);
  assert.equal(gone.code, 1, gone.stderr);
  log("ok - keyring: an API key saved, read back by status, removed by logout");
}

if (import.meta.main) {
  const args = [...Deno.args];
  const keyring = args[0] === "--keyring";
  if (keyring) args.shift();
  const found = args.length ? args : [onPath()].filter((c): c is string => c !== undefined);
  if (!found.length) {
    console.error("smoke: codex-login is not on PATH; give the command to test");
    Deno.exit(2);
  }
  try {
    await smoke(found, { keyring });
    console.log(`smoke: all steps passed against ${found.join(" ")}`);
  } catch (err) {
    console.error(
      `smoke: FAILED against ${found.join(" ")}: ${err instanceof Error ? err.message : err}`,
    );
    Deno.exit(1);
  }
}
