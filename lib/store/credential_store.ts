/**
 * The contract of a credential store. Every command reads and writes the credentials through
 * one `CredentialStore`: auth.json in the codex home (`file_store.ts`) or Codex's keyring
 * entry (`keyring_store.ts`), chosen by `open_store.ts`. Whatever the backend, it writes
 * under the auth lock in the codex home (`auth_lock.ts`), so two processes never refresh the
 * same session at once.
 *
 * @module
 */

import type { AuthData } from "./auth_data.ts";
import type { CodexHome } from "./codex_home.ts";

/** The operations available while the store's lock is held. */
export interface LockedStore {
  /** The stored credentials, `undefined` when there are none. */
  load(): Promise<AuthData | undefined>;
  /** Replace the stored credentials (atomically). */
  save(data: AuthData): Promise<void>;
  /** Remove the stored credentials; false when there were none. */
  remove(): Promise<boolean>;
}

/** A place that keeps one person's Codex credentials. */
export interface CredentialStore {
  /** The backend's name, as `cli_auth_credentials_store` spells it. */
  readonly kind: "file" | "keyring";
  /** The codex home (the lock lives there). */
  readonly home: CodexHome;
  /** Where the credentials are, for messages (e.g. the auth.json path). */
  describe(): string;
  /** Read the credentials without the lock. Throws AuthFileError when they are unusable. */
  load(): Promise<AuthData | undefined>;
  /** Save under the lock. */
  save(data: AuthData): Promise<void>;
  /** Remove under the lock; false when there was nothing. */
  remove(): Promise<boolean>;
  /** Run `fn` holding the cross-process lock. */
  withLock<T>(fn: (store: LockedStore) => Promise<T>): Promise<T>;
}
