/**
 * The file backend of the credential store: `$CODEX_HOME/auth.json`, read and validated,
 * written atomically (a 0600 temp file in the same directory, fsync, rename) under an OS file
 * lock on `auth.json.lock`, so a crash or a failed sign-in never leaves a partial file and
 * never touches a good one.
 *
 * @module
 */

import { type AuthData, AuthFileError, parseAuthText, serializeAuth } from "./auth_data.ts";
import { authFilePath, homeFile } from "./codex_home.ts";
import type { CredentialStore, LockedStore } from "./credential_store.ts";
import { ExitCode, LoginError } from "../base/errors.ts";
import { acquireLock, checkHomeSafe, removeLeftovers } from "./home_guard.ts";

function errorText(err: unknown): string {
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "a directory is in the way";
  if (err instanceof Error) return err.message.replace(/\s*\(os error \d+\)/, "");
  return String(err);
}

function readPermissionError(codexHome: string): LoginError {
  return new LoginError(
    "permission",
    `codex-login needs read access to ${codexHome}: run it again with --allow-read=${codexHome}.`,
    { exitCode: ExitCode.Usage },
  );
}

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
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    if (err instanceof Deno.errors.IsADirectory) throw new AuthFileError(path, "is a directory");
    if (err instanceof Deno.errors.NotCapable) throw readPermissionError(codexHome);
    throw new AuthFileError(path, `cannot be read (${errorText(err)})`);
  }
  return parseAuthText(path, text);
}

/** The temp file a write goes through; a stale one (from a killed process) is removed. */
export function tempFilePath(codexHome: string): string {
  return homeFile(codexHome, ".auth.json.tmp");
}

async function ensureHome(codexHome: string): Promise<void> {
  try {
    await Deno.mkdir(codexHome, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw saveError(codexHome, err);
  }
}

function saveError(codexHome: string, err: unknown): LoginError {
  if (err instanceof LoginError) return err;
  if (err instanceof Deno.errors.NotCapable) {
    const kind = /read access/.test(err.message) ? "read" : "write";
    return new LoginError(
      "permission",
      `codex-login needs ${kind} access to ${codexHome} to save auth.json: run it again with --allow-${kind}=${codexHome}.`,
      { exitCode: ExitCode.Usage },
    );
  }
  return new LoginError(
    "save_failed",
    `Could not save your credentials to ${authFilePath(codexHome)} (${
      errorText(err)
    }). Check that ${codexHome} is a writable directory with free space, then sign in again.`,
    { cause: err },
  );
}

/**
 * Run `fn` holding an exclusive lock on `{codexHome}/auth.json.lock` (an OS file lock, so a
 * crashed holder never leaves it stuck). Creates the codex home (0700) when missing, refuses
 * a home others could tamper with, waits at most `waitMs` for another holder, and removes
 * what killed processes left behind.
 */
export async function withAuthLock<T>(
  codexHome: string,
  fn: () => Promise<T>,
  waitMs?: number,
): Promise<T> {
  await ensureHome(codexHome);
  let lock: Deno.FsFile;
  try {
    await checkHomeSafe(codexHome);
    lock = await acquireLock(codexHome, waitMs);
  } catch (err) {
    throw saveError(codexHome, err);
  }
  try {
    await removeLeftovers(codexHome);
    return await fn();
  } finally {
    try {
      await lock.unlock();
    } finally {
      lock.close();
    }
  }
}

/**
 * Write auth.json atomically. The caller must hold {@linkcode withAuthLock}. Never writes
 * through a symlink: the rename replaces the link itself.
 */
export async function writeAuthFileLocked(codexHome: string, data: AuthData): Promise<void> {
  const temp = tempFilePath(codexHome);
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
