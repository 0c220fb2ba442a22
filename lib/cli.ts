/**
 * The command line: parses flags with `node:util` `parseArgs`, dispatches to a command, and
 * turns every {@linkcode LoginError} into its exit code and a one- or two-line message.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { formatStatus, getStatus, logout, refreshAuth, saveApiKey } from "./account.ts";
import { accountClaims } from "./jwt.ts";
import { authFilePath, resolveCodexHome } from "./auth_store.ts";
import { openBrowser } from "./browser.ts";
import { DEVICE_TIMEOUT_MS, deviceLogin } from "./device_auth.ts";
import { ExitCode, LoginError, usageError } from "./errors.ts";
import { DEFAULT_CLIENT_ID, DEFAULT_ISSUER, IssuerClient, normalizeIssuer } from "./issuer.ts";
import { DEFAULT_PORT, type LoginResult, type LoginSession, startLogin } from "./login_server.ts";
import { ensurePermission, readEnv } from "./permissions.ts";
import { readSecret, type SecretSource, stdinSource } from "./secret_input.ts";
import { VERSION } from "./version.ts";

/** Where the CLI writes. Defaults to the process's stderr and stdout. */
export interface CliIo {
  /** A line for the person (stderr). */
  log: (line: string) => void;
  /** Output for scripts (stdout). */
  out: (text: string) => void;
  /** Where `login --with-api-key` reads the key. */
  stdin?: SecretSource;
  /** A transient status line (a terminal redraws it in place); omitted: none. */
  status?: (text: string) => void;
}

const encoder = new TextEncoder();
let statusShown = false;

function clearStatus(): void {
  if (statusShown) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
  statusShown = false;
}

