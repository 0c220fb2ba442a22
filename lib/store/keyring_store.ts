/**
 * The keyring backend of the credential store, compatible with the Codex CLI: one generic
 * password with service `Codex Auth` and account `cli|` + the first 16 hex digits of the
 * SHA-256 of the canonical codex home path, whose secret is the auth.json JSON. On Linux it is
 * a Secret Service item (attributes `service` and `username`, which keyring-rs, the crate
 * Codex uses, searches on), on macOS a Keychain generic password, on Windows a Credential
 * Manager generic credential.
 *
 * The OS is reached through `@napi-rs/keyring`, a binding of keyring-rs itself (docs/configuration.md,
 * "Dependencies"), loaded only when a keyring is configured. The cross-process lock stays in
 * the codex home.
 *
 * @module
 */

import { type AuthData, parseAuthText } from "./auth_data.ts";
import type { CodexHome } from "./codex_home.ts";
import type { CredentialStore, LockedStore } from "./credential_store.ts";
import { errorText, LoginError } from "../base/errors.ts";
import { withAuthLock } from "./auth_lock.ts";
import { bindingDirectory, bindingPermissions, bindingReady } from "./keyring_binding.ts";
import { permissionError } from "../base/permissions.ts";

/** The keyring service Codex files its credentials under. */
export const KEYRING_SERVICE = "Codex Auth";

/** What a keyring can do: one secret per service and account. */
export interface KeyringBackend {
  /** The secret, or null when there is none. */
  get(service: string, account: string): Promise<string | null>;
  /** Create or replace the secret. */
  set(service: string, account: string, secret: string): Promise<void>;
  /** Remove the secret; false when there was none. */
  delete(service: string, account: string): Promise<boolean>;
  /** The keyring's name for messages, e.g. "the Secret Service keyring". */
  readonly name: string;
}

/**
 * The keyring account of a codex home, as Codex computes it: `cli|` and the first 16 hex
 * digits of SHA-256 of the canonical path (the path as given when it cannot be resolved).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyringAccount } from "./keyring_store.ts";
 * import { CodexHome } from "./codex_home.ts";
 * assert.match(await keyringAccount(new CodexHome("/nonexistent/codex")), /^cli\|[0-9a-f]{16}$/);
 * ```
 */
export async function keyringAccount(home: CodexHome): Promise<string> {
  const canonical = await Deno.realPath(home.path).catch(() => home.path);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return `cli|${new Uint8Array(digest).toHex().slice(0, 16)}`;
}

/** The keyring's name on `os`, for messages. */
export function keyringName(os: string = Deno.build.os): string {
  if (os === "darwin") return "the macOS Keychain";
  if (os === "windows") return "the Windows Credential Manager";
  return "the Secret Service keyring";
}

/**
 * Why codex-login keeps no keyring entry on `os`, or `undefined` where it does. On Windows the
 * Codex CLI keeps "keyring" credentials in its own encrypted storage in the codex home (its
 * `secret_auth_storage` feature, on by default there), not in a Credential Manager entry, and a
 * whole auth.json is larger than a Credential Manager entry may be: an entry written there would
 * never be read by Codex, so `keyring` is refused in one line and `auto` uses the file, which
 * Codex reads on Windows in both modes' fallback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyringRefusal } from "./keyring_store.ts";
 * assert.equal(keyringRefusal("linux"), undefined);
 * assert.match(keyringRefusal("windows")?.next ?? "", /cli_auth_credentials_store = "file"/);
 * ```
 */
export function keyringRefusal(os: string = Deno.build.os): LoginError | undefined {
  if (os !== "windows") return undefined;
  return new LoginError("keyring_unavailable", {
    what:
      "On Windows, Codex keeps keyring credentials in its own encrypted storage, which codex-login cannot write.",
    next: 'Set cli_auth_credentials_store = "file" (Codex reads auth.json there too).',
    code: "keyring_unavailable.windows",
  });
}

/** A keyring failure as the next step a person can take. */
export function keyringUnavailable(name: string, reason: string): LoginError {
  return new LoginError("keyring_unavailable", {
    what: `${name} cannot be reached (${reason}).`,
    next:
      'Unlock it or start it (on Linux: a D-Bus session with gnome-keyring or KeePassXC), or set cli_auth_credentials_store = "file" in config.toml; nothing was written.',
  });
}

