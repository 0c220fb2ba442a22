/**
 * The command line's dispatch: the command name (or `--version`, the global help), then the
 * command from `commands/`, loaded on demand; every {@linkcode LoginError} becomes its exit
 * code and a one- or two-line message. Each command's help lives beside its flags.
 *
 * @module
 */

import { errorText, EXIT_CODE_SUMMARY, ExitCode, LoginError, usageError } from "../base/errors.ts";
import type { Command, CommandRun } from "./flags.ts";
import { closest, fitHelp } from "./args.ts";
import { commandIndex } from "./common_options.ts";
import { commandLine, installDescription } from "../base/invocation.ts";
import { type CliIo, terminalIo } from "./io.ts";
import { VERSION } from "../base/version.ts";

export type { CliIo };

/** The commands, each loaded on demand (a command pays start-up only for what it uses). */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  login: {
    summary: "sign in with your browser, a device code or an API key (the default)",
    load: async () => (await import("./commands/login.ts")).loginCommand,
  },
  status: {
    summary: "who is signed in; exit 0 when logged in, 1 when not",
    load: async () => (await import("./commands/status.ts")).statusCommand,
  },
  logout: {
    summary: "revoke the refresh token, then remove the credentials",
    load: async () => (await import("./commands/logout.ts")).logoutCommand,
  },
  refresh: {
    summary: "refresh the stored tokens now",
    load: async () => (await import("./commands/refresh.ts")).refreshCommand,
  },
  token: {
    summary: "print a valid access token for scripts",
    load: async () => (await import("./commands/token.ts")).tokenCommand,
  },
  accounts: {
    summary: "list the saved accounts (login --add keeps several); --usage: their limits",
    load: async () => (await import("./commands/accounts.ts")).accountsCommand,
  },
  switch: {
    summary: "make a saved account the one Codex uses",
    load: async () => (await import("./commands/switch.ts")).switchCommand,
  },
  completion: {
    summary: "a shell completion script: codex-login completion bash|zsh|fish",
    load: async () =>
      (await import("./commands/completion.ts")).completionCommandFor(COMMANDS, "login"),
  },
};

/** The global help page: the commands, and where each command's own help is. */
export const USAGE = `codex-login ${VERSION}: sign in to ChatGPT/OpenAI for the Codex CLI.

Usage:
  codex-login [command] [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(11)}${c.summary}`).join("\n")}

Run \`codex-login <command> --help\` for a command's options and examples.
Every command takes --codex-home DIR, -c key=value, --issuer URL,
--client-id ID, --insecure-issuer, --verbose and -q/--quiet.

Examples:
  codex-login                  sign in with the browser; credentials go where Codex reads them
  codex-login status           who is signed in
  codex-login token            an access token for a script
  codex-login login --add      sign in another account and keep this one
  codex-login switch work      Codex now uses the saved account labelled work

Exit codes: ${EXIT_CODE_SUMMARY}.`;

/** A command's help page (the flag module is loaded only when a page is asked for). */
async function helpOf(command: Command): Promise<string> {
  return (await import("./flags.ts")).commandHelp(command.help);
}

async function dispatch(args: readonly string[], run: CommandRun): Promise<number> {
  const { io } = run;
  if (args.includes("--version") || args.includes("-V")) {
    io.out(`codex-login ${VERSION}\nDeno ${Deno.version.deno}\ninstalled: ${installDescription()}`);
    return ExitCode.Ok;
  }
  const first = args[0];
  if (first === "help" && args.length === 2 && Object.hasOwn(COMMANDS, args[1])) {
    io.out(await helpOf(await COMMANDS[args[1]].load()));
    return ExitCode.Ok;
  }
  if (first === "help" || ((first === "--help" || first === "-h") && args.length === 1)) {
    io.out(fitHelp(USAGE));
    return ExitCode.Ok;
  }
  const at = commandIndex(args);
  const named = at >= 0;
  const name = named ? args[at] : "login";
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    const guess = closest(name, Object.keys(COMMANDS));
    throw usageError(
      `Unknown command ${JSON.stringify(name)}.${guess ? ` Did you mean ${guess}?` : ""}`,
      `Commands: ${Object.keys(COMMANDS).join(", ")}. Run ${commandLine(["--help"])}.`,
    );
  }
  const command = await entry.load();
  const code = await command.run(named ? [...args.slice(0, at), ...args.slice(at + 1)] : args, run);
  if (code !== undefined) return code;
  io.out(await helpOf(command));
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
export async function runCli(
  args: readonly string[],
  io: CliIo = terminalIo(),
): Promise<number> {
  const run: CommandRun = { io };
  try {
    const code = await dispatch(args, run);
    run.trace?.event("exit", { code });
    await run.trace?.flush();
    return code;
  } catch (err) {
    const log = run.trace;
    const known = err instanceof LoginError;
    const message = known
      ? err.message
      : `unexpected failure (${
        err instanceof Error ? `${err.name}: ${errorText(err)}` : errorText(err)
      }). Please report it with the command you ran.`;
    io.log(`Error: ${message}`);
    log?.event("exit", {
      code: known ? err.exitCode : ExitCode.Failed,
      error: known ? err.code : "unexpected",
      message: known ? err.what : message,
    });
    await log?.flush();
    // Only a log that exists is named (a command that failed before the codex home existed
    // wrote none).
    if (log?.path && await Deno.lstat(log.path).then(() => true, () => false)) {
      io.log(`Details: ${log.path}`);
    }
    return known ? err.exitCode : ExitCode.Failed;
  }
}
