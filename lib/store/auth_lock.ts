/**
 * The auth lock: what every credential backend holds while it reads-to-write or writes, the
 * same two OS file locks as the Codex CLI (0.169) in its order: `{codexHome}/auth.lock`, then
 * `{codexHome}/auth.json.lock` (OS locks, so a crashed holder never leaves them stuck). Codex
 * takes `auth.json.lock` without waiting once it holds `auth.lock`, so holding the inner lock
 * alone would make a Codex save fail; taking both in this order makes a Codex save wait. The lock file must be a regular file of ours (never followed through a symlink,
 * never a FIFO that would hang); a held lock is waited for a few seconds at most and then
 * named with its holder's pid. Taking it also creates the codex home (0700), refuses a home
 * others could tamper with, and removes what killed processes left behind.
 *
 * @module
 */

import { errorText, LoginError } from "../base/errors.ts";
import { permissionError } from "../base/permissions.ts";
import type { CodexHome } from "./codex_home.ts";
import { checkHomeSafe, posix, removeLeftovers, unsafe } from "./home_guard.ts";

/** How long a command waits for another process's lock. */
export const LOCK_WAIT_MS = 10_000;

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
async function openLock(path: string, home: CodexHome): Promise<Deno.FsFile> {
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
  const dir = posix() ? await Deno.stat(home.path).catch(() => undefined) : undefined;
  if (dir?.uid != null && after.uid != null && after.uid !== dir.uid) {
    file.close();
    throw unsafe(path, `belongs to another account (uid ${after.uid})`, `rm ${path}`);
  }
  return file;
}

/**
 * Take the exclusive lock on one lock file, waiting until `deadline` for another process;
 * our pid is written into the file for the next one's message (and cleared on release).
 */
async function acquireLock(
  path: string,
  home: CodexHome,
  deadline: number,
): Promise<Deno.FsFile> {
  const file = await openLock(path, home).catch(async (err) => {
    // Lost a race to create it: it exists now, open it as an existing file.
    if (err instanceof Deno.errors.AlreadyExists) return await openLock(path, home);
    throw err;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waitMs = Math.max(0, deadline - Date.now());
  const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), waitMs));
  const got = await Promise.race([file.lock(true).then(() => "locked" as const), timeout]);
  clearTimeout(timer);
  if (got === "timeout") {
    file.close();
    const holder = await holderOf(path);
    throw new LoginError("lock_busy", {
      what:
        `${path} is held by ${holder} (another codex-login or codex command using these credentials).`,
      next: `Wait for it to finish; if none is running, remove ${path} and try again.`,
    });
  }
  // Best effort (a full disk must not keep the lock from working): the next holder's message.
  await file.truncate(0)
    .then(() => file.write(new TextEncoder().encode(`${Deno.pid}\n`)))
    .catch(() => {});
  return file;
}

async function release(file: Deno.FsFile): Promise<void> {
  try {
    await file.truncate(0).catch(() => {}); // no stale pid for the next holder's message
    await file.unlock();
  } finally {
    file.close();
  }
}

/**
 * Take Codex's two locks in Codex's order: `auth.lock` (the one a Codex save waits on), then
 * `auth.json.lock` (which Codex takes without waiting, and so must never be held alone).
 */
async function acquireLocks(home: CodexHome, waitMs: number): Promise<Deno.FsFile[]> {
  const deadline = Date.now() + waitMs;
  const outer = await acquireLock(home.authLock, home, deadline);
  try {
    return [outer, await acquireLock(home.authFileLock, home, deadline)];
  } catch (err) {
    await release(outer);
    throw err;
  }
}

/** A failed write in the codex home as the next step: a permission to grant, or the fix. */
export function saveError(home: CodexHome, err: unknown): LoginError {
  if (err instanceof LoginError) return err;
  if (err instanceof Deno.errors.NotCapable) {
    const name = /read access/.test(err.message) ? "read" : "write";
    return permissionError({ name, path: home.path }, "to save auth.json");
  }
  // rename(2) onto a directory: EISDIR, or ENOTEMPTY when it holds something.
  const inTheWay = err instanceof Deno.errors.IsADirectory ||
    (err instanceof Error && /Directory not empty/.test(err.message));
  return new LoginError("save_failed", {
    what: `Could not save your credentials to ${home.authFile} (${errorText(err)}).`,
    next: inTheWay
      ? `${home.authFile} is a directory: move it out of the way, then sign in again.`
      : `Check that ${home.path} is a writable directory with free space, then sign in again.`,
    cause: err,
  });
}

/**
 * Run `fn` holding one more lock file of the codex home (`accounts/.lock`), opened with the same
 * rules as Codex's two (a regular file of ours, never followed through a link, a holder named
 * after a few seconds). Callers that also need Codex's locks take those first.
 */
export async function withLockFile<T>(
  home: CodexHome,
  path: string,
  fn: () => Promise<T>,
  waitMs: number = LOCK_WAIT_MS,
): Promise<T> {
  const lock = await acquireLock(path, home, Date.now() + waitMs);
  try {
    return await fn();
  } finally {
    await release(lock);
  }
}

/**
 * Run `fn` holding the auth lock, waiting at most `waitMs` for another holder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withAuthLock } from "./auth_lock.ts";
 * import { CodexHome } from "./codex_home.ts";
 * const home = new CodexHome(`${await Deno.makeTempDir()}/codex`);
 * assert.equal(await withAuthLock(home, async () => "held"), "held");
 * assert.equal((await Deno.stat(home.path)).mode! & 0o777, 0o700);
 * ```
 */
export async function withAuthLock<T>(
  home: CodexHome,
  fn: () => Promise<T>,
  waitMs: number = LOCK_WAIT_MS,
): Promise<T> {
  let locks: Deno.FsFile[];
  try {
    await home.ensure();
    await checkHomeSafe(home);
    locks = await acquireLocks(home, waitMs);
  } catch (err) {
    throw saveError(home, err);
  }
  try {
    await removeLeftovers(home);
    return await fn();
  } finally {
    // The inner lock first: Codex must never find auth.json.lock held without auth.lock.
    for (const lock of locks.reverse()) await release(lock);
  }
}
