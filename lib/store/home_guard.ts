/**
 * Guarding the codex home before secrets go into it, as ssh guards `~/.ssh`: the home (and
 * auth.json) must belong to the person running codex-login and must not be writable by
 * group or others, the lock must be a regular file of theirs (never followed through a
 * symlink, never a FIFO that would hang), a held lock is waited for a few seconds at most,
 * and left-overs of killed processes (the temp file, stale cancel secrets) are removed.
 * File modes do not apply on Windows, where these checks are skipped.
 *
 * @module
 */

import { homeFile } from "./codex_home.ts";
import { ExitCode, LoginError } from "../base/errors.ts";

/** How long a command waits for another process's lock. */
export const LOCK_WAIT_MS = 10_000;

function posix(): boolean {
  return Deno.build.os !== "windows";
}

/** Our uid once learnt (it does not change while the process runs). */
let knownUid: number | null | undefined;

/** The uid this process creates files as, found without `--allow-sys`: a probe file's owner. */
async function ownUid(codexHome: string): Promise<number | null> {
  if (knownUid !== undefined) return knownUid;
  knownUid = await probeUid(codexHome);
  return knownUid;
}

async function probeUid(codexHome: string): Promise<number | null> {
  const probe = homeFile(codexHome, `.codex-login-probe-${crypto.randomUUID()}`);
  const file = await Deno.open(probe, { write: true, createNew: true, mode: 0o600 });
  try {
    return (await file.stat()).uid;
  } finally {
    file.close();
    await Deno.remove(probe).catch(() => {});
  }
}

function unsafe(path: string, problem: string, fix: string): LoginError {
  return new LoginError(
    "unsafe_home",
    `${path} ${problem}, so other accounts could read or replace your credentials; nothing was written. Fix it with \`${fix}\`, then run codex-login again.`,
    { exitCode: ExitCode.Failed },
  );
}

function checkEntry(path: string, info: Deno.FileInfo, uid: number | null, dir: boolean): void {
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    throw unsafe(path, `belongs to another account (uid ${info.uid})`, `chown "$(id -un)" ${path}`);
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    throw unsafe(
      path,
      "is writable by group or others",
      dir ? `chmod 700 ${path}` : `chmod 600 ${path}`,
    );
  }
}

/**
 * Refuse a codex home (or an auth.json in it) that belongs to someone else or that group or
 * others may write. Call with the home existing (it creates and removes a probe file).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkHomeSafe } from "./home_guard.ts";
 * const home = await Deno.makeTempDir();
 * await checkHomeSafe(home);
 * await Deno.chmod(home, 0o777);
 * await assert.rejects(checkHomeSafe(home), /writable by group or others.*chmod 700/);
 * ```
 */
export async function checkHomeSafe(codexHome: string): Promise<void> {
  if (!posix()) return;
  const home = await Deno.stat(codexHome);
  const uid = await ownUid(codexHome).catch(() => null);
  checkEntry(codexHome, home, uid, true);
  const auth = homeFile(codexHome, "auth.json");
  const info = await Deno.lstat(auth).catch(() => undefined);
  if (info?.isFile) checkEntry(auth, info, uid, false);
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
export async function acquireLock(codexHome: string, waitMs = LOCK_WAIT_MS): Promise<Deno.FsFile> {
  const path = homeFile(codexHome, "auth.json.lock");
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

/** Whether something listens on 127.0.0.1:`port` (false when we may not even ask). */
async function listening(port: number): Promise<boolean | undefined> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.ConnectionRefused) return false;
    return undefined; // not permitted or unknown: keep the file
  }
}

/**
 * Remove what killed processes left behind, under the lock: the temp file a write goes
 * through (it may hold tokens), and cancel secrets of logins no longer listening.
 */
export async function removeLeftovers(codexHome: string): Promise<void> {
  await Deno.remove(homeFile(codexHome, ".auth.json.tmp")).catch(() => {});
  try {
    for await (const entry of Deno.readDir(codexHome)) {
      const port = /^\.login-(\d+)\.secret$/.exec(entry.name)?.[1];
      if (!entry.isFile || !port) continue;
      if (await listening(Number(port)) === false) {
        await Deno.remove(homeFile(codexHome, entry.name)).catch(() => {});
      }
    }
  } catch {
    // unreadable directory: nothing to clean
  }
}
