/**
 * Reading a file that must be a regular file of bounded size: a FIFO would hang the read, a
 * device (`/dev/zero`) would grow memory without bound, so both are refused before the file is
 * opened, and no more than `maxBytes` are ever read.
 *
 * @module
 */

/** Why a file was not read: not a regular file, or larger than allowed. */
export class UnreadableFile extends Error {
  /** `not_regular` (a FIFO, device, socket or directory) or `too_large`. */
  readonly problem: "not_regular" | "too_large";
  /** Make one; the message is a phrase to follow the path ("is not a regular file"). */
  constructor(problem: "not_regular" | "too_large", maxBytes: number) {
    super(
      problem === "not_regular"
        ? "is not a regular file (a FIFO, a device or a directory)"
        : `is larger than ${maxBytes} bytes`,
    );
    this.name = "UnreadableFile";
    this.problem = problem;
  }
}

/**
 * The text of `path`, which must be a regular file (symlinks to one are followed) of at most
 * `maxBytes`. Throws {@linkcode UnreadableFile}, or what `Deno.stat`/`Deno.open` throw
 * (`NotFound`, `PermissionDenied`, `NotCapable`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRegularText, UnreadableFile } from "./regular_file.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.toml`, "x = 1\n");
 * assert.equal(await readRegularText(`${dir}/a.toml`, 100), "x = 1\n");
 * await assert.rejects(readRegularText(`${dir}/a.toml`, 3), UnreadableFile);
 * await assert.rejects(readRegularText(dir, 100), UnreadableFile);
 * ```
 */
export async function readRegularText(path: string, maxBytes: number): Promise<string> {
  const info = await Deno.stat(path);
  if (!info.isFile) throw new UnreadableFile("not_regular", maxBytes);
  if (info.size > maxBytes) throw new UnreadableFile("too_large", maxBytes);
  const file = await Deno.open(path, { read: true });
  try {
    const bytes = await readAtMost(file, maxBytes);
    if (bytes.length > maxBytes) throw new UnreadableFile("too_large", maxBytes);
    return new TextDecoder().decode(bytes);
  } finally {
    file.close();
  }
}

/**
 * The bytes of an open file, up to `maxBytes + 1`: a result longer than `maxBytes` says the
 * file is larger than allowed (what is beyond is never read).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readAtMost } from "./regular_file.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a`, "abcdef");
 * using file = await Deno.open(`${dir}/a`);
 * assert.equal((await readAtMost(file, 3)).length, 4);
 * ```
 */
export async function readAtMost(file: Deno.FsFile, maxBytes: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(maxBytes + 1);
  let length = 0;
  while (length < buffer.length) {
    const n = await file.read(buffer.subarray(length));
    if (n === null) break;
    length += n;
  }
  return buffer.subarray(0, length);
}
