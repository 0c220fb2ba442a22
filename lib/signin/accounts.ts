/**
 * The saved accounts as the commands see them: the active credentials (what Codex reads: with
 * `auto`, its keyring entry, else auth.json), naming an account (`ACCOUNT`: a label, an email, a
 * workspace or user id; unknown or ambiguous is a usage error listing the candidates), which
 * accounts config.toml's policy forbids, keeping a document as its account's saved copy, and the
 * rows `accounts` lists. Nothing here sends a request.
 *
 * @module
 */

import { commandLine } from "../base/invocation.ts";
import { LoginError, usageError } from "../base/errors.ts";
import { safeLine } from "../base/terminal_safe.ts";
import { type AuthData, rfc3339 } from "../store/auth_data.ts";
import type { Settings } from "../store/config.ts";
import type { CredentialStore, LockedStore } from "../store/credential_store.ts";
import { readAuthFile } from "../store/file_store.ts";
import {
  type AccountEntry,
  entryId,
  type LockedAccounts,
  type SavedAccounts,
} from "../store/saved_accounts.ts";
import { type AccountFacts, accountFacts, mixedAccounts, mixedError } from "./account_identity.ts";
import type { CodexDetection } from "./codex_running.ts";
import { methodRefusal, type SignInMethod, workspaceAllowed, workspaceRefusal } from "./policy.ts";

/** What a label may be: a letter or digit, then letters, digits and `._@+-`; 64 at most. */
const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

/**
 * A label the person typed, checked (exit 2 with the rule otherwise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLabel } from "./accounts.ts";
 * assert.equal(checkLabel("work"), "work");
 * assert.throws(() => checkLabel("-x"), /letter or digit/);
 * ```
 */
export function checkLabel(label: string): string {
  if (!LABEL_PATTERN.test(label)) {
    throw usageError(
      `The label ${JSON.stringify(label)} cannot be used.`,
      "A label starts with a letter or digit and holds at most 64 letters, digits and ._@+- (for example work, personal, a@example.com).",
    );
  }
  return label;
}

/** Whether Codex reads auth.json when the keyring entry is empty (`auto` only). */
function fileFallback(store: CredentialStore, settings: Settings): boolean {
  return store.kind === "keyring" && settings.credentialsStore === "auto";
}

/** The credentials Codex reads now: the store's, or (with `auto`) auth.json when it has none. */
export async function activeCredentials(
  store: CredentialStore,
  settings: Settings,
): Promise<AuthData | undefined> {
  return await activeLocked(store, store, settings);
}

/** {@linkcode activeCredentials} while Codex's locks are held (`locked` reads the store). */
export async function activeLocked(
  locked: LockedStore,
  store: CredentialStore,
  settings: Settings,
): Promise<AuthData | undefined> {
  const auth = await locked.load();
  if (auth || !fileFallback(store, settings)) return auth;
  return await readAuthFile(store.home);
}

/** An account as a candidate in messages: `work (a@example.com, workspace acct_A)`. */
export function describeEntry(entry: AccountEntry): string {
  const facts = [
    entry.email,
    entry.account_id ? `workspace ${entry.account_id}` : undefined,
    entry.email || entry.account_id ? undefined : entry.kind,
  ].filter((f): f is string => f !== undefined);
  return safeLine(`${entry.label} (${facts.join(", ")})`);
}

function noMatch(entries: readonly AccountEntry[], query: string, many?: AccountEntry[]) {
  const shown = JSON.stringify(safeLine(query));
  if (entries.length === 0) {
    return new LoginError("usage", {
      what: `No account is saved yet, so none is called ${shown}; nothing was changed.`,
      next: `Sign another account in with \`${commandLine(["login", "--add"])}\`.`,
      code: "accounts.none_saved",
    });
  }
  const list = (many ?? entries).map(describeEntry).join("; ");
  return new LoginError("usage", {
    what: many
      ? `${shown} names ${many.length} saved accounts; nothing was changed.`
      : `No saved account is called ${shown}; nothing was changed.`,
    next: `Name one by its label: ${list}.`,
    code: many ? "accounts.ambiguous" : "accounts.unknown",
  });
}

