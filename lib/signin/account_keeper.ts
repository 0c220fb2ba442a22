/**
 * A sign-in beside the saved accounts (`login --add`, and every sign-in once a list exists):
 * under Codex's two locks and then `accounts/.lock`, the credentials being replaced are kept as
 * their account's saved copy (with `--add`, or when that account is in the list: never revoked),
 * the new ones become what Codex reads, and they are saved to the list too (replacing an older
 * copy of the same account, whose session is then retired). A plain sign-in over credentials the
 * list does not know retires them, as a sign-in always did.
 *
 * @module
 */

import { flowEvent, type Report, silent } from "../base/events.ts";
import { commandLine } from "../base/invocation.ts";
import { errorText } from "../base/errors.ts";
import { type AuthData, managedRefreshToken } from "../store/auth_data.ts";
import type { Settings } from "../store/config.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import type { LockedAccounts, SavedAccounts } from "../store/saved_accounts.ts";
import { type AccountFacts, accountFacts, mixedAccounts } from "./account_identity.ts";
import { activeLocked, keepCopy } from "./accounts.ts";
import type { CodexDetection } from "./codex_running.ts";
import type { SignInKeeper } from "./sign_in.ts";

/** How a sign-in is kept. */
export interface KeeperOptions {
  /** The saved accounts of the codex home. */
  saved: SavedAccounts;
  /** config.toml (with `auto`, Codex reads auth.json when its keyring entry is empty). */
  settings: Settings;
  /** `login --add`: keep the replaced credentials even when the list does not know them. */
  add: boolean;
  /** The label the new account gets (`--label`). */
  label?: string;
  /** Whether a Codex ran when the sign-in started (a kept account is marked: it may hold it). */
  codexSeen?: CodexDetection;
  /** Where notes go. */
  report?: Report;
  /** The clock. */
  now?: () => Date;
}

/** The saved copy of `facts`' account, if any: its session is retired when replaced. */
async function oldCopyToken(
  accounts: LockedAccounts,
  facts: AccountFacts,
): Promise<string | undefined> {
  const entry = accounts.list().find((e) => e.key === facts.key);
  if (!entry) return undefined;
  return managedRefreshToken(await accounts.load(entry).catch(() => undefined));
}

/**
 * Keep (or retire) the credentials a sign-in replaces; resolves to the refresh token to retire.
 */
async function keepReplaced(
  accounts: LockedAccounts,
  current: AuthData | undefined,
  next: AccountFacts,
  options: KeeperOptions,
  now: Date,
): Promise<string | undefined> {
  if (!current) return await oldCopyToken(accounts, next);
  const facts = await accountFacts(current);
  // The same account signed in again: its earlier session is retired, as always.
  if (facts.key === next.key) return managedRefreshToken(current);
  const report = options.report ?? silent;
  const entry = accounts.list().find((e) => e.key === facts.key);
  if (!entry && !options.add) {
    // Not in the list, not asked to keep: replaced and retired, as a sign-in always did.
    return managedRefreshToken(current);
  }
  if (mixedAccounts(current)) {
    report(flowEvent(
      "warning",
      "accounts.mixed_not_kept",
      "Warning: the credentials this sign-in replaced mixed two accounts, so they were not saved to the list.",
    ));
    return await oldCopyToken(accounts, next);
  }
  // A sign-in does not need lsof: a Codex not ruled out leaves the copy's mark as it was.
  const seen = options.codexSeen?.state === "unknown" ? undefined : options.codexSeen;
  const kept = await keepCopy(accounts, current, { now, leftWhile: seen, where: "auth.json" });
  report(flowEvent(
    "note",
    "accounts.kept",
    `Kept ${kept.label} in your saved accounts (not signed out): \`${
      commandLine(["switch", kept.label])
    }\` makes it active again.`,
    { label: kept.label },
  ));
  return await oldCopyToken(accounts, next);
}

/** Save the new credentials to the list; a failure is a warning (Codex has them already). */
async function keepNew(
  accounts: LockedAccounts,
  next: AuthData,
  options: KeeperOptions,
  now: Date,
): Promise<void> {
  const report = options.report ?? silent;
  try {
    const entry = await keepCopy(accounts, next, {
      label: options.label,
      now,
      fresh: true,
      where: "The new credentials",
    });
    if (options.label && entry.label !== options.label) {
      report(flowEvent(
        "warning",
        "accounts.label_taken",
        `Warning: the label ${options.label} is another account's; this one was saved as ${entry.label}.`,
        { label: entry.label },
      ));
    }
    report(flowEvent(
      "note",
      "accounts.saved",
      `Saved as ${entry.label} in your accounts (\`${commandLine(["accounts"])}\` lists them).`,
      { label: entry.label },
    ));
  } catch (err) {
    report(flowEvent(
      "warning",
      "accounts.not_saved",
      `Warning: signed in, but the account could not be added to your saved accounts (${
        errorText(err)
      }); \`switch\` will save it later.`,
    ));
  }
}

/**
 * Save `next` as what Codex reads, keeping or retiring what it replaces (see the module); the
 * refresh token to retire, if any.
 */
async function keepSignIn(
  options: KeeperOptions,
  store: CredentialStore,
  next: AuthData,
): Promise<string | undefined> {
  const facts = await accountFacts(next);
  const now = (options.now ?? (() => new Date()))();
  return await store.withLock((locked) =>
    options.saved.withLock(async (accounts) => {
      const listed = accounts.list().length > 0;
      const current = await activeLocked(locked, store, options.settings).catch(() => undefined);
      const retire = listed || options.add
        ? await keepReplaced(accounts, current, facts, options, now)
        : managedRefreshToken(current);
      await locked.save(next);
      if (listed || options.add) await keepNew(accounts, next, options, now);
      return retire;
    })
  );
}

/**
 * The {@linkcode SignInKeeper} of a sign-in that goes to the saved accounts too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accountKeeper } from "./account_keeper.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * import { FileCredentialStore } from "../store/file_store.ts";
 * import { SavedAccounts } from "../store/saved_accounts.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * const saved = new SavedAccounts(home);
 * const keeper = accountKeeper({ saved, settings: {}, add: true, label: "ci" });
 * const store = new FileCredentialStore(home);
 * await keeper.save(store, { auth_mode: "apikey", OPENAI_API_KEY: "sk-proj-x" });
 * assert.deepEqual((await saved.list()).map((e) => e.label), ["ci"]);
 * ```
 */
export function accountKeeper(
  options: KeeperOptions,
): SignInKeeper & { save(store: CredentialStore, auth: AuthData): Promise<string | undefined> } {
  return { save: (store: CredentialStore, auth: AuthData) => keepSignIn(options, store, auth) };
}
