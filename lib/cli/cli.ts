/**
 * The command line: parses the command name, dispatches to `lib/commands/`, and turns every
 * {@linkcode LoginError} into its exit code and a one- or two-line message.
 *
 * @module
 */

import { activeLog } from "../store/login_log.ts";
import { ExitCode, LoginError, usageError } from "../base/errors.ts";
import { DEFAULT_CLIENT_ID, DEFAULT_ISSUER } from "../issuer/issuer_config.ts";
import { DEFAULT_PORT } from "../loopback/port_claim.ts";
import { type CliIo, defaultIo } from "./io.ts";
import { VERSION } from "../base/version.ts";

export type { CliIo };

/** The usage text. */
export const USAGE = `codex-login ${VERSION}: sign in to ChatGPT/OpenAI for the Codex CLI.

Usage:
  codex-login [login] [options]      sign in with your browser (the default command)
  codex-login login --with-api-key   save an API key read from stdin (prompted, not echoed)
  codex-login status [--json]        who is signed in; exit 0 when logged in, 1 when not
  codex-login logout [--no-revoke]   revoke the refresh token, then remove auth.json
  codex-login refresh                refresh the stored tokens now
  codex-login token [--json]         print a valid access token for scripts (refreshed first
                                     when it expires within 5 minutes)

Every command takes --codex-home DIR, -c key=value, --issuer, --client-id and
--insecure-issuer.

Options for login:
  --codex-home DIR    where auth.json goes (default: $CODEX_HOME, else ~/.codex)
  -c, --config K=V    override a config.toml key, as \`codex -c\` (repeatable); honoured:
                      forced_login_method, forced_chatgpt_workspace_id,
                      cli_auth_credentials_store
  --issuer URL        OAuth issuer (default ${DEFAULT_ISSUER})
  --api-base URL      API base for credit redemption (default derived from an OpenAI
                      issuer; other issuers: no redemption without it)
  --platform-url URL  platform site for org setup (default derived from an OpenAI issuer)
  --insecure-issuer   accept a plain http:// issuer that is not on this machine
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

type Command = (args: string[], io: CliIo) => Promise<number | undefined>;

// Loaded on demand: a command pays start-up time only for the modules it uses.
const COMMANDS: Record<string, () => Promise<Command>> = {
  login: async () => (await import("./commands/login.ts")).loginCommand,
  status: async () => (await import("./commands/status.ts")).statusCommand,
  logout: async () => (await import("./commands/logout.ts")).logoutCommand,
  refresh: async () => (await import("./commands/refresh.ts")).refreshCommand,
  token: async () => (await import("./commands/token.ts")).tokenCommand,
};

async function dispatch(args: string[], io: CliIo): Promise<number> {
  if (args.includes("--version") || args.includes("-V")) {
    io.out(`codex-login ${VERSION}`);
    return ExitCode.Ok;
  }
  const first = args[0];
  if (first === "help" || ((first === "--help" || first === "-h") && args.length === 1)) {
    io.out(USAGE);
    return ExitCode.Ok;
  }
  const named = first !== undefined && !first.startsWith("-");
  const command = named ? first : "login";
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!load) {
    throw usageError(
      `Unknown command ${JSON.stringify(command)}. Commands: ${
        Object.keys(COMMANDS).join(", ")
      }. Run codex-login --help.`,
    );
  }
  const run = await load();
  const code = await run(named ? args.slice(1) : args, io);
  if (code !== undefined) return code;
  io.out(USAGE);
  return ExitCode.Ok;
}

/**
 * Run the CLI with `args`; resolves to the exit code. Never throws for a user's mistake:
 * those are one- or two-line messages on `io.log`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCli } from "./cli.ts";
 * const out: string[] = [];
 * const code = await runCli(["--version"], { log: () => {}, out: (t) => out.push(t) });
 * assert.equal(code, 0);
 * assert.match(out[0], /^codex-login \d+\.\d+\.\d+/);
 * ```
 */
export async function runCli(args: string[], io: CliIo = defaultIo): Promise<number> {
  try {
    const code = await dispatch(args, io);
    activeLog()?.event("exit", { code });
    return code;
  } catch (err) {
    const log = activeLog();
    if (err instanceof LoginError) {
      io.log(`Error: ${err.message}`);
      log?.event("exit", { code: err.exitCode, error: err.kind, message: err.message });
      if (log?.path) io.log(`Details: ${log.path}`);
      return err.exitCode;
    }
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    io.log(`Error: unexpected failure (${message}). Please report it with the command you ran.`);
    log?.event("exit", { code: ExitCode.Failed, error: "unexpected", message });
    if (log?.path) io.log(`Details: ${log.path}`);
    return ExitCode.Failed;
  } finally {
    await activeLog()?.flush();
  }
}
