/**
 * The auth lock: Codex's two OS locks in Codex's order, a lock file that must be a regular file
 * of ours, a held lock waited for briefly and then named with its holder.
 */
import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { saveError, withAuthLock } from "../../lib/store/auth_lock.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { ROOT, tempHome } from "../support/helpers.ts";

/** Hold `path` with flock(1) in another process until the returned function is called. */
async function holdFlock(path: string): Promise<() => Promise<void>> {
  const holder = new Deno.Command("flock", {
    args: [path, "sh", "-c", "echo held; read line"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.match((await reader.read()).value ?? "", /held/);
  return async () => {
    await holder.stdin.close();
    await reader.cancel();
    await holder.status;
  };
}

/** Whether another process could take `path`'s lock now without waiting (flock -n). */
async function lockIsFree(path: string): Promise<boolean> {
  const { code } = await new Deno.Command("flock", { args: ["-n", path, "true"] }).output();
  return code === 0;
}

const hasFlock = await new Deno.Command("flock", { args: ["--version"], stdout: "null" }).output()
  .then((o) => o.success, () => false);

Deno.test({
  name:
    "locks: auth.lock first, so a Codex save (auth.lock held) makes us wait without auth.json.lock",
  ignore: !hasFlock,
  async fn() {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await saveAuthFile(h.home, issuer.signedInAuth());
    const release = await holdFlock(h.home.authLock);
    let saved = false;
    const saving = saveAuthFile(h.home, {
      auth_mode: "apikey",
      OPENAI_API_KEY: "sk-after-codex-0123456789",
    })
      .then(() => saved = true);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(saved, false, "waits for auth.lock");
    assert.equal(
      await lockIsFree(h.home.authFileLock),
      true,
      "auth.json.lock never held alone",
    );
    await release();
    await saving;
    assert.equal((await readAuthFile(h.home))?.OPENAI_API_KEY, "sk-after-codex-0123456789");
  },
});

Deno.test({
  name:
    "locks: while we write, both of Codex's locks are held (its LOCK_NB commit would wait on auth.lock)",
  ignore: !hasFlock,
  async fn() {
    await using h = await tempHome();
    const store = new FileCredentialStore(h.home);
    await store.withLock(async () => {
      assert.equal(await lockIsFree(h.home.authLock), false);
      assert.equal(await lockIsFree(h.home.authFileLock), false);
    });
    assert.equal(await lockIsFree(h.home.authLock), true);
    assert.equal(await lockIsFree(h.home.authFileLock), true);
  },
});

Deno.test("a lock planted as a symlink is refused; its target is never created", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path, { mode: 0o700 });
  const target = `${h.dir}/created-by-attacker`;
  await Deno.symlink(target, h.home.authFileLock);
  const err = await saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-x" }).catch((
    e,
  ) => e);
  assert.ok(err instanceof LoginError && err.kind === "unsafe_home", String(err));
  assert.match(err.message, /is a symbolic link.*rm /);
  await assert.rejects(Deno.lstat(target), Deno.errors.NotFound);
});

Deno.test("a FIFO as the lock is refused at once instead of hanging", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path, { mode: 0o700 });
  const mk = await new Deno.Command("mkfifo", { args: [h.home.authFileLock] }).output();
  assert.ok(mk.success);
  // A FIFO opened for writing would block until a reader came: this returning at all is the test.
  const err = await saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-x" }).catch((
    e,
  ) => e);
  assert.ok(err instanceof LoginError && /not a regular file/.test(err.message), String(err));
});

Deno.test("a lock held by another process: wait a few seconds, then name its pid and the fix", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path, { mode: 0o700 });
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const { withAuthLock } = await import(${JSON.stringify(`${ROOT}lib/store/auth_lock.ts`)});
       const { CodexHome } = await import(${JSON.stringify(`${ROOT}lib/store/codex_home.ts`)});
       await withAuthLock(new CodexHome(${JSON.stringify(h.home.path)}), async () => {
         console.log("locked");
         await new Promise((r) => setTimeout(r, 8000));
       });`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.match((await reader.read()).value ?? "", /locked/);
  try {
    const err = await withAuthLock(h.home, () => Promise.resolve(), 600).catch((e) => e);
    assert.ok(err instanceof LoginError && err.kind === "lock_busy", String(err));
    assert.match(
      err.message,
      new RegExp(`auth\\.lock is held by process ${holder.pid}.*remove .*auth\\.lock`),
    );
  } finally {
    holder.kill();
    await holder.status;
    reader.releaseLock();
    await holder.stdout.cancel().catch(() => {});
  }
});

Deno.test("withAuthLock creates the home 0700 and runs fn holding both lock files", async () => {
  await using h = await tempHome();
  assert.equal(await withAuthLock(h.home, () => Promise.resolve("ran")), "ran");
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(h.home.path)).mode! & 0o777, 0o700);
  }
  assert.ok((await Deno.stat(h.home.authLock)).isFile);
  assert.ok((await Deno.stat(h.home.authFileLock)).isFile);
  assert.equal(await Deno.readTextFile(h.home.authLock), "", "no stale pid after release");
});

Deno.test("a failed write is a next step: a permission to grant, or what to check", async () => {
  await using h = await tempHome();
  const denied = saveError(h.home, new Deno.errors.NotCapable("Requires write access to x"));
  assert.equal(denied.kind, "permission");
  assert.equal(
    denied.message,
    `codex-login needs write access to ${h.home.path} to save auth.json. Run it again with --allow-write=${h.home.path}.`,
  );
  const full = saveError(h.home, new Error("No space left on device (os error 28)"));
  assert.equal(full.kind, "save_failed");
  assert.equal(
    full.what,
    `Could not save your credentials to ${h.home.authFile} (No space left on device).`,
  );
  assert.match(full.next ?? "", /writable directory with free space/);
  const already = new LoginError("lock_busy", { what: "x." });
  assert.equal(saveError(h.home, already), already, "a LoginError is kept as it is");
});
