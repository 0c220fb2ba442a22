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
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = await file.read(buffer.subarray(length));
      if (n === null) break;
      length += n;
    }
    if (length > maxBytes) throw new UnreadableFile("too_large", maxBytes);
    return new TextDecoder().decode(buffer.subarray(0, length));
  } finally {
    file.close();
  }
}
