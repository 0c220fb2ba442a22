/**
 * The saved accounts: codex-login's copies of every account a person signed in, beside the one
 * Codex reads. Each copy is the credentials document exactly as Codex reads it, kept in
 * `{codexHome}/accounts/<id>.json` (0600, in a 0700 directory, guarded as `private_files.ts`
 * says; never named `auth*.json`) or, when the credentials live in the keyring, as a keyring
 * entry of its own service ({@linkcode SAVED_KEYRING_SERVICE}, never Codex's entry). What is not
 * secret (label, email, workspace, plan, last refresh, user and account ids, where the copy is)
 * sits in `accounts/index.json`. Every change is made holding `accounts/.lock`, which callers
 * take after Codex's two locks (`auth.lock`, `auth.json.lock`), never before.
 *
 * @module
 */

import { type AuthData, parseAuthText, serializeAuth } from "./auth_data.ts";
import { type CodexHome, joinPath } from "./codex_home.ts";
import { withLockFile } from "./auth_lock.ts";
import { checkHomeSafe } from "./home_guard.ts";
import { keyringAccount, type KeyringBackend } from "./keyring_store.ts";
import { ensurePrivateDir, privateFileError, readPrivate, writePrivate } from "./private_files.ts";
import { LoginError } from "../base/errors.ts";
import { isJsonObject, type JsonObject } from "../base/json.ts";

/** The keyring service saved copies are filed under (Codex's own is `Codex Auth`). */
export const SAVED_KEYRING_SERVICE = "codex-login saved accounts";

/** Where a saved copy's secret document is. */
export type CopyStore = "file" | "keyring";

/** One saved account: what is known about it without reading its secret copy. */
export interface AccountEntry {
  /** 16 hex digits derived from `key`: the copy's file name and keyring account. */
  id: string;
  /** Who the account is: `chatgpt:<user id>:<account id>`, or a fingerprint for a key. */
  key: string;
  /** The person's name for it (unique in the list). */
  label: string;
  /** The copy's `auth_mode` (`chatgpt`, `apikey`, ...). */
  kind: string;
  /** The id_token's email. */
  email?: string;
  /** The ChatGPT workspace (`chatgpt_account_id`). */
  account_id?: string;
  /** The id_token's user id (`chatgpt_user_id`, else `sub`). */
  user_id?: string;
  /** The ChatGPT plan. */
  plan?: string;
  /** The copy's `last_refresh`. */
  last_refresh?: string;
  /** When it was first saved (RFC 3339). */
  added_at: string;
  /** Where its secret copy is. */
  store: CopyStore;
  /**
   * Switched away from while a Codex ran on this home (that Codex may still hold it in memory):
   * never refreshed until no Codex runs here. `pids`: the processes seen then (empty: unknown).
   */
  codex_may_hold?: { since: string; pids: number[] };
  /** The issuer's code when a refresh of the copy was refused for good (sign in again). */
  ended?: string;
}

/** What can be done while `accounts/.lock` is held. */
export interface LockedAccounts {
  /** The entries, in the order they were added. */
  list(): AccountEntry[];
  /** The secret copy of `entry`. */
  load(entry: AccountEntry): Promise<AuthData>;
  /** Save `auth` as `entry`'s copy (in this home's copy store) and the entry in the index. */
  put(entry: AccountEntry, auth: AuthData): Promise<AccountEntry>;
  /** Save `entry`'s facts (not its copy). */
  update(entry: AccountEntry): Promise<void>;
  /** Forget `entry`: its copy, then its line in the index. */
  remove(entry: AccountEntry): Promise<void>;
}

const ID = /^[0-9a-f]{16}$/;

/** An error of the file system (or of a permission), as opposed to a caller's own. */
function isFileSystemError(err: unknown): boolean {
  return Object.values(Deno.errors).some((kind) => err instanceof kind);
}

/**
 * The id of an account key: the first 16 hex digits of its SHA-256.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { entryId } from "./saved_accounts.ts";
 * assert.match(await entryId("chatgpt:user-1:acct-1"), /^[0-9a-f]{16}$/);
 * ```
 */
export async function entryId(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return new Uint8Array(digest).toHex().slice(0, 16);
}

