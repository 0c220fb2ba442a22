/**
 * `codex-login status [--json]`: who is signed in; exit 0 when logged in, 1 when not (or
 * when the stored credentials break config.toml's policy, which Codex would log out).
 *
 * @module
 */

import { formatStatus, getStatus, type StatusReport } from "../../signin/status_report.ts";
import { AuthFileError } from "../../store/auth_data.ts";
import type { CliIo } from "../io.ts";
import { safeJson } from "../../base/terminal_safe.ts";
import { ExitCode, LoginError } from "../../base/errors.ts";
import { type Command, commandFlags, type CommandRun } from "../flags.ts";

const help = {
  name: "status",
  summary: "who is signed in, how, and until when",
  usage: ["status [--json]"],
  options: { json: { type: "boolean", help: "print the report as one JSON object" } },
  examples: [
    ["codex-login status", "who is signed in, in which mode, when the tokens expire"],
    ["codex-login status --json | jq -r .email", "the same for a script"],
    ["codex-login status -c forced_login_method=chatgpt", "check against a policy"],
  ],
  notes: ["Exit codes: 0 logged in, 1 not logged in (or against config.toml's policy)."],
} satisfies Command["help"];

/**
 * `status --json`: always one JSON object on stdout, for the script that pipes it into `jq`;
 * when the credentials (or the settings) cannot be read, `logged_in: false` and an `error`
 * with its code and message, and the error on stderr too.
 */
async function jsonStatus(
  flags: NonNullable<ReturnType<typeof commandFlags<typeof help.options>>>,
  io: CliIo,
): Promise<number> {
  try {
    const { store, settings } = await flags.setup("read");
    const report = await getStatus(store, settings);
    io.out(safeJson(report));
    return usable(report) ? ExitCode.Ok : ExitCode.Failed;
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    io.out(safeJson({
      logged_in: false,
      auth_mode: null,
      auth_file: err instanceof AuthFileError ? err.path : null,
      error: { kind: err.kind, code: err.code, message: err.message },
    }));
    throw err;
  }
}

/** Credentials that break config.toml's policy are as good as gone: Codex logs them out. */
function usable(report: StatusReport): boolean {
  return report.logged_in && (report.policy_violations ?? []).length === 0;
}

/** Run `status`. Returns the exit code; `undefined` asks the caller to print the usage. */
async function run(args: readonly string[], run: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, run);
  if (!flags) return undefined;
  const { io } = run;
  if (flags.values.json) return await jsonStatus(flags, io);
  const { store, settings } = await flags.setup("read");
  const report = await getStatus(store, settings);
  io.out(formatStatus(report, new Date()));
  return usable(report) ? ExitCode.Ok : ExitCode.Failed;
}

/** `codex-login status`. */
export const statusCommand: Command = { help, run };