function reasonOf(err: unknown): string {
  return errorText(err).split("\n")[0].slice(0, 200);
}

/**
 * The OS keyring through `@napi-rs/keyring` (loaded on first use, only when everything it needs
 * is granted: see `keyring_binding.ts`). Throws a {@linkcode LoginError} when the binding is
 * missing, not granted, or cannot be loaded here.
 */
export async function osKeyring(): Promise<KeyringBackend> {
  const refused = keyringRefusal();
  if (refused) throw refused;
  const name = keyringName(Deno.build.os);
  const dir = bindingDirectory();
  if (!dir || !bindingReady()) {
    throw new LoginError("keyring_unavailable", {
      what: `${name} cannot be reached: ${
        dir ? "the keyring binding is not granted here" : "there is no keyring binding here"
      }.`,
      next: 'Set cli_auth_credentials_store = "file", or run codex-login as installed.',
      code: dir ? "keyring_unavailable.not_granted" : "keyring_unavailable.no_binding",
    });
  }
  let Entry: typeof import("@napi-rs/keyring").AsyncEntry;
  try {
    ({ AsyncEntry: Entry } = await import("@napi-rs/keyring"));
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw permissionError(
        bindingPermissions(dir, Deno.build.os)[0],
        "to load the keyring binding",
        'set cli_auth_credentials_store = "file"',
      );
    }
    throw keyringUnavailable(name, `the keyring binding could not be loaded: ${reasonOf(err)}`);
  }
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw keyringUnavailable(name, reasonOf(err));
    }
  };
  // On Linux, the Secret Service only: the binding would otherwise fall back to the kernel
  // keyring, which does not persist and is not where Codex keeps its entry.
  const options = { linux: { store: "secret-service" as const } };
  const entry = (service: string, account: string) => new Entry(service, account, options);
  return {
    name,
    get: (service, account) =>
      wrap(async () => await entry(service, account).getPassword() ?? null),
    set: (service, account, secret) => wrap(() => entry(service, account).setPassword(secret)),
    delete: (service, account) => wrap(() => entry(service, account).deleteCredential()),
  };
}

/**
 * Codex's keyring entry as a {@linkcode CredentialStore}. Saving removes a stale auth.json
 * (as Codex does); removing clears both.
 */
export class KeyringCredentialStore implements CredentialStore {
  /** Always `keyring`. */
  readonly kind = "keyring" as const;
  /** The codex home (the lock and any stale auth.json live there). */
  readonly home: CodexHome;
  readonly #backend: KeyringBackend;
  readonly #account: string;
  readonly #locked: LockedStore;

  /** The entry for `home` (see {@linkcode keyringAccount}) in `backend`. */
  constructor(home: CodexHome, account: string, backend: KeyringBackend) {
    this.home = home;
    this.#backend = backend;
    this.#account = account;
    this.#locked = {
      load: () => this.load(),
      save: (data) => this.#write(data),
      remove: () => this.#delete(),
    };
  }

  /** Where the credentials are, for messages. */
  describe(): string {
    return `${this.#backend.name} (service "${KEYRING_SERVICE}", account "${this.#account}")`;
  }

  /** Read the entry. */
  async load(): Promise<AuthData | undefined> {
    const text = await this.#backend.get(KEYRING_SERVICE, this.#account);
    return text === null ? undefined : parseAuthText(this.describe(), text);
  }

  async #write(data: AuthData): Promise<void> {
    await this.#backend.set(KEYRING_SERVICE, this.#account, JSON.stringify(data));
    await Deno.remove(this.home.authFile).catch(() => {});
  }

  async #delete(): Promise<boolean> {
    const entry = await this.#backend.delete(KEYRING_SERVICE, this.#account);
    const file = await Deno.remove(this.home.authFile).then(() => true, () => false);
    return entry || file;
  }

  /** Write the entry under the lock, then remove a stale auth.json. */
  save(data: AuthData): Promise<void> {
    return this.withLock((locked) => locked.save(data));
  }

  /** Remove the entry and any auth.json, under the lock. */
  remove(): Promise<boolean> {
    return this.withLock((locked) => locked.remove());
  }

  /** Run `fn` holding the lock in the codex home. */
  withLock<T>(fn: (store: LockedStore) => Promise<T>): Promise<T> {
    return withAuthLock(this.home, () => fn(this.#locked));
  }
}