function optionalString(value: JsonObject, field: string): boolean {
  return value[field] === undefined || typeof value[field] === "string";
}

function validEntry(value: unknown): value is AccountEntry {
  if (!isJsonObject(value)) return false;
  const strings = ["email", "account_id", "user_id", "plan", "last_refresh", "ended"];
  return typeof value.id === "string" && ID.test(value.id) &&
    typeof value.key === "string" && typeof value.label === "string" &&
    typeof value.kind === "string" && typeof value.added_at === "string" &&
    (value.store === "file" || value.store === "keyring") &&
    strings.every((field) => optionalString(value, field));
}

/**
 * The entries of `accounts/index.json` text; a malformed index is refused (nothing is guessed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIndex } from "./saved_accounts.ts";
 * assert.deepEqual(parseIndex("index.json", '{"version":1,"accounts":[]}'), []);
 * assert.throws(() => parseIndex("index.json", "[]"), /not a saved-accounts index/);
 * ```
 */
export function parseIndex(path: string, text: string): AccountEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const entries = isJsonObject(value) ? value.accounts : undefined;
  if (!Array.isArray(entries) || !entries.every(validEntry)) {
    throw new LoginError("corrupt_auth", {
      what: `${path} is not a saved-accounts index codex-login can read; nothing was changed.`,
      next:
        `Move it aside (\`mv ${path} ${path}.bad\`) and sign your accounts in again with \`login --add\`.`,
      code: "corrupt_auth.accounts_index",
    });
  }
  return entries.map((entry) => ({ ...entry }));
}

/** The saved accounts of one codex home. */
export class SavedAccounts {
  /** The codex home they belong to. */
  readonly home: CodexHome;
  /** Where new copies go: files, or the keyring (when the credentials are kept there). */
  readonly copyStore: CopyStore;
  readonly #keyring?: () => Promise<KeyringBackend>;
  #backend?: Promise<KeyringBackend>;

  /**
   * The saved accounts of `home`; new copies go to `copyStore` (the keyring needs `keyring`, the
   * same backend the credential store uses).
   */
  constructor(
    home: CodexHome,
    options: { copyStore?: CopyStore; keyring?: () => Promise<KeyringBackend> } = {},
  ) {
    this.home = home;
    this.copyStore = options.copyStore ?? "file";
    this.#keyring = options.keyring;
  }

