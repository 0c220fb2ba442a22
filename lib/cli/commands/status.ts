/**
 * `codex-login status [--json]`: who is signed in; exit 0 when logged in, 1 when not (or
 * when the stored credentials break config.toml's policy, which Codex would log out).
 *
 * @module
 */

import {
  formatStatus,
  type StatusReport,
  statusWithEnvironment,
} from "../../signin/status_report.ts";
import { readEnv } from "../../base/permissions.ts";
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
  notes: [
    "As Codex: a workload identity (OPENAI_FEDERATION_RULE_ID, OPENAI_IDENTITY_TOKEN_*...) or",
    "CODEX_ACCESS_TOKEN in the environment takes over from the stored credentials.",
    "Exit codes: 0 logged in, 1 not logged in (or against config.toml's policy).",
  ],
} satisfies Command["help"];

type Flags = NonNullable<ReturnType<typeof commandFlags<typeof help.options>>>;

/** The report, environment first (as Codex's `login status`). */
async function report(flags: Flags): Promise<StatusReport> {
  const setup = await flags.setup("read");
  return await statusWithEnvironment(setup.store, setup.settings, {
    read: (name) => readEnv(name, false, true),
    client: setup.issuer(15_000),
  });
}

/** What to do about credentials from the environment that cannot be used. */
function environmentNext(report: StatusReport): string {
  return report.auth_mode === "workloadIdentity"
    ? "Fix the workload identity's variables, or unset them: Codex reads them before anything stored."
    : "Check CODEX_ACCESS_TOKEN (whole, not expired), or unset it: Codex reads it before anything stored.";
}

/**
 * `status --json`: always one JSON object on stdout, for the script that pipes it into `jq`;
 * when the credentials (or the settings) cannot be read, `logged_in: false` and an `error`
 * with its code and message, and the error on stderr too.
 */
async function jsonStatus(
  flags: Flags,
  io: CliIo,
): Promise<number> {
  try {
    const got = await report(flags);
    io.out(safeJson(got));
    if (got.error) io.log(`Error checking login status: ${got.error.message}`);
    return usable(got) ? ExitCode.Ok : ExitCode.Failed;
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
  const got = await report(flags);
  if (got.error) {
    // Codex's own words, then what to do about it.
    io.log(`Error checking login status: ${got.error.message}`);
    io.log(environmentNext(got));
    return ExitCode.Failed;
  }
  io.out(formatStatus(got, new Date()));
  return usable(got) ? ExitCode.Ok : ExitCode.Failed;
}

/** `codex-login status`. */
export const statusCommand: Command = { help, run };
