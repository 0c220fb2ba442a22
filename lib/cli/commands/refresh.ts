/**
 * `codex-login refresh [--account ACCOUNT]`: refresh the stored tokens (or a saved account's
 * copy) now, under the cross-process locks, unless a running Codex may hold the account.
 *
 * @module
 */

import { refreshAuth } from "../../signin/token_refresh.ts";
import { ExitCode } from "../../base/errors.ts";
import { accountClaims } from "../../issuer/jwt.ts";
import { onAccount } from "../../signin/saved_session.ts";
import { type Command, commandFlags, type CommandRun } from "../flags.ts";
import { refuseWhenEnvironmentTakesOver } from "./environment.ts";
import { askForLsof, savedContext } from "../saved_context.ts";

const help = {
  name: "refresh",
  summary: "refresh the stored tokens now",
  usage: ["refresh [--account ACCOUNT]"],
  options: {
    account: {
      type: "string",
      value: "ACCOUNT",
      help: "refresh a saved account's copy, without switching (see `accounts`)",
    },
  },
  examples: [
    ["codex-login refresh", "new tokens for the stored sign-in, saved in place"],
    ["codex-login refresh --account personal", "the same for a saved account"],
    ["codex-login refresh --codex-home ~/work/.codex", "the same for another codex home"],
  ],
  notes: [
    "Refused while Codex runs on this codex home and may hold the account: Codex refreshes it",
    "itself, without a lock, and two refreshes of one token end the session.",
  ],
} satisfies Command["help"];

/** Run `refresh`. Returns the exit code; `undefined` asks the caller to print the usage. */
async function run(args: readonly string[], run: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, run);
  if (!flags) return undefined;
  const { io } = run;
  refuseWhenEnvironmentTakesOver("refresh");
  const setup = await flags.setup("write");
  askForLsof();
  const client = setup.issuer(15_000);
  const { store, auth } = await onAccount(
    savedContext(setup),
    flags.values.account,
    async ({ store, holder }) => ({
      store,
      auth: await refreshAuth({ store, client, now: () => new Date(), holder }),
    }),
  );
  const expires = accountClaims(auth.tokens.id_token).expiresAt?.toISOString();
  if (flags.quiet) return ExitCode.Ok;
  io.log(
    `Refreshed the tokens in ${store.describe()}; the ID token now expires ${
      expires ?? "at an unknown time"
    }.`,
  );
  return ExitCode.Ok;
}

/** `codex-login refresh`. */
export const refreshCommand: Command = { help, run };
