/**
 * `codex-login logout [--no-revoke] [--account ACCOUNT | --all]`: revoke the refresh token, then
 * remove the credentials (and the active account's saved copy); `--account` signs one saved
 * account out and forgets it, `--all` every one.
 *
 * @module
 */

import { logout } from "../../signin/account.ts";
import { ExitCode, usageError } from "../../base/errors.ts";
import { safeLine } from "../../base/terminal_safe.ts";
import { resolveAccount } from "../../signin/accounts.ts";
import {
  forgetAccounts,
  type ForgetRequest,
  type Forgotten,
  type SavedContext,
} from "../../signin/saved_session.ts";
import type { CliIo } from "../io.ts";
import { type Command, commandFlags, type CommandRun } from "../flags.ts";
import { savedContext } from "../saved_context.ts";

const help = {
  name: "logout",
  summary: "revoke the refresh token at the issuer, then remove the credentials",
  usage: ["logout [--no-revoke] [--account ACCOUNT | --all]"],
  options: {
    "no-revoke": { type: "boolean", help: "remove the credentials without telling the issuer" },
    account: {
      type: "string",
      value: "ACCOUNT",
      help: "sign out one saved account and forget it (see `accounts`)",
    },
    all: { type: "boolean", help: "sign out every saved account and the active one" },
  },
  examples: [
    ["codex-login logout", "sign out here and end the session at the issuer"],
    ["codex-login logout --account personal", "sign out and forget one saved account"],
    ["codex-login logout --all", "sign out every account"],
    ["codex-login logout --no-revoke", "offline: only remove the stored credentials"],
  ],
} satisfies Command["help"];

/** Which accounts `--account` or `--all` (or neither) names. */
async function forgetRequest(
  ctx: SavedContext,
  values: { account?: string; all?: boolean },
  revoke: boolean,
): Promise<ForgetRequest> {
  if (values.all) return { entries: await ctx.saved.list(), active: true, revoke };
  if (values.account === undefined) return { entries: [], active: true, revoke };
  const entry = resolveAccount(await ctx.saved.list(), values.account);
  // Whether it is the active account is told under the locks.
  return { entries: [entry], active: true, activeKey: entry.key, revoke };
}

function say(io: CliIo, quiet: boolean, done: Forgotten[], where: string): void {
  for (const one of done) {
    const label = safeLine(one.label);
    if (typeof one.revoke === "object") {
      io.log(
        `Warning: ${label}: ${one.revoke.failed} The refresh token may stay valid until it expires.`,
      );
    } else if (one.revoke === "revoked" && !quiet) {
      io.log(`Revoked the session of ${label} at the issuer.`);
    }
    if (quiet) continue;
    io.log(one.active ? `Logged out ${label}: removed ${where}.` : `Forgot ${label}.`);
  }
}

/** Run `logout`. Returns the exit code; `undefined` asks the caller to print the usage. */
async function run(args: readonly string[], run: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, run);
  if (!flags) return undefined;
  const { io } = run;
  const { values } = flags;
  if (values.all && values.account !== undefined) {
    throw usageError("--all and --account cannot be used together.", "Choose one.");
  }
  const setup = await flags.setup("write");
  const store = setup.store;
  const client = setup.issuer(5_000);
  const revoke = !values["no-revoke"];
  const ctx = savedContext(setup);
  if (values.account !== undefined || (await ctx.saved.list()).length > 0) {
    const done = await forgetAccounts(ctx, client, await forgetRequest(ctx, values, revoke));
    if (done.length === 0 && !flags.quiet) io.log("Not logged in; nothing to do.");
    say(io, flags.quiet, done, store.describe());
    return ExitCode.Ok;
  }
  const outcome = await logout({ store, client, revoke });
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
