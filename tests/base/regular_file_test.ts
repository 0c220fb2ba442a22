import assert from "node:assert/strict";
import { readRegularText, UnreadableFile } from "../../lib/base/regular_file.ts";
import { loadCaCerts } from "../../lib/issuer/network.ts";
import { loadSettings } from "../../lib/store/config.ts";
import { readAuthFile } from "../../lib/store/file_store.ts";
import { tempHome } from "../support/helpers.ts";

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

Deno.test({
  name: "a FIFO as config.toml, auth.json or CA bundle is refused, never read (no hang)",
  ignore: !mkfifo,
  async fn() {
    await using h = await tempHome();
    await Deno.mkdir(h.home.path, { mode: 0o700 });
    for (const path of [h.home.config, h.home.authFile, `${h.dir}/ca.pem`]) {
      const made = await new Deno.Command("mkfifo", { args: [path] }).output();
      assert.ok(made.success);
    }
    await assert.rejects(loadSettings(h.home), /config\.toml is not a regular file/);
    await assert.rejects(
      readAuthFile(h.home),
      /auth\.json is a directory or not a regular file\. Move it out of the way \(a sign-in cannot replace it\)/,
    );
    await assert.rejects(
      loadCaCerts({
        ca: { variable: "CODEX_CA_CERTIFICATE", path: `${h.dir}/ca.pem` },
        noProxy: [],
      }),
      /CODEX_CA_CERTIFICATE.*ca\.pem.*not a regular file/,
    );
  },
});