const defaultIo: CliIo = {
  log: (line) => {
    clearStatus();
    console.error(line);
  },
  out: (text) => console.log(text),
  status: Deno.stderr.isTerminal()
    ? (text) => {
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${text}`));
      statusShown = true;
    }
    : undefined,
};

/** The usage text. */
export const USAGE = `codex-login ${VERSION}: sign in to ChatGPT/OpenAI for the Codex CLI.

Usage:
  codex-login [login] [options]      sign in with your browser (the default command)
  codex-login login --with-api-key   save an API key read from stdin (prompted, not echoed)
  codex-login status [--json]        who is signed in; exit 0 when logged in, 1 when not
  codex-login logout [--no-revoke]   revoke the refresh token, then remove auth.json
  codex-login refresh                refresh the stored tokens now

Every command takes --codex-home DIR; login, logout and refresh also --issuer and
--client-id.

Options for login:
  --codex-home DIR    where auth.json goes (default: $CODEX_HOME, else ~/.codex)
  --issuer URL        OAuth issuer (default ${DEFAULT_ISSUER})
  --api-base URL      API base for credit redemption (default derived from the issuer)
  --client-id ID      OAuth client id (default ${DEFAULT_CLIENT_ID})
  --port N            loopback port (default ${DEFAULT_PORT}, or 1457 when ${DEFAULT_PORT} is taken;
                      0 picks a free one; an explicit port never falls back)
  --no-browser        do not open a browser; open the printed URL yourself
  --timeout SECONDS   give up after this long (default 600; 0 waits forever)
  --verbose           log each request the loopback server answers
  --with-api-key      read an API key from stdin instead of signing in with a browser
  --paste             also accept the browser's final address pasted on stdin (always on
                      when stdin is a terminal)
  --device-auth       sign in with a one-time code entered on any device (no loopback);
                      --timeout defaults to 900 s here
  -h, --help          show this help
  -V, --version       show the version

Exit codes: 0 signed in, 1 sign-in failed, 2 usage error, 13 port in use,
124 timed out, 130 interrupted.`;

const LOGIN_OPTIONS = {
  "codex-home": { type: "string" },
  issuer: { type: "string" },
  "api-base": { type: "string" },
  "client-id": { type: "string" },
  port: { type: "string" },
  "no-browser": { type: "boolean" },
  timeout: { type: "string" },
  verbose: { type: "boolean" },
  "with-api-key": { type: "boolean" },
  paste: { type: "boolean" },
  "device-auth": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

const COMMON_OPTIONS = {
  "codex-home": { type: "string" },
  issuer: { type: "string" },
  "client-id": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

function parseFlags(
  args: string[],
  options: FlagSpec,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw usageError(`${message.replace(/\. To specify.*$/, "")}. Run codex-login --help.`);
  }
}

function parseUrlFlag(name: string, value: string): string {
  try {
    return normalizeIssuer(value);
  } catch {
    throw usageError(`--${name} must be an http(s) URL, got ${JSON.stringify(value)}.`);
  }
}

function parseIntegerFlag(name: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw usageError(
      `--${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(value)}.`,
    );
  }
  return Number(value);
}

/** Resolve the codex home from `--codex-home` or the environment (asking for env access). */
function codexHomeFrom(flag: string | undefined): string {
  return resolveCodexHome({
    flag,
    env: (name) => readEnv(name, true),
    platform: Deno.build.os,
  });
}

/** Make sure auth.json can be written (and renamed into place) before the browser step. */
async function ensureHomeWritable(codexHome: string): Promise<void> {
  const alternative = "pass --codex-home DIR for a directory you can grant";
  await ensurePermission({ name: "write", path: codexHome }, "to save auth.json", alternative);
  await ensurePermission(
    { name: "read", path: codexHome },
    "to replace auth.json atomically",
    alternative,
  );
}

async function loginCommand(args: string[], io: CliIo): Promise<number> {
  const flags = commandFlags("login", args, LOGIN_OPTIONS);
  if (!flags) return help(io);
  const { values, issuer, clientId } = flags;
  const modes = ["with-api-key", "device-auth", "paste"].filter((m) => values[m]);
  if (modes.length > 1) {
    throw usageError(
      `--${modes[0]} and --${modes[1]} cannot be used together. Run codex-login --help.`,
    );
  }
  if (values["with-api-key"]) {
    const codexHome = flags.codexHome();
    await ensureHomeWritable(codexHome);
    const key = await readSecret(
      "Paste your OpenAI API key (input is hidden): ",
      io.stdin ?? stdinSource,
    );
    await saveApiKey(codexHome, key);
    io.log(`Saved your API key to ${authFilePath(codexHome)}.`);
    return ExitCode.Ok;
  }
  const apiBase = values["api-base"] === undefined
    ? undefined
    : parseUrlFlag("api-base", values["api-base"] as string);
  const port = values.port === undefined
    ? undefined
    : parseIntegerFlag("port", values.port as string, 65535);
  const timeoutS = values.timeout === undefined
    ? (values["device-auth"] ? DEVICE_TIMEOUT_MS / 1000 : 600)
    : parseIntegerFlag("timeout", values.timeout as string, 10_000_000);
  const codexHome = flags.codexHome();
  await ensureHomeWritable(codexHome);

  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    let result: LoginResult;
    if (values["device-auth"]) {
      result = await deviceLogin({
        codexHome,
        issuer,
        apiBase,
        clientId,
        timeoutMs: timeoutS * 1000,
        log: io.log,
        progress: deviceProgress(io),
        signal: interrupt.signal,
      });
    } else {
      const session = await startLogin({
        codexHome,
        issuer,
        apiBase,
        clientId,
        port,
        timeoutMs: timeoutS * 1000,
        openBrowser: values["no-browser"] ? undefined : (url) => openBrowser(url),
        log: io.log,
        verbose: values.verbose === true,
        signal: interrupt.signal,
      });
      const pasting = values.paste === true || Deno.stdin.isTerminal();
      remoteHelp(io, session.port, pasting);
      if (pasting) void readPastedAddresses(session, io);
      result = await session.result;
    }
    const who = result.email ? ` as ${result.email}` : "";
    io.log(`Successfully logged in${who}. Credentials saved to ${result.authFile}.`);
    if (result.needsSetup && !values["device-auth"]) {
      io.log("Finish setting up your API organization in the browser page that opened.");
    }
    return ExitCode.Ok;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

function remoteHelp(io: CliIo, port: number, pasting: boolean): void {
  io.log("On a remote machine (SSH, WSL, a container) whose browser cannot reach this one:");
  if (pasting) {
    io.log(
      `  - after signing in, paste here the address your browser ended on (http://localhost:${port}/auth/callback?code=...), or`,
    );
  } else {
    io.log("  - run again with --paste and paste the address your browser ends on, or");
  }
  io.log(
    `  - forward the port first: ssh -L ${port}:localhost:${port} <this host>, then open the URL, or`,
  );
  io.log("  - use a one-time code instead: codex-login login --device-auth");
}

/** Feed lines from stdin to the session until one is accepted or the session ends. */
async function readPastedAddresses(session: LoginSession, io: CliIo): Promise<void> {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  session.result.finally(() => reader.cancel().catch(() => {})).catch(() => {});
  let buffer = "";
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!line.trim()) continue;
        const reply = await session.submitRedirect(line);
        io.log(reply.message);
        if (reply.accepted) return;
      }
    }
  } catch {
    // stdin closed or cancelled: the loopback callback may still arrive
  } finally {
    reader.releaseLock();
  }
}

function deviceProgress(io: CliIo): (msLeft: number) => void {
  const frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
  let tick = 0;
  let lastMinute = -1;
  return (msLeft) => {
    const seconds = Math.max(0, Math.round(msLeft / 1000));
    const left = Number.isFinite(msLeft)
      ? `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")} left`
      : "no time limit";
    if (io.status) {
      io.status(`${frames[tick++ % frames.length]} Waiting for the code to be entered… ${left}`);
      return;
    }
    const minute = Math.floor(seconds / 60);
    if (minute !== lastMinute) {
      lastMinute = minute;
      io.log(`Waiting for the code to be entered (${left}).`);
    }
  };
}

function clientIdFlag(values: Record<string, string | boolean | undefined>): string | undefined {
  const clientId = values["client-id"] as string | undefined;
  if (clientId !== undefined && !/^[\x21-\x7e]{1,200}$/.test(clientId)) {
    throw usageError("--client-id must be a non-empty id without spaces.");
  }
  return clientId;
}

