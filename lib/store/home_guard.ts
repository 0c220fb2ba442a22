/**
 * Guarding the codex home before secrets go into it, as ssh guards `~/.ssh`: the home (and
 * auth.json) must belong to the person running codex-login and must not be writable by
 * group or others, and left-overs of killed processes (the temp file, stale cancel secrets)
 * are removed. The lock itself is `auth_lock.ts`. File modes do not apply on Windows, where
 * these checks are skipped.
 *
 * @module
 */

import { cancelSecretPort, type CodexHome, homeUnusable } from "./codex_home.ts";
import { errorText, LoginError } from "../base/errors.ts";

/** Whether file modes and owners apply here (not on Windows). */
export function posix(): boolean {
  return Deno.build.os !== "windows";
}

/**
 * A refusal of an unsafe path, with the command that fixes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unsafe } from "./home_guard.ts";
 * const err = unsafe("/h/auth.json", "is writable by group or others", "chmod 600 /h/auth.json");
 * assert.equal(err.kind, "unsafe_home");
 * assert.match(err.next ?? "", /chmod 600/);
 * ```
 */
export function unsafe(path: string, problem: string, fix: string): LoginError {
  return new LoginError("unsafe_home", {
    what:
      `${path} ${problem}, so other accounts could read or replace your credentials; nothing was written.`,
    next: `Fix it with \`${fix}\`, then run codex-login again.`,
  });
}

/**
 * Refuse an entry that belongs to someone other than `uid`, or that group or others may write
 * (`secret`: may read or write), with the command that fixes it.
 */
export function checkEntry(
  path: string,
  info: Deno.FileInfo,
  uid: number | null,
  dir: boolean,
  secret = false,
): void {
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    throw unsafe(path, `belongs to another account (uid ${info.uid})`, `chown "$(id -un)" ${path}`);
  }
  if (info.mode !== null && (info.mode & (secret ? 0o077 : 0o022)) !== 0) {
    throw unsafe(
      path,
      secret ? "can be read or written by group or others" : "is writable by group or others",
      dir ? `chmod 700 ${path}` : `chmod 600 ${path}`,
    );
  }
}

/**
 * Refuse a codex home (or an auth.json in it) that belongs to someone else or that group or
 * others may write. Call with the home existing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CodexHome } from "./codex_home.ts";
 * import { checkHomeSafe } from "./home_guard.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * await checkHomeSafe(home);
 * await Deno.chmod(home.path, 0o777);
 * await assert.rejects(checkHomeSafe(home), /writable by group or others.*chmod 700/);
 * ```
 */
export async function checkHomeSafe(home: CodexHome): Promise<void> {
  if (!posix()) return;
  const info = await Deno.stat(home.path);
  const uid = await home.ownerUid();
  checkEntry(home.path, info, uid, true);
  const auth = await Deno.lstat(home.authFile).catch(() => undefined);
  if (auth?.isFile) checkEntry(home.authFile, auth, uid, false);
}

/**
 * Whether something listens on 127.0.0.1:`port` (undefined when we may not even ask), found by
 * trying to bind it, never by connecting: a connection would reach a live login's peer check
 * (our own among them) as a stranger's.
 */
function listening(port: number): boolean | undefined {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return false;
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) return true;
    return undefined; // not permitted or unknown: keep the file
  }
}

/**
 * Remove what killed processes left behind, under the lock: the temp file a write goes
 * through (it may hold tokens), and cancel secrets of logins no longer listening.
 */
export async function removeLeftovers(home: CodexHome): Promise<void> {
  await Deno.remove(home.authTemp).catch(() => {});
  try {
    for await (const entry of Deno.readDir(home.path)) {
      const port = cancelSecretPort(entry.name);
      if (!entry.isFile || port === undefined) continue;
      if (listening(port) === false) {
        await Deno.remove(home.file(entry.name)).catch(() => {});
      }
    }
  } catch {
    // unreadable directory: nothing to clean
  }
}

/**
 * Before a sign-in opens anything: the codex home exists (created 0700 when missing), is a
 * directory, and we can write in it (a probe file is made and removed, which also tells our
 * uid). Throws a `home_unusable` {@linkcode LoginError} naming the directory and the fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CodexHome } from "./codex_home.ts";
 * import { prepareHome } from "./home_guard.ts";
 * const dir = await Deno.makeTempDir();
 * await prepareHome(new CodexHome(`${dir}/codex`));
 * assert.equal((await Deno.stat(`${dir}/codex`)).isDirectory, true);
 * await Deno.writeTextFile(`${dir}/file`, "");
 * await assert.rejects(prepareHome(new CodexHome(`${dir}/file`)), /is not a directory/);
 * ```
 */
export async function prepareHome(home: CodexHome): Promise<void> {
  let info = await Deno.stat(home.path).catch((err) => {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw homeUnusable(home.path, `cannot be read (${errorText(err)})`);
  });
  if (!info) {
    try {
      await home.ensure();
      info = await Deno.stat(home.path);
    } catch (err) {
      throw homeUnusable(home.path, `cannot be created (${errorText(err)})`);
    }
  }
  if (!info.isDirectory) throw homeUnusable(home.path, "is not a directory");
  try {
    await home.probe();
  } catch (err) {
    throw homeUnusable(home.path, `is not writable by you (${errorText(err)})`);
  }
}

/**
 * Refuse a log directory (`{codexHome}/log`) that is a link, not a directory, someone else's,
 * or writable by group or others, with the command that fixes it. Absent: fine.
 */
export async function checkLogDirSafe(home: CodexHome): Promise<void> {
  if (!posix()) return;
  const dir = home.logDir;
  const info = await Deno.lstat(dir).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory) {
    throw unsafe(dir, info.isSymlink ? "is a symbolic link" : "is not a directory", `rm ${dir}`);
  }
  checkEntry(dir, info, await home.ownerUid(), true);
}