/**
 * The saved account `query` names: its label (exactly), else its email, workspace id, user id
 * or label in any case. Unknown or ambiguous: a usage error (exit 2) listing the candidates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveAccount } from "./accounts.ts";
 * const base = { kind: "chatgpt", added_at: "", store: "file" as const };
 * const entries = [
 *   { ...base, id: "a", key: "a", label: "work", email: "me@x.com", account_id: "acct_W" },
 *   { ...base, id: "b", key: "b", label: "home", email: "me@x.com", account_id: "acct_H" },
 * ];
 * assert.equal(resolveAccount(entries, "acct_H").label, "home");
 * assert.throws(() => resolveAccount(entries, "me@x.com"), /names 2 saved accounts/);
 * ```
 */
export function resolveAccount(entries: readonly AccountEntry[], query: string): AccountEntry {
  const exact = entries.find((e) => e.label === query);
  if (exact) return exact;
  const q = query.trim().toLowerCase();
  const same = (value: string | undefined) => value !== undefined && value.toLowerCase() === q;
  const found = entries.filter((e) =>
    same(e.label) || same(e.email) || same(e.account_id) || same(e.user_id) || e.id === q
  );
  if (found.length === 1) return found[0];
  throw noMatch(entries, query, found.length > 1 ? found : undefined);
}

const METHODS: Record<string, SignInMethod> = {
  chatgpt: "chatgpt",
  chatgptAuthTokens: "chatgpt",
  apikey: "api",
  personalAccessToken: "access_token",
};
const CHATGPT_KINDS = ["chatgpt", "chatgptAuthTokens", "agentIdentity", "personalAccessToken"];

/**
 * Why config.toml's policy forbids `entry` (`forced_login_method`,
 * `forced_chatgpt_workspace_id`, in Codex's words), or `undefined` when it is allowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accountRefusal } from "./accounts.ts";
 * const entry = { id: "a", key: "a", label: "home", kind: "chatgpt", account_id: "acct_H",
 *   added_at: "", store: "file" as const };
 * const refusal = accountRefusal({ forcedWorkspaceIds: ["acct_W"] }, entry);
 * assert.match(refusal?.what ?? "", /restricted to workspace\(s\) acct_W, but you chose acct_H/);
 * ```
 */
export function accountRefusal(settings: Settings, entry: AccountEntry): LoginError | undefined {
  const method = METHODS[entry.kind];
  const byMethod = method ? methodRefusal(settings, method) : undefined;
  if (byMethod) return byMethod;
  if (!CHATGPT_KINDS.includes(entry.kind) || workspaceAllowed(settings, entry.account_id)) {
    return undefined;
  }
  return new LoginError("workspace_restricted", {
    what: workspaceRefusal(settings, entry.account_id).what,
    next: `Nothing was changed; choose an allowed account (\`${
      commandLine(["accounts"])
    }\` marks the others "not allowed").`,
  });
}

/** `wanted`, or `wanted-2`, `wanted-3`... when another account (not `id`) has that label. */
export function uniqueLabel(entries: readonly AccountEntry[], wanted: string, id: string): string {
  const taken = (label: string) => entries.some((e) => e.id !== id && e.label === label);
  if (!taken(wanted)) return wanted;
  for (let n = 2;; n++) {
    const label = `${wanted.slice(0, 60)}-${n}`;
    if (!taken(label)) return label;
  }
}

/** An entry's facts brought up to date from its document's. */
function withFacts(entry: AccountEntry, facts: AccountFacts): AccountEntry {
  return {
    ...entry,
    kind: facts.kind,
    email: facts.email ?? entry.email,
    account_id: facts.accountId ?? entry.account_id,
    user_id: facts.userId ?? entry.user_id,
    plan: facts.plan ?? entry.plan,
    last_refresh: facts.lastRefresh ?? entry.last_refresh,
  };
}

/** How {@linkcode keepCopy} saves a copy. */
export interface KeepOptions {
  /** The label the person asked for (else the entry's, else a default). */
  label?: string;
  /** The clock. */
  now: Date;
  /**
   * What a Codex check saw as the account stopped being the active one: a Codex running (or
   * not ruled out) marks the copy, none clears the mark; not checked keeps it as it is.
   */
  leftWhile?: CodexDetection;
  /** A new sign-in of the account: an earlier session's "ended" mark goes. */
  fresh?: boolean;
}

