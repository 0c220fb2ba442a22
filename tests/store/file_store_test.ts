import assert from "node:assert/strict";
import { type AuthData, AuthFileError, type ChatGptAuth } from "../../lib/store/auth_data.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import { LoginError } from "../../lib/base/errors.ts";
import { tempHome } from "../support/helpers.ts";

const sample: AuthData = {
  auth_mode: "chatgpt",
  OPENAI_API_KEY: "sk-test-1",
  tokens: { id_token: "a.b.c", access_token: "at", refresh_token: "rt", account_id: "acc" },
  last_refresh: "2026-01-01T00:00:00.000Z",
};

Deno.test("write then read round-trips, 2-space JSON, file 0600, home created 0700", async () => {
  await using h = await tempHome();
  await saveAuthFile(h.home, sample);
  assert.deepEqual(await readAuthFile(h.home), sample);
  const text = await Deno.readTextFile(h.home.authFile);
  assert.equal(text, JSON.stringify(sample, null, 2) + "\n");
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(h.home.authFile)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(h.home.path)).mode! & 0o777, 0o700);
  }
  await assert.rejects(Deno.stat(h.home.authTemp), Deno.errors.NotFound);
});

Deno.test("a failed write leaves the previous auth.json untouched", async () => {
  await using h = await tempHome();
  await saveAuthFile(h.home, sample);
  const before = await Deno.readTextFile(h.home.authFile);
  // Make the rename fail: a directory where the temp file must go cannot be removed.
  await Deno.mkdir(h.home.authTemp);
  await Deno.writeTextFile(`${h.home.authTemp}/keep`, "x");
  await assert.rejects(
    saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-new-key-value" }),
    (e: unknown) =>
      e instanceof LoginError && e.kind === "save_failed" && e.message.includes(h.home.path) &&
      !e.message.includes("sk-new-key-value"),
  );
  assert.equal(await Deno.readTextFile(h.home.authFile), before);
});

Deno.test("a stale temp file from a killed write is replaced, not written through", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path);
  const victim = `${h.dir}/victim`;
  await Deno.writeTextFile(victim, "do not touch");
  await Deno.symlink(victim, h.home.authTemp);
  await saveAuthFile(h.home, sample);
  assert.equal(await Deno.readTextFile(victim), "do not touch");
  assert.deepEqual(await readAuthFile(h.home), sample);
});

Deno.test("auth.json that is a symlink is replaced, its target untouched", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path);
  const victim = `${h.dir}/elsewhere.json`;
  await Deno.writeTextFile(victim, "{}");
  await Deno.symlink(victim, h.home.authFile);
  await saveAuthFile(h.home, sample);
  assert.equal(await Deno.readTextFile(victim), "{}");
  assert.ok((await Deno.lstat(h.home.authFile)).isFile);
});

Deno.test("reading: none, corrupt, wrong shape, directory; legacy files without auth_mode", async () => {
  await using h = await tempHome();
  assert.equal(await readAuthFile(h.home), undefined);
  await Deno.mkdir(h.home.path);
  const path = h.home.authFile;
  await Deno.writeTextFile(path, "{not json");
  await assert.rejects(
    readAuthFile(h.home),
    (e: unknown) =>
      e instanceof AuthFileError && e.message.includes(path) && /not valid JSON/.test(e.message),
  );
  await Deno.writeTextFile(path, '{"tokens": {"id_token": 1}}');
  await assert.rejects(readAuthFile(h.home), AuthFileError);
  await Deno.writeTextFile(path, JSON.stringify({ OPENAI_API_KEY: "sk-legacy" }));
  assert.deepEqual(await readAuthFile(h.home), {
    auth_mode: "apikey",
    OPENAI_API_KEY: "sk-legacy",
  });
  // Without auth_mode, Codex resolves a file holding an API key as API-key mode, whatever
  // else it holds; with a null key it is a ChatGPT sign-in.
  const { auth_mode: _mode, ...legacy } = sample as ChatGptAuth;
  await Deno.writeTextFile(path, JSON.stringify(legacy));
  assert.deepEqual(await readAuthFile(h.home), { ...legacy, auth_mode: "apikey" });
  await Deno.writeTextFile(path, JSON.stringify({ ...legacy, OPENAI_API_KEY: null }));
  assert.deepEqual(await readAuthFile(h.home), { ...sample, OPENAI_API_KEY: null });
  await Deno.remove(path);
  await Deno.mkdir(path);
  await assert.rejects(readAuthFile(h.home), /is a directory/);
});

Deno.test("FileCredentialStore: auth.json in the home, saved and removed under the lock", async () => {
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  assert.equal(store.kind, "file");
  assert.equal(store.home, h.home);
  assert.equal(store.describe(), h.home.authFile);
  assert.equal(await store.load(), undefined);
  assert.equal(await store.remove(), false, "nothing to remove");
  await store.save(sample);
  assert.deepEqual(await store.load(), sample);
  const seen = await store.withLock(async (locked) => {
    const before = await locked.load();
    await locked.save({ auth_mode: "apikey", OPENAI_API_KEY: "sk-under-the-lock" });
    return before;
  });
  assert.deepEqual(seen, sample);
  assert.equal((await readAuthFile(h.home))?.OPENAI_API_KEY, "sk-under-the-lock");
  assert.equal(await store.remove(), true);
  await assert.rejects(Deno.stat(h.home.authFile), Deno.errors.NotFound);
});
