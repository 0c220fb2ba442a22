/**
 * `codex-login status [--json]`: who is signed in; exit 0 when logged in, 1 when not (or
 * when the stored credentials break config.toml's policy, which Codex would log out).
 *
 * @module
 */

import { formatStatus, getStatus } from "../../signin/status_report.ts";
import { safeJson } from "../../base/terminal_safe.ts";
import { ExitCode } from "../../base/errors.ts";
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

/** Run `status`. Returns the exit code; `undefined` asks the caller to print the usage. */
async function run(args: readonly string[], run: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, run);
  if (!flags) return undefined;
  const { io } = run;
  const { store, settings } = await flags.setup("read");
  const report = await getStatus(store, settings);
  io.out(flags.values.json ? safeJson(report) : formatStatus(report, new Date()));
  // Credentials that break config.toml's policy are as good as gone: Codex logs them out.
  const usable = report.logged_in && (report.policy_violations ?? []).length === 0;
  return usable ? ExitCode.Ok : ExitCode.Failed;
}

/** `codex-login status`. */
export const statusCommand: Command = { help, run };
