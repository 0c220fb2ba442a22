/**
 * The auth lock: the one cross-process lock every credential backend takes before it writes
 * (`{codexHome}/auth.json.lock`, an OS file lock, so a crashed holder never leaves it
 * stuck). The lock file must be a regular file of ours (never followed through a symlink,
 * never a FIFO that would hang); a held lock is waited for a few seconds at most and then
 * named with its holder's pid. Taking it also creates the codex home (0700), refuses a home
 * others could tamper with, and removes what killed processes left behind.
 *
 * @module
 */

import { LoginError } from "../base/errors.ts";
import { permissionError } from "../base/permissions.ts";
import { authFilePath, authLockPath } from "./codex_home.ts";
import { checkHomeSafe, posix, removeLeftovers, unsafe } from "./home_guard.ts";

/** How long a command waits for another process's lock. */
export const LOCK_WAIT_MS = 10_000;

/** An OS error in a few words, without its errno suffix. */
export function errorText(err: unknown): string {
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "a directory is in the way";
  if (err instanceof Error) return err.message.replace(/\s*\(os error \d+\)/, "");
  return String(err);
}

/** The lock file's holder, as the holder wrote it (`pid N`). */
async function holderOf(path: string): Promise<string> {
  try {
    const text = (await Deno.readTextFile(path)).trim();
    return /^\d+$/.test(text) ? `process ${text}` : "another process";
  } catch {
    return "another process";
  }
}

/**
 * Open the lock without following a symlink and only if it is a regular file (a FIFO would
 * hang the open). The check and the open are tied by comparing device and inode.
 */
async function openLock(path: string, codexHome: string): Promise<Deno.FsFile> {
  const before = await Deno.lstat(path).catch((err) => {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  });
  if (before && !before.isFile) {
    const what = before.isSymlink ? "a symbolic link" : "not a regular file";
    throw unsafe(path, `is ${what}`, `rm ${path}`);
  }
  const file = await Deno.open(
    path,
    before ? { write: true } : {
      write: true,
      createNew: true,
      mode: 0o600,
    },
  );
  const after = await file.stat();
  if (before && posix() && (after.ino !== before.ino || after.dev !== before.dev)) {
    file.close();
    throw unsafe(path, "was replaced while being opened", `rm ${path}`);
  }
  // The home was checked to be ours: a lock owned by anyone else was planted.
  const home = posix() ? await Deno.stat(codexHome).catch(() => undefined) : undefined;
  if (home?.uid != null && after.uid != null && after.uid !== home.uid) {
    file.close();
    throw unsafe(path, `belongs to another account (uid ${after.uid})`, `rm ${path}`);
  }
  return file;
}

/**
 * Take the exclusive lock on `{codexHome}/auth.json.lock`, waiting at most `waitMs` for
 * another process; the holder's pid is written into the file for the next one's message.
 */
async function acquireLock(codexHome: string, waitMs = LOCK_WAIT_MS): Promise<Deno.FsFile> {
  const path = authLockPath(codexHome);
  const file = await openLock(path, codexHome).catch(async (err) => {
    // Lost a race to create it: it exists now, open it as an existing file.
    if (err instanceof Deno.errors.AlreadyExists) return await openLock(path, codexHome);
    throw err;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), waitMs));
  const got = await Promise.race([file.lock(true).then(() => "locked" as const), timeout]);
  clearTimeout(timer);
  if (got === "timeout") {
    file.close();
    const holder = await holderOf(path);
    throw new LoginError(
      "lock_busy",
      `${path} is held by ${holder} (another codex-login or codex command using these credentials). Wait for it to finish; if none is running, remove ${path} and try again.`,
    );
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  return file;
}

async function ensureHome(codexHome: string): Promise<void> {
  try {
    await Deno.mkdir(codexHome, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw saveError(codexHome, err);
  }
}

/** A failed write in the codex home as the next step: a permission to grant, or the fix. */
export function saveError(codexHome: string, err: unknown): LoginError {
  if (err instanceof LoginError) return err;
  if (err instanceof Deno.errors.NotCapable) {
    const name = /read access/.test(err.message) ? "read" : "write";
    return permissionError({ name, path: codexHome }, "to save auth.json");
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
 * Run `fn` holding the auth lock, waiting at most `waitMs` for another holder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withAuthLock } from "./auth_lock.ts";
 * const home = `${await Deno.makeTempDir()}/codex`;
 * assert.equal(await withAuthLock(home, async () => "held"), "held");
 * assert.equal((await Deno.stat(home)).mode! & 0o777, 0o700);
 * ```
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
