import assert from "node:assert/strict";
import { type AuthData, AuthFileError, type ChatGptAuth } from "../lib/store/auth_data.ts";
import { authFilePath, joinPath, resolveCodexHome } from "../lib/store/codex_home.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { authTempPath } from "../lib/store/codex_home.ts";
import { LoginError } from "../lib/base/errors.ts";
import { tempHome } from "./support/helpers.ts";

const sample: AuthData = {
  auth_mode: "chatgpt",
  OPENAI_API_KEY: "sk-test-1",
  tokens: { id_token: "a.b.c", access_token: "at", refresh_token: "rt", account_id: "acc" },
  last_refresh: "2026-01-01T00:00:00.000Z",
};

Deno.test("codex home: flag, then $CODEX_HOME, then ~/.codex (USERPROFILE on Windows)", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(
    resolveCodexHome({ flag: "/x", env: env({ CODEX_HOME: "/y" }), platform: "linux" }),
    "/x",
  );
  assert.equal(
    resolveCodexHome({ env: env({ CODEX_HOME: "/y", HOME: "/h" }), platform: "linux" }),
    "/y",
  );
  assert.equal(resolveCodexHome({ env: env({ HOME: "/h" }), platform: "darwin" }), "/h/.codex");
  assert.equal(
    resolveCodexHome({
      env: env({ USERPROFILE: "C:\\Users\\me", HOME: "/h" }),
      platform: "windows",
    }),
    "C:\\Users\\me\\.codex",
  );
  assert.throws(
    () => resolveCodexHome({ env: env({}), platform: "linux" }),
    (e: unknown) => e instanceof LoginError && e.exitCode === 2 && /--codex-home/.test(e.message),
  );
});

Deno.test("paths join with the platform's separator", () => {
  assert.equal(joinPath("linux", "/home/me/", ".codex"), "/home/me/.codex");
  assert.equal(joinPath("linux", "/", "auth.json"), "/auth.json");
  assert.equal(joinPath("darwin", "rel/dir", "auth.json"), "rel/dir/auth.json");
  assert.equal(joinPath("windows", "C:\\Users\\me\\", ".codex"), "C:\\Users\\me\\.codex");
  assert.equal(joinPath("windows", "D:/x", "auth.json"), "D:/x\\auth.json");
});

Deno.test("write then read round-trips, 2-space JSON, file 0600, home created 0700", async () => {
  await using h = await tempHome();
  await saveAuthFile(h.home, sample);
  assert.deepEqual(await readAuthFile(h.home), sample);
  const text = await Deno.readTextFile(authFilePath(h.home));
  assert.equal(text, JSON.stringify(sample, null, 2) + "\n");
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(authFilePath(h.home))).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(h.home)).mode! & 0o777, 0o700);
  }
  await assert.rejects(Deno.stat(authTempPath(h.home)), Deno.errors.NotFound);
});

Deno.test("a failed write leaves the previous auth.json untouched", async () => {
  await using h = await tempHome();
  await saveAuthFile(h.home, sample);
  const before = await Deno.readTextFile(authFilePath(h.home));
  // Make the rename fail: a directory where the temp file must go cannot be removed.
  await Deno.mkdir(authTempPath(h.home));
  await Deno.writeTextFile(`${authTempPath(h.home)}/keep`, "x");
  await assert.rejects(
    saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-new-key-value" }),
    (e: unknown) =>
      e instanceof LoginError && e.kind === "save_failed" && e.message.includes(h.home) &&
      !e.message.includes("sk-new-key-value"),
  );
  assert.equal(await Deno.readTextFile(authFilePath(h.home)), before);
});

Deno.test("a stale temp file from a killed write is replaced, not written through", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home);
  const victim = `${h.dir}/victim`;
  await Deno.writeTextFile(victim, "do not touch");
  await Deno.symlink(victim, authTempPath(h.home));
  await saveAuthFile(h.home, sample);
  assert.equal(await Deno.readTextFile(victim), "do not touch");
  assert.deepEqual(await readAuthFile(h.home), sample);
});

Deno.test("auth.json that is a symlink is replaced, its target untouched", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home);
  const victim = `${h.dir}/elsewhere.json`;
  await Deno.writeTextFile(victim, "{}");
  await Deno.symlink(victim, authFilePath(h.home));
  await saveAuthFile(h.home, sample);
  assert.equal(await Deno.readTextFile(victim), "{}");
  assert.ok((await Deno.lstat(authFilePath(h.home))).isFile);
});

Deno.test("reading: none, corrupt, wrong shape, directory; legacy files without auth_mode", async () => {
  await using h = await tempHome();
  assert.equal(await readAuthFile(h.home), undefined);
  await Deno.mkdir(h.home);
  const path = authFilePath(h.home);
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
