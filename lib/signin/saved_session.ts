/**
 * The commands that act on one account without switching (`token --account`, `status
 * --account`, `refresh --account`, `logout --account`, `logout --all`), and the guard every
 * refresh goes through. For the active account they use Codex's store, never the saved copy.
 * A saved copy is refreshed under Codex's two locks and `accounts/.lock`, re-read under them;
 * its session ending is recorded on it.
 *
 * Never refreshing an account a running Codex may hold: the active one is not refreshed while
 * lsof sees a Codex on this home (a still valid access token is handed out instead); a copy
 * switched away from while a Codex ran is not refreshed until lsof shows none (not even when
 * lsof cannot tell).
 *
 * @module
 */

import { errorText, LoginError } from "../base/errors.ts";
import { type AuthData, AuthFileError, provenanceOf } from "../store/auth_data.ts";
import type { Settings } from "../store/config.ts";
import type { CredentialStore, LockedStore } from "../store/credential_store.ts";
import type { AccountEntry, LockedAccounts, SavedAccounts } from "../store/saved_accounts.ts";
import type { IssuerClient } from "../issuer/issuer.ts";
import { accountFacts } from "./account_identity.ts";
import { activeCredentials, activeLocked, keepCopy, resolveAccount } from "./accounts.ts";
import { type CodexDetection, codexRunningError } from "./codex_running.ts";
import { revocable } from "./account.ts";

/** What the per-account commands stand on. */
export interface SavedContext {
  /** Where Codex reads its credentials. */
  store: CredentialStore;
  /** The saved accounts. */
  saved: SavedAccounts;
  /** config.toml with `-c`. */
  settings: Settings;
  /** Whether a Codex runs on this home. */
  detect: () => Promise<CodexDetection>;
  /** The clock. */
  now: () => Date;
}

/** An account named on the command line. */
export interface NamedAccount {
  /** Its saved entry. */
  entry: AccountEntry;
  /** It is what Codex reads now (its store answers, not the copy). */
  active: boolean;
}

/** Whether `entry` is the account Codex reads now. */
async function isActive(ctx: SavedContext, entry: AccountEntry): Promise<boolean> {
  const active = await activeCredentials(ctx.store, ctx.settings).catch((err) => {
    if (err instanceof AuthFileError) return undefined;
    throw err;
  });
  return active !== undefined && (await accountFacts(active)).key === entry.key;
}

/** The saved account `query` names (exit 2 listing the candidates otherwise), and if active. */
export async function namedAccount(ctx: SavedContext, query: string): Promise<NamedAccount> {
  const entry = resolveAccount(await ctx.saved.list(), query);
  return { entry, active: await isActive(ctx, entry) };
}

/**
 * The check before refreshing the active account: a Codex seen running refuses it (Codex
 * refreshes it itself, with no lock: two refreshes of one token end the session). When lsof
 * cannot tell, the refresh goes ahead under Codex's locks, as it always did.
 */
export function activeHolder(ctx: SavedContext): () => Promise<LoginError | undefined> {
  return async () => {
    const codex = await ctx.detect();
    if (codex.state !== "running") return undefined;
    return codexRunningError(
      codex,
      "It refreshes this account itself, without a lock, so a refresh here too could race it and end the session; nothing was refreshed.",
      "Let Codex refresh it (use it once), or quit Codex, then run this again.",
    );
  };
}

/** The check before refreshing a saved copy: only a copy marked as maybe held by a Codex. */
export function copyHolder(
  ctx: SavedContext,
  entry: AccountEntry,
): () => Promise<LoginError | undefined> {
  return async () => {
    if (!entry.codex_may_hold) return undefined;
    const codex = await ctx.detect();
    if (codex.state === "none") return undefined;
    return codexRunningError(
      codex,
      `${entry.label} was switched away from while a Codex ran, which may still hold it in memory, so it is not refreshed here; nothing was refreshed.`,
      codex.state === "running"
        ? "Quit that Codex, then run this again."
        : `Install lsof so codex-login can tell that Codex has quit, or switch to ${entry.label} (it is then refreshed as the active account).`,
    );
  };
}

/** Record on `entry` that its session ended (the issuer's code), so the list says so. */
async function markEnded(ctx: SavedContext, entry: AccountEntry, code: string): Promise<void> {
  await ctx.saved.withLock(async (accounts) => {
    const current = accounts.list().find((e) => e.id === entry.id);
    if (current) await accounts.update({ ...current, ended: code });
  }).catch(() => {});
}

/** Run `fn` on `named`; a saved copy whose session ends is marked as ended. */
export async function recordEnded<T>(
  ctx: SavedContext,
  named: NamedAccount | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (named && !named.active && err instanceof LoginError && err.kind === "session_ended") {
      await markEnded(ctx, named.entry, err.oauthCode ?? "session_ended");
    }
    throw err;
  }
}

/** Where an account's credentials are read and saved, and the check before refreshing them. */
export interface AccountTarget {
  /** Codex's store (the active account), or the saved copy as a store. */
  store: CredentialStore;
  /** The refresh guard: {@linkcode activeHolder} or {@linkcode copyHolder}. */
  holder: () => Promise<LoginError | undefined>;
}

/**
 * Run `fn` on the account `query` names (`--account`): Codex's store when `query` is undefined
 * or names the active account, else the saved copy, each with its refresh guard; a saved copy
 * whose session ends is marked as ended.
 */
export async function onAccount<T>(
  ctx: SavedContext,
  query: string | undefined,
  fn: (target: AccountTarget) => Promise<T>,
): Promise<T> {
  const named = query === undefined ? undefined : await namedAccount(ctx, query);
  const copy = named && !named.active ? named.entry : undefined;
  const target = copy
    ? { store: copyStore(ctx, copy), holder: copyHolder(ctx, copy) }
    : { store: ctx.store, holder: activeHolder(ctx) };
  return await recordEnded(ctx, named, () => fn(target));
}

