/**
 * The file backend of the credential store: `$CODEX_HOME/auth.json`, read and validated,
 * written atomically (a 0600 temp file in the same directory, fsync, rename) under the auth
 * lock (`auth_lock.ts`), so a crash or a failed sign-in never leaves a partial file and
 * never touches a good one.
 *
 * @module
 */

import { type AuthData, AuthFileError, parseAuthText, serializeAuth } from "./auth_data.ts";
import type { CodexHome } from "./codex_home.ts";
import type { CredentialStore, LockedStore } from "./credential_store.ts";
import { permissionError } from "../base/permissions.ts";
import { readRegularText, UnreadableFile } from "../base/regular_file.ts";
import { saveError, withAuthLock } from "./auth_lock.ts";
import { writePrivate } from "./private_files.ts";
import { errorText } from "../base/errors.ts";

/** The next step when auth.json is not a file: a sign-in cannot replace it. */
const MOVE_IT = "Move it out of the way (a sign-in cannot replace it), then sign in again.";

/** The largest auth.json read (a ChatGPT sign-in is a few KiB). */
export const MAX_AUTH_BYTES = 1024 * 1024;

/**
 * Read and validate auth.json. `undefined` when there is none; throws
 * {@linkcode AuthFileError} when it cannot be used. Never writes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CodexHome } from "./codex_home.ts";
 * import { readAuthFile } from "./file_store.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * assert.equal(await readAuthFile(home), undefined);
 * ```
 */
export async function readAuthFile(home: CodexHome): Promise<AuthData | undefined> {
  const path = home.authFile;
  let text: string;
  try {
    text = await readRegularText(path, MAX_AUTH_BYTES);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    if (err instanceof UnreadableFile) {
      if (err.problem !== "not_regular") throw new AuthFileError(path, err.message);
      throw new AuthFileError(path, "is a directory or not a regular file", MOVE_IT);
    }
    if (err instanceof Deno.errors.NotCapable) {
      throw permissionError({ name: "read", path: home.path }, "to read auth.json");
    }
    throw new AuthFileError(path, `cannot be read (${errorText(err)})`);
  }
  return parseAuthText(path, text);
}

/**
 * Write auth.json atomically. The caller must hold {@linkcode withAuthLock}. Never writes
 * through a symlink: the rename replaces the link itself.
 */
export async function writeAuthFileLocked(home: CodexHome, data: AuthData): Promise<void> {
  const temp = home.authTemp;
  try {
    await Deno.remove(temp).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
    await writePrivate(home.authFile, temp, serializeAuth(data));
  } catch (err) {
    throw saveError(home, err);
  }
}

async function removeAuthFileLocked(home: CodexHome): Promise<boolean> {
  try {
    await Deno.remove(home.authFile);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw saveError(home, err);
  }
}

/**
 * Write auth.json atomically (0600 temp file, fsync, rename) under the lock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CodexHome } from "./codex_home.ts";
 * import { readAuthFile, saveAuthFile } from "./file_store.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * await saveAuthFile(home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-test" });
 * assert.equal((await readAuthFile(home))?.OPENAI_API_KEY, "sk-test");
 * assert.equal((await Deno.stat(home.authFile)).mode! & 0o777, 0o600);
 * ```
 */
export async function saveAuthFile(home: CodexHome, data: AuthData): Promise<void> {
  await withAuthLock(home, () => writeAuthFileLocked(home, data));
}

/** Remove auth.json (under the lock). Returns false when there was none. */
export async function removeAuthFile(home: CodexHome): Promise<boolean> {
  return await withAuthLock(home, () => removeAuthFileLocked(home));
}

/**
 * auth.json in the codex home as a {@linkcode CredentialStore}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CodexHome } from "./codex_home.ts";
 * import { FileCredentialStore } from "./file_store.ts";
 * const store = new FileCredentialStore(new CodexHome(await Deno.makeTempDir()));
 * assert.equal(await store.remove(), false);
 * ```
 */
export class FileCredentialStore implements CredentialStore {
  /** Always `file`. */
  readonly kind = "file" as const;
  /** The codex home. */
  readonly home: CodexHome;
  readonly #locked: LockedStore;

  /** The store for `auth.json` in `home`. */
  constructor(home: CodexHome) {
    this.home = home;
    this.#locked = {
      load: () => readAuthFile(home),
      save: (data) => writeAuthFileLocked(home, data),
      remove: () => removeAuthFileLocked(home),
    };
  }

  /** The auth.json path. */
  describe(): string {
    return this.home.authFile;
  }

  /** Read auth.json (no lock). */
  load(): Promise<AuthData | undefined> {
    return readAuthFile(this.home);
  }

  /** Write auth.json under the lock. */
  save(data: AuthData): Promise<void> {
    return saveAuthFile(this.home, data);
  }

  /** Remove auth.json under the lock. */
  remove(): Promise<boolean> {
    return removeAuthFile(this.home);
  }

  /** Run `fn` holding Codex's two locks. */
  withLock<T>(fn: (store: LockedStore) => Promise<T>): Promise<T> {
    return withAuthLock(this.home, () => fn(this.#locked));
  }
}