/** A command's parsed flags. */
interface CommandFlags {
  /** Every flag's value. */
  values: Record<string, string | boolean | undefined>;
  /** `--issuer` (validated) or the default. */
  issuer: string;
  /** `--client-id` (validated), if given. */
  clientId?: string;
  /** Resolve the codex home (may ask for env access): call after validating other flags. */
  codexHome: () => string;
}

/**
 * Parse a command's flags: the common ones plus `extra`; no positionals allowed.
 * `undefined` means `--help` was asked for.
 */
function commandFlags(
  command: string,
  args: string[],
  extra: FlagSpec = {},
): CommandFlags | undefined {
  const { values, positionals } = parseFlags(args, { ...COMMON_OPTIONS, ...extra });
  if (values.help) return undefined;
  if (positionals.length > 0) {
    throw usageError(
      `Unexpected argument ${
        JSON.stringify(positionals[0])
      } for ${command}. Run codex-login --help.`,
    );
  }
  return {
    values,
    issuer: parseUrlFlag("issuer", (values.issuer as string | undefined) ?? DEFAULT_ISSUER),
    clientId: clientIdFlag(values),
    codexHome: () => codexHomeFrom(values["codex-home"] as string | undefined),
  };
}

function issuerClient(flags: CommandFlags, timeoutMs: number): IssuerClient {
  return new IssuerClient({ issuer: flags.issuer, clientId: flags.clientId, timeoutMs });
}

async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const flags = commandFlags("status", args, { json: { type: "boolean" } });
  if (!flags) return help(io);
  const codexHome = flags.codexHome();
  await ensurePermission({ name: "read", path: codexHome }, "to read auth.json");
  const report = await getStatus(codexHome);
  io.out(flags.values.json ? JSON.stringify(report) : formatStatus(report, new Date()));
  return report.logged_in ? ExitCode.Ok : ExitCode.Failed;
}

async function logoutCommand(args: string[], io: CliIo): Promise<number> {
  const flags = commandFlags("logout", args, { "no-revoke": { type: "boolean" } });
  if (!flags) return help(io);
  const codexHome = flags.codexHome();
  await ensureHomeWritable(codexHome);
  const outcome = await logout({
    codexHome,
    client: issuerClient(flags, 5_000),
    revoke: !flags.values["no-revoke"],
  });
  if (!outcome.removed) {
    io.log("Not logged in; nothing to do.");
    return ExitCode.Ok;
  }
  if (typeof outcome.revoke === "object") {
    io.log(`Warning: ${outcome.revoke.failed} The refresh token may stay valid until it expires.`);
  } else if (outcome.revoke === "revoked") {
    io.log("Revoked the refresh token at the issuer.");
  }
  io.log(`Logged out: removed ${authFilePath(codexHome)}.`);
  return ExitCode.Ok;
}

async function refreshCommand(args: string[], io: CliIo): Promise<number> {
  const flags = commandFlags("refresh", args);
  if (!flags) return help(io);
  const codexHome = flags.codexHome();
  await ensureHomeWritable(codexHome);
  const auth = await refreshAuth({
    codexHome,
    client: issuerClient(flags, 15_000),
    now: () => new Date(),
  });
  const expires = accountClaims(auth.tokens.id_token).expiresAt?.toISOString();
  io.log(
    `Refreshed the tokens in ${authFilePath(codexHome)}; the ID token now expires ${
      expires ?? "at an unknown time"
    }.`,
  );
  return ExitCode.Ok;
}

function help(io: CliIo): number {
  io.out(USAGE);
  return ExitCode.Ok;
}

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  login: loginCommand,
  status: statusCommand,
  logout: logoutCommand,
  refresh: refreshCommand,
};

/**
 * Run the CLI with `args`; resolves to the exit code. Never throws for a user's mistake:
 * those are one- or two-line messages on `io.log`.
 *
 * @example
 * ```ts ignore
 * import { runCli } from "./cli.ts";
 * Deno.exit(await runCli(Deno.args));
 * ```
 */
export async function runCli(args: string[], io: CliIo = defaultIo): Promise<number> {
  try {
    if (args.includes("--version") || args.includes("-V")) {
      io.out(`codex-login ${VERSION}`);
      return ExitCode.Ok;
    }
    if (args[0] === "help" || ((args[0] === "--help" || args[0] === "-h") && args.length === 1)) {
      io.out(USAGE);
      return ExitCode.Ok;
    }
    const first = args[0];
    const named = first !== undefined && !first.startsWith("-");
    const command = named ? first : "login";
    const run = COMMANDS[command];
    if (!run) {
      throw usageError(
        `Unknown command ${JSON.stringify(command)}. Commands: ${
          Object.keys(COMMANDS).join(", ")
        }. Run codex-login --help.`,
      );
    }
    return await run(named ? args.slice(1) : args, io);
  } catch (err) {
    if (err instanceof LoginError) {
      io.log(`Error: ${err.message}`);
      return err.exitCode;
    }
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    io.log(`Error: unexpected failure (${message}). Please report it with the command you ran.`);
    return ExitCode.Failed;
  }
}
