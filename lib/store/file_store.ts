/**
 * The file backend of the credential store: `$CODEX_HOME/auth.json`, read and validated,
 * written atomically (a 0600 temp file in the same directory, fsync, rename) under the auth
 * lock (`auth_lock.ts`), so a crash or a failed sign-in never leaves a partial file and
 * never touches a good one.
 *
 * @module
 */

import { type AuthData, AuthFileError, parseAuthText, serializeAuth } from "./auth_data.ts";
import { authFilePath, authTempPath } from "./codex_home.ts";
import type { CredentialStore, LockedStore } from "./credential_store.ts";
import { permissionError } from "../base/permissions.ts";
import { readRegularText, UnreadableFile } from "../base/regular_file.ts";
import { saveError, withAuthLock } from "./auth_lock.ts";
import { errorText } from "../base/errors.ts";

/** The largest auth.json read (a ChatGPT sign-in is a few KiB). */
export const MAX_AUTH_BYTES = 1024 * 1024;

/**
 * Read and validate auth.json. `undefined` when there is none; throws
 * {@linkcode AuthFileError} when it cannot be used. Never writes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readAuthFile } from "./file_store.ts";
 * const home = await Deno.makeTempDir();
 * assert.equal(await readAuthFile(home), undefined);
 * ```
 */
export async function readAuthFile(codexHome: string): Promise<AuthData | undefined> {
  const path = authFilePath(codexHome);
  let text: string;
  try {
    text = await readRegularText(path, MAX_AUTH_BYTES);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    if (err instanceof UnreadableFile) {
      throw new AuthFileError(
        path,
        err.problem === "not_regular" ? "is a directory or not a regular file" : err.message,
      );
    }
    if (err instanceof Deno.errors.NotCapable) {
      throw permissionError({ name: "read", path: codexHome }, "to read auth.json");
    }
    throw new AuthFileError(path, `cannot be read (${errorText(err)})`);
  }
  return parseAuthText(path, text);
}

/**
 * Write auth.json atomically. The caller must hold {@linkcode withAuthLock}. Never writes
 * through a symlink: the rename replaces the link itself.
 */
export async function writeAuthFileLocked(codexHome: string, data: AuthData): Promise<void> {
  const temp = authTempPath(codexHome);
  try {
    await Deno.remove(temp).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      const bytes = new TextEncoder().encode(serializeAuth(data));
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, authFilePath(codexHome));
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw saveError(codexHome, err);
  }
}

async function removeAuthFileLocked(codexHome: string): Promise<boolean> {
  try {
    await Deno.remove(authFilePath(codexHome));
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw saveError(codexHome, err);
  }
}

/**
 * Write auth.json atomically (0600 temp file, fsync, rename) under the lock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readAuthFile, saveAuthFile } from "./file_store.ts";
 * const home = await Deno.makeTempDir();
 * await saveAuthFile(home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-test" });
 * assert.equal((await readAuthFile(home))?.OPENAI_API_KEY, "sk-test");
 * assert.equal((await Deno.stat(`${home}/auth.json`)).mode! & 0o777, 0o600);
 * ```
 */
export async function saveAuthFile(codexHome: string, data: AuthData): Promise<void> {
  await withAuthLock(codexHome, () => writeAuthFileLocked(codexHome, data));
}

/** Remove auth.json (under the lock). Returns false when there was none. */
export async function removeAuthFile(codexHome: string): Promise<boolean> {
  return await withAuthLock(codexHome, () => removeAuthFileLocked(codexHome));
}

/**
 * auth.json in the codex home as a {@linkcode CredentialStore}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileCredentialStore } from "./file_store.ts";
 * const store = new FileCredentialStore(await Deno.makeTempDir());
 * assert.equal(await store.remove(), false);
 * ```
 */
export class FileCredentialStore implements CredentialStore {
  /** Always `file`. */
  readonly kind = "file" as const;
  /** The codex home. */
  readonly codexHome: string;
  readonly #locked: LockedStore;

  /** The store for `{codexHome}/auth.json`. */
  constructor(codexHome: string) {
    this.codexHome = codexHome;
    this.#locked = {
      load: () => readAuthFile(codexHome),
      save: (data) => writeAuthFileLocked(codexHome, data),
      remove: () => removeAuthFileLocked(codexHome),
    };
  }

  /** The auth.json path. */
  describe(): string {
    return authFilePath(this.codexHome);
  }

  /** Read auth.json (no lock). */
  load(): Promise<AuthData | undefined> {
    return readAuthFile(this.codexHome);
  }

  /** Write auth.json under the lock. */
  save(data: AuthData): Promise<void> {
    return saveAuthFile(this.codexHome, data);
  }

  /** Remove auth.json under the lock. */
  remove(): Promise<boolean> {
    return removeAuthFile(this.codexHome);
  }

  /** Run `fn` holding `auth.json.lock`. */
  withLock<T>(fn: (store: LockedStore) => Promise<T>): Promise<T> {
    return withAuthLock(this.codexHome, () => fn(this.#locked));
  }
}
