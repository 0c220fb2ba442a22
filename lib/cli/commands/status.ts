/**
 * `codex-login status [--json]`: who is signed in; exit 0 when logged in, 1 when not (or
 * when the stored credentials break config.toml's policy, which Codex would log out).
 *
 * @module
 */

import { formatStatus, getStatus } from "../../signin/account.ts";
import type { CliIo } from "../io.ts";
import { ExitCode } from "../../base/errors.ts";
import { commandFlags } from "../flags.ts";

/** Run `status`. Returns the exit code; `undefined` asks the caller to print the usage. */
export async function statusCommand(args: string[], io: CliIo): Promise<number | undefined> {
  const flags = commandFlags("status", args, { json: { type: "boolean" } });
  if (!flags) return undefined;
  const { store, settings } = await flags.setup("read", io.log);
  const report = await getStatus(store, settings);
  io.out(flags.values.json ? JSON.stringify(report) : formatStatus(report, new Date()));
  // Credentials that break config.toml's policy are as good as gone: Codex logs them out.
  const usable = report.logged_in && (report.policy_violations ?? []).length === 0;
  return usable ? ExitCode.Ok : ExitCode.Failed;
}
