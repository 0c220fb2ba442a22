/**
 * Opening the credential store config.toml asks for (`cli_auth_credentials_store`): file,
 * keyring, auto, or a clear refusal of `ephemeral`.
 *
 * @module
 */

import { LoginError } from "../base/errors.ts";
import type { CodexHome } from "./codex_home.ts";
import type { Settings } from "./config.ts";
import type { CredentialStore } from "./credential_store.ts";
import { FileCredentialStore } from "./file_store.ts";
import {
  keyringAccount,
  type KeyringBackend,
  KeyringCredentialStore,
  keyringName,
  osKeyring,
} from "./keyring_store.ts";

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
  home: CodexHome,
  keyring: () => Promise<KeyringBackend>,
): Promise<KeyringCredentialStore> {
  const store = new KeyringCredentialStore(home, await keyringAccount(home), await keyring());
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
 * import { CodexHome } from "./codex_home.ts";
 * import { openCredentialStore } from "./open_store.ts";
 * const home = new CodexHome("/home/me/.codex");
 * const { store } = await openCredentialStore(home, { credentialsStore: "file" });
 * assert.equal(store.kind, "file");
 * ```
 */
export async function openCredentialStore(
  home: CodexHome,
  settings: Pick<Settings, "credentialsStore">,
  keyring: () => Promise<KeyringBackend> = osKeyring,
): Promise<StoreChoice> {
  const mode = settings.credentialsStore ?? "file";
  if (mode === "file") return { store: new FileCredentialStore(home) };
  if (mode === "ephemeral") {
    throw new LoginError("usage", {
      what:
        'cli_auth_credentials_store = "ephemeral" keeps credentials in the memory of one process only, so a sign-in by codex-login could never reach Codex.',
      next:
        'Use "file", "keyring" or "auto" (in config.toml, or -c cli_auth_credentials_store=file).',
    });
  }
  if (mode === "keyring") return { store: await reachableKeyring(home, keyring) };
  // auto: the keyring when it answers, else the file.
  try {
    const store = await reachableKeyring(home, keyring);
    return { store, note: `Using ${store.describe()} (cli_auth_credentials_store = "auto").` };
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    const store = new FileCredentialStore(home);
    const why = err.kind === "keyring_unavailable" ? "cannot be reached" : "cannot be used here";
    return {
      store,
      note:
        `No keyring answered (${keyringName()} ${why}), so credentials go to ${store.describe()} (cli_auth_credentials_store = "auto").`,
    };
  }
}
