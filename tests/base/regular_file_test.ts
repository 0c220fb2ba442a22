import assert from "node:assert/strict";
import { readRegularText, UnreadableFile } from "../../lib/base/regular_file.ts";

const mkfifo = await new Deno.Command("mkfifo", { args: ["--version"], stdout: "null" }).output()
  .then((o) => o.success, () => false);

Deno.test("a regular file (or a symlink to one) is read whole up to the limit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a`, "x = 1\n");
    await Deno.symlink(`${dir}/a`, `${dir}/link`);
    assert.equal(await readRegularText(`${dir}/a`, 6), "x = 1\n");
    assert.equal(await readRegularText(`${dir}/link`, 100), "x = 1\n");
    const big = await readRegularText(`${dir}/a`, 5).catch((e) => e);
    assert.ok(big instanceof UnreadableFile && big.problem === "too_large");
    assert.equal(big.message, "is larger than 5 bytes");
    await assert.rejects(readRegularText(`${dir}/missing`, 5), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a FIFO, a device or a directory is refused before it is opened (no hang, no endless read)",
  ignore: !mkfifo,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      assert.ok((await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output()).success);
      for (const path of [`${dir}/fifo`, "/dev/zero", dir]) {
        const err = await readRegularText(path, 1024).catch((e) => e);
        assert.ok(err instanceof UnreadableFile && err.problem === "not_regular", path);
        assert.match(err.message, /is not a regular file/);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
