/**
 * Where the credentials live. Every command reads and writes them through one
 * {@linkcode CredentialStore}: auth.json in the codex home ({@linkcode FileCredentialStore}) or
 * Codex's keyring entry ({@linkcode KeyringCredentialStore}). The cross-process lock always lives in the codex home,
 * whatever the backend, so two processes never refresh the same session at once.
 *
 * @module
 */

import type { AuthData } from "./auth_data.ts";
import type { Settings } from "./config.ts";
import { FileCredentialStore } from "./file_store.ts";
import {
  keyringAccount,
  type KeyringBackend,
  KeyringCredentialStore,
  osKeyring,
} from "./keyring_store.ts";
import { ExitCode, LoginError } from "../base/errors.ts";

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

/** How a store was chosen, for the one line `auto` prints. */
export interface StoreChoice {
  /** The store. */
  store: CredentialStore;
  /** With `auto`: which store it picked and why, as a line for the person. */
  note?: string;
}

/**
 * Codex's keyring entry for `codexHome`, once the keyring has answered a read (an unusable
 * entry is the caller's to report; an unreachable keyring is thrown here).
 */
async function reachableKeyring(
  codexHome: string,
  keyring: () => Promise<KeyringBackend>,
): Promise<KeyringCredentialStore> {
  const store = new KeyringCredentialStore(
    codexHome,
    await keyringAccount(codexHome),
    await keyring(),
  );
  await store.load().catch((err) => {
    if (err instanceof LoginError && err.kind === "keyring_unavailable") throw err;
  });
  return store;
}

/**
 * The store `cli_auth_credentials_store` asks for: `file` (default), `keyring` (an error when
 * no keyring can be reached, never a silent file), `auto` (the keyring when one answers, else
 * the file, saying which), `ephemeral` (refused: it only means something inside one process).
 * `keyring` picks the OS keyring by default; tests pass their own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openCredentialStore } from "./credential_store.ts";
 * const { store } = await openCredentialStore("/home/me/.codex", { credentialsStore: "file" });
 * assert.equal(store.kind, "file");
 * ```
 */
export async function openCredentialStore(
  codexHome: string,
  settings: Pick<Settings, "credentialsStore">,
  keyring: () => Promise<KeyringBackend> = osKeyring,
): Promise<StoreChoice> {
  const mode = settings.credentialsStore ?? "file";
  if (mode === "file") return { store: new FileCredentialStore(codexHome) };
  if (mode === "ephemeral") {
    throw new LoginError(
      "usage",
      'cli_auth_credentials_store = "ephemeral" keeps credentials in the memory of one process only, so a sign-in by codex-login could never reach Codex. Use "file", "keyring" or "auto" (in config.toml, or -c cli_auth_credentials_store=file).',
      { exitCode: ExitCode.Failed },
    );
  }
  if (mode === "keyring") return { store: await reachableKeyring(codexHome, keyring) };
  // auto: the keyring when it answers, else the file.
  try {
    const store = await reachableKeyring(codexHome, keyring);
    return { store, note: `Using ${store.describe()} (cli_auth_credentials_store = "auto").` };
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    const store = new FileCredentialStore(codexHome);
    return {
      store,
      note: `No keyring answered (${
        err.message.split(" (")[0]
      }), so credentials go to ${store.describe()} (cli_auth_credentials_store = "auto").`,
    };
  }
}
