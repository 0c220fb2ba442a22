/**
 * `codex-login refresh`: refresh the stored tokens now, under the cross-process lock.
 *
 * @module
 */

import { refreshAuth } from "../../signin/token_refresh.ts";
import { ExitCode } from "../../base/errors.ts";
import { accountClaims } from "../../issuer/jwt.ts";
import { type Command, commandFlags, type CommandRun } from "../flags.ts";
import { refuseWhenEnvironmentTakesOver } from "./environment.ts";

const help = {
  name: "refresh",
  summary: "refresh the stored tokens now",
  usage: ["refresh"],
  options: {},
  examples: [
    ["codex-login refresh", "new tokens for the stored sign-in, saved in place"],
    ["codex-login refresh --codex-home ~/work/.codex", "the same for another codex home"],
  ],
} satisfies Command["help"];

/** Run `refresh`. Returns the exit code; `undefined` asks the caller to print the usage. */
async function run(args: readonly string[], run: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, run);
  if (!flags) return undefined;
  const { io } = run;
  refuseWhenEnvironmentTakesOver("refresh");
  const setup = await flags.setup("write");
  const store = setup.store;
  const client = setup.issuer(15_000);
  const auth = await refreshAuth({ store, client, now: () => new Date() });
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
