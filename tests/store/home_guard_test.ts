/**
 * Guarding the codex home as ssh guards ~/.ssh: ours and not writable by others, created and
 * probed before a sign-in opens anything, its log directory checked, left-overs of killed
 * processes removed.
 */
import assert from "node:assert/strict";
import { logout } from "../../lib/signin/account.ts";
import {
  checkHomeSafe,
  checkLogDirSafe,
  prepareHome,
  removeLeftovers,
  unsafe,
} from "../../lib/store/home_guard.ts";
import { FileCredentialStore, saveAuthFile } from "../../lib/store/file_store.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { issuerClient, tempHome } from "../support/helpers.ts";

const IS_ROOT = await (async () => {
  const probe = await Deno.makeTempFile();
  const uid = (await Deno.stat(probe)).uid;
  await Deno.remove(probe);
  return uid === 0;
})();

Deno.test("a group/world-writable codex home or auth.json is refused with the chmod that fixes it", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path, { mode: 0o700 });
  await Deno.chmod(h.home.path, 0o777);
  await assert.rejects(
    saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-x" }),
    new RegExp(`${h.home.path} is writable by group or others.*chmod 700 ${h.home.path}`),
  );
  await Deno.chmod(h.home.path, 0o700);
  await Deno.writeTextFile(h.home.authFile, "{}", { mode: 0o666 });
  await Deno.chmod(h.home.authFile, 0o666);
  await assert.rejects(
    saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-x" }),
    /auth\.json is writable by group or others.*chmod 600/,
  );
});

Deno.test({
  name: "a codex home owned by another account is refused with the chown that fixes it",
  ignore: !IS_ROOT,
  async fn() {
    await using h = await tempHome();
    await Deno.mkdir(h.home.path, { mode: 0o700 });
    await Deno.chown(h.home.path, 65534, 65534);
    await assert.rejects(
      saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-x" }),
      /belongs to another account \(uid 65534\).*chown/,
    );
  },
});

Deno.test("logout removes a left-over temp file; stale cancel secrets go, live ones stay", async () => {
  await using h = await tempHome();
  await saveAuthFile(h.home, {
    auth_mode: "apikey",
    OPENAI_API_KEY: "sk-proj-0123456789abcdefghij",
  });
  await Deno.writeTextFile(h.home.authTemp, '{"tokens":"left by a crash"}');
  const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (dead.addr as Deno.NetAddr).port;
  dead.close();
  const live = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const livePort = (live.addr as Deno.NetAddr).port;
  // A live login must see no connection from the sweep (its peer check would take it for a
  // stranger's): count what it accepts meanwhile.
  let accepted = 0;
  const accepting = (async () => {
    for await (const conn of live) {
      accepted++;
      conn.close();
    }
  })();
  try {
    await Deno.writeTextFile(h.home.cancelSecret(deadPort), "s1");
    await Deno.writeTextFile(h.home.cancelSecret(livePort), "s2");
    await logout({
      store: new FileCredentialStore(h.home),
      client: issuerClient("http://127.0.0.1:9"),
      revoke: false,
    });
    await assert.rejects(Deno.stat(h.home.authTemp), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(h.home.cancelSecret(deadPort)), Deno.errors.NotFound);
    assert.ok((await Deno.stat(h.home.cancelSecret(livePort))).isFile);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(accepted, 0, "the sweep never connected to the live login");
  } finally {
    live.close();
    await accepting.catch(() => {});
  }
});

Deno.test("prepareHome: creates a missing home 0700; refuses a file in its place before anything opens", async () => {
  await using h = await tempHome();
  await prepareHome(h.home);
  const info = await Deno.stat(h.home.path);
  assert.ok(info.isDirectory);
  if (Deno.build.os !== "windows") assert.equal(info.mode! & 0o777, 0o700);
  const file = new CodexHome(`${h.dir}/a-file`);
  await Deno.writeTextFile(file.path, "not a directory");
  const err = await prepareHome(file).catch((e) => e);
  assert.equal(err.kind, "home_unusable");
  assert.equal(err.what, `Cannot keep your credentials in ${file.path}: it is not a directory.`);
});

Deno.test("checkHomeSafe: a private home and auth.json pass; removeLeftovers takes the temp file", async () => {
  await using h = await tempHome();
  await saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-x" });
  await checkHomeSafe(h.home);
  await Deno.writeTextFile(h.home.authTemp, "{}");
  await removeLeftovers(h.home);
  await assert.rejects(Deno.stat(h.home.authTemp), Deno.errors.NotFound);
});

Deno.test({
  name:
    "checkLogDirSafe: a log directory that is a link, or writable by others, is refused with the fix",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using h = await tempHome();
    await Deno.mkdir(h.home.path, { mode: 0o700 });
    await checkLogDirSafe(h.home); // absent: fine
    await Deno.mkdir(`${h.dir}/elsewhere`);
    await Deno.symlink(`${h.dir}/elsewhere`, h.home.logDir);
    await assert.rejects(checkLogDirSafe(h.home), /log is a symbolic link.*`rm /);
    await Deno.remove(h.home.logDir);
    await Deno.mkdir(h.home.logDir, { mode: 0o700 });
    await checkLogDirSafe(h.home);
    await Deno.chmod(h.home.logDir, 0o777);
    await assert.rejects(checkLogDirSafe(h.home), /log is writable by group or others.*chmod 700/);
  },
});

Deno.test("unsafe: the path, the problem, that nothing was written, and the command that fixes it", () => {
  const err = unsafe("/h/auth.json", "is writable by group or others", "chmod 600 /h/auth.json");
  assert.equal(err.kind, "unsafe_home");
  assert.equal(
    err.message,
    "/h/auth.json is writable by group or others, so other accounts could read or replace your credentials; nothing was written. Fix it with `chmod 600 /h/auth.json`, then run codex-login again.",
  );
});
