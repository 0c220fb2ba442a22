/**
 * `codex-login logout [--no-revoke]`: revoke the refresh token, then remove the credentials.
 *
 * @module
 */

import { logout } from "../../signin/account.ts";
import { ExitCode } from "../../base/errors.ts";
import { type Command, commandFlags, type CommandRun } from "../flags.ts";

const help = {
  name: "logout",
  summary: "revoke the refresh token at the issuer, then remove the credentials",
  usage: ["logout [--no-revoke]"],
  options: {
    "no-revoke": { type: "boolean", help: "remove the credentials without telling the issuer" },
  },
  examples: [
    ["codex-login logout", "sign out here and end the session at the issuer"],
    ["codex-login logout --no-revoke", "offline: only remove the stored credentials"],
  ],
} satisfies Command["help"];

/** Run `logout`. Returns the exit code; `undefined` asks the caller to print the usage. */
async function run(args: readonly string[], run: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, run);
  if (!flags) return undefined;
  const { io } = run;
  const setup = await flags.setup("write");
  const store = setup.store;
  const client = setup.issuer(5_000);
  const outcome = await logout({ store, client, revoke: !flags.values["no-revoke"] });
  if (!outcome.removed) {
    if (!flags.quiet) io.log("Not logged in; nothing to do.");
    return ExitCode.Ok;
  }
  if (typeof outcome.revoke === "object") {
    io.log(`Warning: ${outcome.revoke.failed} The refresh token may stay valid until it expires.`);
  } else if (outcome.revoke === "revoked" && !flags.quiet) {
    io.log("Revoked the refresh token at the issuer.");
  }
  if (!flags.quiet) io.log(`Logged out: removed ${store.describe()}.`);
  return ExitCode.Ok;
}

/** `codex-login logout`. */
export const logoutCommand: Command = { help, run };
