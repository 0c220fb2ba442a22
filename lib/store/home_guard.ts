/**
 * Guarding the codex home before secrets go into it, as ssh guards `~/.ssh`: the home (and
 * auth.json) must belong to the person running codex-login and must not be writable by
 * group or others, and left-overs of killed processes (the temp file, stale cancel secrets) are removed.
 * The lock itself is `auth_lock.ts`. File modes do not apply on Windows, where these checks are skipped.
 *
 * @module
 */

import {
  authFilePath,
  authTempPath,
  cancelSecretPort,
  homeFile,
  logDirPath,
  probePath,
} from "./codex_home.ts";
import { errorText, ExitCode, LoginError } from "../base/errors.ts";

/** Whether file modes and owners apply here (not on Windows). */
export function posix(): boolean {
  return Deno.build.os !== "windows";
}

/** Our uid once learnt (it does not change while the process runs). */
let knownUid: number | null | undefined;

/**
 * The uid this process creates files as, found without `--allow-sys`: the owner of a probe
 * file made (and removed) in the codex home, which must exist. Learnt once per process.
 */
export async function ownUid(codexHome: string): Promise<number | null> {
  if (knownUid !== undefined) return knownUid;
  // With --allow-sys=uid (the installed command and make login grant it) no probe is needed.
  const sys = Deno.permissions.querySync({ name: "sys", kind: "uid" }).state === "granted";
  knownUid = sys && Deno.build.os !== "windows" ? Deno.uid() : await probeUid(codexHome);
  return knownUid;
}

async function probeUid(codexHome: string): Promise<number | null> {
  const probe = probePath(codexHome);
  const file = await Deno.open(probe, { write: true, createNew: true, mode: 0o600 });
  try {
    return (await file.stat()).uid;
  } finally {
    file.close();
    await Deno.remove(probe).catch(() => {});
  }
}

/** A refusal of an unsafe path, with the command that fixes it. */
export function unsafe(path: string, problem: string, fix: string): LoginError {
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
  const auth = authFilePath(codexHome);
  const info = await Deno.lstat(auth).catch(() => undefined);
  if (info?.isFile) checkEntry(auth, info, uid, false);
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
  await Deno.remove(authTempPath(codexHome)).catch(() => {});
  try {
    for await (const entry of Deno.readDir(codexHome)) {
      const port = cancelSecretPort(entry.name);
      if (!entry.isFile || port === undefined) continue;
      if (await listening(port) === false) {
        await Deno.remove(homeFile(codexHome, entry.name)).catch(() => {});
      }
    }
  } catch {
    // unreadable directory: nothing to clean
  }
}

function homeUnusable(codexHome: string, problem: string): LoginError {
  return new LoginError(
    "home_unusable",
    `Cannot keep your credentials in ${codexHome}: it ${problem}. Fix that, or pass --codex-home DIR for a directory of yours; nothing was opened.`,
  );
}

/**
 * Before a sign-in opens anything: the codex home exists (created 0700 when missing), is a
 * directory, and we can write in it (a probe file is made and removed). Throws a
 * `home_unusable` {@linkcode LoginError} naming the directory and the fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prepareHome } from "./home_guard.ts";
 * const dir = await Deno.makeTempDir();
 * await prepareHome(`${dir}/codex`);
 * assert.equal((await Deno.stat(`${dir}/codex`)).isDirectory, true);
 * await Deno.writeTextFile(`${dir}/file`, "");
 * await assert.rejects(prepareHome(`${dir}/file`), /is not a directory/);
 * ```
 */
export async function prepareHome(codexHome: string): Promise<void> {
  let info = await Deno.stat(codexHome).catch((err) => {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw homeUnusable(codexHome, `cannot be read (${errorText(err)})`);
  });
  if (!info) {
    try {
      await Deno.mkdir(codexHome, { recursive: true, mode: 0o700 });
      info = await Deno.stat(codexHome);
    } catch (err) {
      throw homeUnusable(codexHome, `cannot be created (${errorText(err)})`);
    }
  }
  if (!info.isDirectory) throw homeUnusable(codexHome, "is not a directory");
  try {
    knownUid = await probeUid(codexHome);
  } catch (err) {
    throw homeUnusable(codexHome, `is not writable by you (${errorText(err)})`);
  }
}

/**
 * Refuse a log directory (`{codexHome}/log`) that is a link, not a directory, someone else's,
 * or writable by group or others, with the command that fixes it. Absent: fine.
 */
export async function checkLogDirSafe(codexHome: string): Promise<void> {
  if (!posix()) return;
  const dir = logDirPath(codexHome);
  const info = await Deno.lstat(dir).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory) {
    throw unsafe(dir, info.isSymlink ? "is a symbolic link" : "is not a directory", `rm ${dir}`);
  }
  checkEntry(dir, info, await ownUid(codexHome).catch(() => null), true);
}
