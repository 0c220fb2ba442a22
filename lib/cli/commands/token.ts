/**
 * `codex-login token [--json] [--account ACCOUNT]`: print a valid access token for scripts (as
 * `gh auth token`), refreshing it first, under the lock, when Codex would (and no running
 * Codex may hold the account). Only the token goes to stdout.
 *
 * @module
 */

import { safeJson } from "../../base/terminal_safe.ts";
import { ExitCode } from "../../base/errors.ts";
import { accountClaims } from "../../issuer/jwt.ts";
import { currentToken } from "../../signin/token_refresh.ts";
import { chatGptOf } from "../../store/auth_data.ts";
import { onAccount } from "../../signin/saved_session.ts";
import { type Command, commandFlags, type CommandRun } from "../flags.ts";
import { refuseWhenEnvironmentTakesOver } from "./environment.ts";
import { savedContext } from "../saved_context.ts";

const help = {
  name: "token",
  summary: "print a valid access token for scripts",
  usage: ["token [--json] [--account ACCOUNT]"],
  options: {
    json: {
      type: "boolean",
      help: "print {token, kind, auth_mode, expires_at, account_id, refreshed}",
    },
    account: {
      type: "string",
      value: "ACCOUNT",
      help: "a saved account's token, without switching (see `accounts`)",
    },
  },
  examples: [
    ['curl -H "Authorization: Bearer $(codex-login token)" …', "call an API as yourself"],
    ["codex-login token --json", "the token with its expiry, for a script"],
    ["codex-login token --account personal", "another saved account's token"],
  ],
  notes: [
    "The token is refreshed first when it expires within 5 minutes (when its expiry cannot",
    "be read: when it was last refreshed over 8 days ago), unless a running Codex may hold",
    "the account (then the unexpired token is printed as it is). With an API key, prints it.",
  ],
} satisfies Command["help"];

/** Run `token`. Returns the exit code; `undefined` asks the caller to print the usage. */
async function run(args: readonly string[], run: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, run);
  if (!flags) return undefined;
  const { io } = run;
  refuseWhenEnvironmentTakesOver("token");
  const setup = await flags.setup("write");
  const got = await onAccount(
    savedContext(setup),
    flags.values.account,
    ({ store, holder }) =>
      currentToken({ store, client: setup.issuer(15_000), now: () => new Date(), holder }),
  );
  if (!flags.values.json) {
    io.out(got.token);
    return ExitCode.Ok;
  }
  const claims = got.kind === "access_token" ? accountClaims(got.token) : undefined;
  io.out(safeJson({
    token: got.token,
    kind: got.kind,
    auth_mode: got.auth.auth_mode,
    expires_at: claims?.expiresAt?.toISOString() ?? null,
    account_id: claims?.accountId ?? chatGptOf(got.auth)?.tokens.account_id ?? null,
    refreshed: got.refreshed,
  }));
  return ExitCode.Ok;
}

/** `codex-login token`. */
export const tokenCommand: Command = { help, run };
