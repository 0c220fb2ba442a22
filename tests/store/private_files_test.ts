import assert from "node:assert/strict";
import {
  checkPrivate,
  ensurePrivateDir,
  MAX_PRIVATE_BYTES,
  readPrivate,
  writePrivate,
} from "../../lib/store/private_files.ts";

Deno.test("private files: written whole, 0600, through a temp file that never stays", async () => {
  const dir = await Deno.makeTempDir();
  await ensurePrivateDir(`${dir}/p`, null);
  assert.equal((await Deno.stat(`${dir}/p`)).mode! & 0o777, 0o700);
  await writePrivate(`${dir}/p/f`, `${dir}/p/.tmp-1`, "one");
  await writePrivate(`${dir}/p/f`, `${dir}/p/.tmp-2`, "two");
  assert.equal(await readPrivate(`${dir}/p/f`, null), "two");
  assert.equal((await Deno.stat(`${dir}/p/f`)).mode! & 0o777, 0o600);
  assert.deepEqual([...Deno.readDirSync(`${dir}/p`)].map((e) => e.name), ["f"]);
  // A temp name that exists already (a planted file) fails the write and leaves `f` alone.
  await Deno.writeTextFile(`${dir}/p/.tmp-3`, "planted");
  await assert.rejects(writePrivate(`${dir}/p/f`, `${dir}/p/.tmp-3`, "three"));
  assert.equal(await readPrivate(`${dir}/p/f`, null), "two");
  assert.equal(await readPrivate(`${dir}/p/none`, null), undefined);
});

Deno.test("private files: links, other kinds, open modes, other owners and huge files refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/f`, "x", { mode: 0o600 });
  const uid = (await Deno.stat(dir)).uid ?? 0;
  assert.doesNotThrow(() => checkPrivate(`${dir}/f`, Deno.lstatSync(`${dir}/f`), uid, "file"));
  assert.throws(
    () => checkPrivate(`${dir}/f`, Deno.lstatSync(`${dir}/f`), uid + 1, "file"),
    new RegExp(`belongs to another account \\(uid ${uid}\\)`),
  );
  assert.throws(() => checkPrivate(dir, Deno.lstatSync(dir), uid, "file"), /not a regular file/);
  await Deno.symlink(`${dir}/f`, `${dir}/l`);
  await assert.rejects(readPrivate(`${dir}/l`, uid), /is a symbolic link/);
  await Deno.chmod(`${dir}/f`, 0o604);
  await assert.rejects(readPrivate(`${dir}/f`, uid), /group or others.*chmod 600/);
  await Deno.writeTextFile(`${dir}/big`, "x".repeat(MAX_PRIVATE_BYTES + 1), { mode: 0o600 });
  await Deno.chmod(`${dir}/big`, 0o600);
  await assert.rejects(readPrivate(`${dir}/big`, uid), /larger than/);
  await Deno.writeTextFile(`${dir}/notdir`, "");
  await assert.rejects(ensurePrivateDir(`${dir}/notdir`, uid), /is not a directory/);
});
