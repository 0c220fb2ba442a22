/**
 * Where the credentials live. Every command reads and writes them through one
 * {@linkcode CredentialStore}; auth.json in the codex home is the file backend
 * ({@linkcode FileCredentialStore}). The cross-process lock always lives in the codex home,
 * whatever the backend, so two processes never refresh the same session at once.
 *
 * @module
 */

import type { AuthData } from "./auth_data.ts";
import type { Settings } from "./config.ts";
import { FileCredentialStore } from "./file_store.ts";
import { ExitCode, LoginError } from "./errors.ts";

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
  readonly kind: "file";
  /** The codex home (the lock lives there). */
  readonly codexHome: string;
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

/**
 * The store the settings ask for. Only the file backend exists so far: any other
 * `cli_auth_credentials_store` is refused rather than silently written to a file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openCredentialStore } from "./credential_store.ts";
 * const store = openCredentialStore("/home/me/.codex", { credentialsStore: "file" });
 * assert.equal(store.kind, "file");
 * ```
 */
export function openCredentialStore(
  codexHome: string,
  settings: Pick<Settings, "credentialsStore">,
): CredentialStore {
  const kind = settings.credentialsStore ?? "file";
  if (kind !== "file") {
    throw new LoginError(
      "usage",
      `cli_auth_credentials_store = "${kind}" is not supported by this codex-login yet, and it will not write your credentials to a file instead. Set cli_auth_credentials_store = "file" (or remove it) in config.toml, or pass -c cli_auth_credentials_store=file.`,
      { exitCode: ExitCode.Failed },
    );
  }
  return new FileCredentialStore(codexHome);
}
