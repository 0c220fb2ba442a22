/**
 * `codex-login logout [--no-revoke]`: revoke the refresh token, then remove the credentials.
 *
 * @module
 */

import { logout } from "../../signin/account.ts";
import type { CliIo } from "../io.ts";
import { ExitCode } from "../../base/errors.ts";
import { commandFlags } from "../flags.ts";

/** Run `logout`. Returns the exit code; `undefined` asks the caller to print the usage. */
export async function logoutCommand(args: string[], io: CliIo): Promise<number | undefined> {
  const flags = commandFlags("logout", args, { "no-revoke": { type: "boolean" } });
  if (!flags) return undefined;
  const { store, trace } = await flags.setup("write", io.log);
  const client = flags.issuerClient(5_000, trace);
  const outcome = await logout({ store, client, revoke: !flags.values["no-revoke"] });
  if (!outcome.removed) {
    io.log("Not logged in; nothing to do.");
    return ExitCode.Ok;
  }
  if (typeof outcome.revoke === "object") {
    io.log(`Warning: ${outcome.revoke.failed} The refresh token may stay valid until it expires.`);
  } else if (outcome.revoke === "revoked") {
    io.log("Revoked the refresh token at the issuer.");
  }
  io.log(`Logged out: removed ${store.describe()}.`);
  return ExitCode.Ok;
}