  /** The entries (no lock: a rename replaces the index whole); none when nothing was saved. */
  async list(): Promise<AccountEntry[]> {
    const path = this.home.accountsIndex;
    try {
      const text = await readPrivate(path, () => this.home.ownerUid());
      return text === undefined ? [] : parseIndex(path, text);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return [];
      }
      throw privateFileError(path, this.home.accountsDir, err);
    }
  }

  /** Where `entry`'s copy is, for messages. */
  describe(entry: AccountEntry): string {
    return entry.store === "file"
      ? this.home.accountFile(entry.id)
      : `the keyring (service "${SAVED_KEYRING_SERVICE}", ${entry.label})`;
  }

  async #keyringAccount(entry: AccountEntry): Promise<[KeyringBackend, string]> {
    if (!this.#keyring) {
      throw new LoginError("keyring_unavailable", {
        what: `The saved copy of ${entry.label} is in the keyring, which is not in use here.`,
        next: 'Set cli_auth_credentials_store = "keyring" (or "auto") as when it was saved.',
      });
    }
    this.#backend ??= this.#keyring();
    return [await this.#backend, `${await keyringAccount(this.home)}|${entry.id}`];
  }

  /** The secret copy of `entry` (no lock needed: copies are replaced whole). */
  async load(entry: AccountEntry): Promise<AuthData> {
    const where = this.describe(entry);
    let text: string | null | undefined;
    if (entry.store === "file") {
      try {
        text = await readPrivate(where, () => this.home.ownerUid());
      } catch (err) {
        throw privateFileError(where, this.home.accountsDir, err);
      }
    } else {
      const [backend, account] = await this.#keyringAccount(entry);
      text = await backend.get(SAVED_KEYRING_SERVICE, account);
    }
    if (text === undefined || text === null) {
      throw new LoginError("corrupt_auth", {
        what: `The saved copy of ${entry.label} is missing (${where}).`,
        next: `Forget it with \`logout --account ${entry.label}\`, then sign it in again.`,
        code: "corrupt_auth.copy_missing",
      });
    }
    return parseAuthText(where, text);
  }

  async #writeCopy(entry: AccountEntry, auth: AuthData): Promise<void> {
    if (entry.store === "file") {
      const path = this.home.accountFile(entry.id);
      await writePrivate(path, this.home.accountsTemp(), serializeAuth(auth));
      return;
    }
    const [backend, account] = await this.#keyringAccount(entry);
    await backend.set(SAVED_KEYRING_SERVICE, account, JSON.stringify(auth));
  }

  async #removeCopy(entry: AccountEntry): Promise<void> {
    if (entry.store === "file") {
      await Deno.remove(this.home.accountFile(entry.id)).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
      return;
    }
    const [backend, account] = await this.#keyringAccount(entry);
    await backend.delete(SAVED_KEYRING_SERVICE, account);
  }

  async #writeIndex(entries: AccountEntry[]): Promise<void> {
    const text = `${JSON.stringify({ version: 1, accounts: entries }, null, 2)}\n`;
    await writePrivate(this.home.accountsIndex, this.home.accountsTemp(), text);
  }

  /** Remove temp files a killed process left in `accounts/` (they may hold tokens). */
  async #removeLeftovers(): Promise<void> {
    for await (const item of Deno.readDir(this.home.accountsDir)) {
      if (item.isFile && item.name.startsWith(".tmp-")) {
        await Deno.remove(joinPath(this.home.platform, this.home.accountsDir, item.name))
          .catch(() => {});
      }
    }
  }

  #locked(entries: AccountEntry[]): LockedAccounts {
    const index = (id: string) => entries.findIndex((e) => e.id === id);
    return {
      list: () => entries.map((e) => ({ ...e })),
      load: (entry) => this.load(entry),
      put: async (entry, auth) => {
        const saved = { ...entry, store: this.copyStore };
        await this.#writeCopy(saved, auth);
        const at = index(entry.id);
        const old = at >= 0 ? entries[at] : undefined;
        if (at >= 0) entries[at] = saved;
        else entries.push(saved);
        await this.#writeIndex(entries);
        if (old && old.store !== saved.store) await this.#removeCopy(old).catch(() => {});
        return { ...saved };
      },
      update: async (entry) => {
        const at = index(entry.id);
        if (at < 0) return;
        entries[at] = { ...entry };
        await this.#writeIndex(entries);
      },
      remove: async (entry) => {
        await this.#removeCopy(entry);
        const at = index(entry.id);
        if (at >= 0) entries.splice(at, 1);
        await this.#writeIndex(entries);
      },
    };
  }

  /**
   * Run `fn` holding `accounts/.lock` (the directory is created 0700 first and checked, with the
   * codex home). Take Codex's two locks before this one, never after.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CodexHome } from "./codex_home.ts";
   * import { SavedAccounts } from "./saved_accounts.ts";
   * const saved = new SavedAccounts(new CodexHome(await Deno.makeTempDir()));
   * const count = await saved.withLock(async (locked) => locked.list().length);
   * assert.equal(count, 0);
   * assert.equal((await Deno.stat(saved.home.accountsDir)).mode! & 0o777, 0o700);
   * ```
   */
  async withLock<T>(fn: (locked: LockedAccounts) => Promise<T>, waitMs?: number): Promise<T> {
    const dir = this.home.accountsDir;
    try {
      await this.home.ensure();
      await checkHomeSafe(this.home);
      await ensurePrivateDir(dir, await this.home.ownerUid());
    } catch (err) {
      throw privateFileError(dir, dir, err);
    }
    return await withLockFile(this.home, this.home.accountsLock, async () => {
      try {
        await this.#removeLeftovers();
        return await fn(this.#locked(await this.list()));
      } catch (err) {
        // A file system failure says what to do; anything else is the caller's own.
        throw isFileSystemError(err) ? privateFileError(dir, dir, err) : err;
      }
    }, waitMs).catch((err) => {
      throw isFileSystemError(err) ? privateFileError(this.home.accountsLock, dir, err) : err;
    });
  }
}
