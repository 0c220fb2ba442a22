/**
 * Files only the person may read, in a directory only they may enter: the guards and the atomic
 * write behind the saved accounts (`saved_accounts.ts`); auth.json is written with the same
 * atomic write (`file_store.ts`). A directory must be a real directory
 * (not a link), theirs, mode 0700 or stricter; a file a regular file (not a link), theirs, 0600
 * or stricter; anything else is refused with the command that fixes it, before a byte is read
 * or written. Writes go through a 0600 temp file in the same directory, fsync, rename. File
 * modes and owners do not apply on Windows, where only the kinds are checked.
 *
 * @module
 */

import { errorText, LoginError } from "../base/errors.ts";
import { permissionError } from "../base/permissions.ts";
import { readAtMost } from "../base/regular_file.ts";
import { checkEntry, posix, unsafe } from "./home_guard.ts";

/** The largest saved file read (a saved copy is a few KiB, the index less). */
export const MAX_PRIVATE_BYTES = 1024 * 1024;

/**
 * Refuse an entry that is a link, of the wrong kind, someone else's, or open to group or others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPrivate } from "./private_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/f`, "x", { mode: 0o644 });
 * await Deno.chmod(`${dir}/f`, 0o644);
 * assert.throws(() => checkPrivate(`${dir}/f`, Deno.lstatSync(`${dir}/f`), null, "file"),
 *   /read or written by group or others.*chmod 600/);
 * ```
 */
export function checkPrivate(
  path: string,
  info: Deno.FileInfo,
  uid: number | null,
  kind: "file" | "dir",
): void {
  if (info.isSymlink) throw unsafe(path, "is a symbolic link", `rm ${path}`);
  if (kind === "dir" ? !info.isDirectory : !info.isFile) {
    throw unsafe(
      path,
      kind === "dir" ? "is not a directory" : "is not a regular file",
      `rm ${path}`,
    );
  }
  if (posix()) checkEntry(path, info, uid, kind === "dir", true);
}

/** `lstat`, or `undefined` when there is nothing at `path`. */
async function lstatIfAny(path: string): Promise<Deno.FileInfo | undefined> {
  return await Deno.lstat(path).catch((err) => {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  });
}

/**
 * A failure in the person's private files as the next step: a permission to grant, an unsafe
 * path's fix (kept), else `save_failed` naming the path.
 */
export function privateFileError(path: string, dir: string, err: unknown): LoginError {
  if (err instanceof LoginError) return err;
  if (err instanceof Deno.errors.NotCapable) {
    const name = /read access/.test(err.message) ? "read" : "write";
    return permissionError({ name, path: dir }, "to keep the saved accounts");
  }
  return new LoginError("save_failed", {
    what: `Could not use ${path} (${errorText(err)}); nothing was changed.`,
    next: `Check that ${dir} is a directory of yours with free space, then try again.`,
    cause: err,
  });
}

/**
 * Make sure `dir` is a private directory of ours (created 0700 when missing; its parent must
 * exist). Throws an `unsafe_home` {@linkcode LoginError} with the fix otherwise.
 */
export async function ensurePrivateDir(dir: string, uid: number | null): Promise<void> {
  let info = await lstatIfAny(dir);
  if (!info) {
    await Deno.mkdir(dir, { mode: 0o700 }).catch((err) => {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    });
    info = await Deno.lstat(dir);
  }
  checkPrivate(dir, info, uid, "dir");
}

/** Our uid, or how to learn it (asked only when there is a file to check). */
export type OwnerUid = number | null | (() => Promise<number | null>);

/**
 * The text of a private file, `undefined` when there is none. The file checked is the file
 * read (device and inode compared after the open), and at most {@linkcode MAX_PRIVATE_BYTES}
 * are read.
 */
export async function readPrivate(path: string, owner: OwnerUid): Promise<string | undefined> {
  const before = await lstatIfAny(path);
  if (!before) return undefined;
  const uid = typeof owner === "function" ? await owner() : owner;
  checkPrivate(path, before, uid, "file");
  const file = await Deno.open(path, { read: true });
  try {
    const info = await file.stat();
    if (posix() && (info.ino !== before.ino || info.dev !== before.dev)) {
      throw unsafe(path, "was replaced while being read", `rm ${path}`);
    }
    const bytes = await readAtMost(file, MAX_PRIVATE_BYTES);
    if (bytes.length > MAX_PRIVATE_BYTES) {
      throw new LoginError("corrupt_auth", {
        what: `${path} is larger than ${MAX_PRIVATE_BYTES} bytes, so it was not read.`,
        next: `Remove it (\`rm ${path}\`) and sign that account in again.`,
      });
    }
    return new TextDecoder().decode(bytes);
  } finally {
    file.close();
  }
}

/**
 * Write `text` to `path` atomically: a new 0600 file at `temp` (same directory), fsync, rename
 * over `path` (a link at `path` is replaced, never followed). The temp file is removed on failure.
 */
export async function writePrivate(path: string, temp: string, text: string): Promise<void> {
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      const bytes = new TextEncoder().encode(text);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}