/** The copy's entry under the lock, still saved and still not the active account. */
async function lockedEntry(
  ctx: SavedContext,
  locked: LockedStore,
  accounts: LockedAccounts,
  entry: AccountEntry,
): Promise<AccountEntry> {
  const current = accounts.list().find((e) => e.id === entry.id);
  if (!current) {
    throw new LoginError("usage", {
      what: `${entry.label} was forgotten meanwhile (another codex-login); nothing was changed.`,
      code: "accounts.unknown",
    });
  }
  const active = await activeLocked(locked, ctx.store, ctx.settings).catch(() => undefined);
  if (active && (await accountFacts(active)).key === entry.key) {
    throw new LoginError("lock_busy", {
      what: `${entry.label} became the active account meanwhile; nothing was changed.`,
      next: "Run this again: it then uses Codex's credentials.",
    });
  }
  const held = await copyHolder(ctx, current)();
  if (held) throw held;
  return current;
}

/**
 * The saved copy of `entry` as a {@linkcode CredentialStore}, so `refreshAuth` and
 * `currentToken` work on it unchanged: reads need no lock; writes happen under Codex's two
 * locks and `accounts/.lock`, and a refresh saved there clears the copy's Codex mark (it was
 * only refreshed because no Codex runs).
 */
export function copyStore(ctx: SavedContext, entry: AccountEntry): CredentialStore {
  const withLock = <T>(fn: (store: LockedStore) => Promise<T>): Promise<T> =>
    ctx.store.withLock((locked) =>
      ctx.saved.withLock(async (accounts) => {
        const current = await lockedEntry(ctx, locked, accounts, entry);
        return await fn({
          load: () => accounts.load(current),
          save: async (data) => {
            await keepCopy(accounts, data, {
              now: ctx.now(),
              leftWhile: { state: "none" },
              where: `The refreshed copy of ${entry.label}`,
            });
          },
          remove: async () => {
            await accounts.remove(current);
            return true;
          },
        });
      })
    );
  return {
    kind: entry.store,
    home: ctx.saved.home,
    describe: () => `the saved copy of ${entry.label} (${ctx.saved.describe(entry)})`,
    load: () => ctx.saved.load(entry),
    save: (data) => withLock((locked) => locked.save(data)),
    remove: () => withLock((locked) => locked.remove()),
    withLock,
  };
}

/** What `logout` with saved accounts did for one account. */
export interface Forgotten {
  /** Its label (or email) for messages. */
  label: string;
  /** It was the active account. */
  active: boolean;
  /** `revoked`, `skipped` (nothing to revoke, or `--no-revoke`), or why the revoke failed. */
  revoke: "revoked" | "skipped" | { failed: string };
}

/** Which accounts `logout` forgets. */
export interface ForgetRequest {
  /** Saved accounts to forget (besides the active one). */
  entries: AccountEntry[];
  /** Sign the active credentials out too (and forget their copy). */
  active: boolean;
  /**
   * With `active`: only when, under the locks, they are this account's (an entry's key): an
   * account named on the command line is signed out if it is the active one then, else forgotten
   * as a saved copy, whatever a switch meanwhile did.
   */
  activeKey?: string;
  /** Revoke their sessions at the issuer. */
  revoke: boolean;
}

/** Remove what `request` names under the locks; the documents to revoke afterwards. */
async function removeLocked(
  ctx: SavedContext,
  request: ForgetRequest,
): Promise<{ label: string; active: boolean; doc?: AuthData }[]> {
  return await ctx.store.withLock((locked) =>
    ctx.saved.withLock(async (accounts) => {
      const out: { label: string; active: boolean; doc?: AuthData }[] = [];
      let activeKey: string | undefined;
      if (request.active) {
        const doc = await activeLocked(locked, ctx.store, ctx.settings).catch(() => undefined);
        const facts = doc ? await accountFacts(doc) : undefined;
        const still = request.activeKey === undefined || request.activeKey === facts?.key;
        activeKey = still ? facts?.key : undefined;
        if (still && await locked.remove()) {
          const entry = accounts.list().find((e) => e.key === activeKey);
          out.push({
            label: entry?.label ?? facts?.email ?? "the active account",
            active: true,
            doc,
          });
        }
      }
      const forget = accounts.list().filter((e) =>
        e.key === activeKey || request.entries.some((r) => r.id === e.id)
      );
      for (const entry of forget) {
        const doc = await accounts.load(entry).catch(() => undefined);
        await accounts.remove(entry);
        // The active account's session is revoked from Codex's credentials, not its older copy.
        if (entry.key !== activeKey) out.push({ label: entry.label, active: false, doc });
      }
      return out;
    })
  );
}

/**
 * `logout` with saved accounts: remove and forget what `request` names (under the locks), then
 * revoke each session at its own issuer (best effort, in parallel, after the locks).
 */
export async function forgetAccounts(
  ctx: SavedContext,
  client: IssuerClient,
  request: ForgetRequest,
): Promise<Forgotten[]> {
  const removed = await removeLocked(ctx, request);
  return await Promise.all(removed.map(async ({ label, active, doc }) => {
    const target = request.revoke && doc ? revocable(doc) : undefined;
    if (!doc || !target) return { label, active, revoke: "skipped" as const };
    try {
      await client.at(provenanceOf(doc)).revoke(target.token, undefined, target.kind);
      return { label, active, revoke: "revoked" as const };
    } catch (err) {
      return { label, active, revoke: { failed: errorText(err) } };
    }
  }));
}