/**
 * Save `auth` as the copy of its account (a new entry, or the existing one brought up to date)
 * while `accounts/.lock` is held. Refuses a document that mixes two accounts (`where` names it).
 */
export async function keepCopy(
  accounts: LockedAccounts,
  auth: AuthData,
  options: KeepOptions & { where: string },
): Promise<AccountEntry> {
  const mixed = mixedAccounts(auth);
  if (mixed) throw mixedError(options.where, mixed);
  const facts = await accountFacts(auth);
  const entries = accounts.list();
  const existing = entries.find((e) => e.key === facts.key);
  const id = existing?.id ?? await entryId(facts.key);
  const label = uniqueLabel(entries, options.label ?? existing?.label ?? facts.defaultLabel, id);
  const base: AccountEntry = existing ?? {
    id,
    key: facts.key,
    label,
    kind: facts.kind,
    added_at: rfc3339(options.now),
    store: "file",
  };
  const entry = withFacts({ ...base, label }, facts);
  const seen = options.leftWhile;
  if (seen?.state === "none") delete entry.codex_may_hold;
  else if (seen) {
    const pids = seen.state === "running" ? seen.processes.map((p) => p.pid) : [];
    entry.codex_may_hold = { since: rfc3339(options.now), pids };
  }
  if (options.fresh) delete entry.ended;
  return await accounts.put(entry, auth);
}

/** One line of `accounts` (the JSON form has the same fields, never a token). */
export interface AccountRow {
  /** The saved account's label; null for active credentials not saved yet. */
  label: string | null;
  /** The id_token's email. */
  email: string | null;
  /** The workspace. */
  account_id: string | null;
  /** The id_token's user id. */
  user_id: string | null;
  /** The plan. */
  plan: string | null;
  /** The credentials' `auth_mode`. */
  kind: string;
  /** `last_refresh` (the active credentials' own for the active account). */
  last_refresh: string | null;
  /** It is what Codex reads now. */
  active: boolean;
  /** A copy is saved. */
  saved: boolean;
  /** config.toml's policy allows it. */
  allowed: boolean;
  /** Switched away from while a Codex ran: not refreshed until no Codex runs here. */
  codex_may_hold: boolean;
  /** Its session ended (the issuer's code): sign it in again. */
  ended: string | null;
  /** Its document mixes two accounts (the active credentials only). */
  mixed: boolean;
}

function rowOf(entry: AccountEntry, settings: Settings, active: boolean): AccountRow {
  return {
    label: entry.label,
    email: entry.email ?? null,
    account_id: entry.account_id ?? null,
    user_id: entry.user_id ?? null,
    plan: entry.plan ?? null,
    kind: entry.kind,
    last_refresh: entry.last_refresh ?? null,
    active,
    saved: true,
    allowed: accountRefusal(settings, entry) === undefined,
    codex_may_hold: !active && entry.codex_may_hold !== undefined,
    ended: entry.ended ?? null,
    mixed: false,
  };
}

/**
 * The rows `accounts` lists: every saved account, the active one marked (with the active
 * credentials' own facts, fresher than its copy's), and active credentials not saved yet.
 */
export async function accountRows(
  store: CredentialStore,
  saved: SavedAccounts,
  settings: Settings,
): Promise<AccountRow[]> {
  const [entries, active] = await Promise.all([
    saved.list(),
    activeCredentials(store, settings),
  ]);
  const facts = active ? await accountFacts(active) : undefined;
  const rows = entries.map((e) => rowOf(e, settings, e.key === facts?.key));
  if (!active || !facts) return rows;
  const fresh = withFacts(
    entries.find((e) => e.key === facts.key) ?? {
      id: "",
      key: facts.key,
      label: "",
      kind: facts.kind,
      added_at: "",
      store: "file",
    },
    facts,
  );
  const row = { ...rowOf(fresh, settings, true), mixed: mixedAccounts(active) !== undefined };
  const at = rows.findIndex((r) => r.active);
  if (at >= 0) rows[at] = row;
  else rows.push({ ...row, label: null, saved: false });
  return rows;
}
