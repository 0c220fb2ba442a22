/**
 * `codex-login status [--json]`: who is signed in; exit 0 when logged in, 1 when not.
 *
 * @module
 */

import { formatStatus, getStatus } from "../account.ts";
import type { CliIo } from "../cli.ts";
import { ExitCode } from "../errors.ts";
import { commandFlags } from "./flags.ts";

/** Run `status`. Returns the exit code; `undefined` asks the caller to print the usage. */
export async function statusCommand(args: string[], io: CliIo): Promise<number | undefined> {
  const flags = commandFlags("status", args, { json: { type: "boolean" } });
  if (!flags) return undefined;
  const { store } = await flags.setup("read");
  const report = await getStatus(store);
  io.out(flags.values.json ? JSON.stringify(report) : formatStatus(report, new Date()));
  return report.logged_in ? ExitCode.Ok : ExitCode.Failed;
}
