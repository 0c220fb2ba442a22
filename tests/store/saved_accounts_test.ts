import assert from "node:assert/strict";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { LoginError } from "../../lib/base/errors.ts";
import { KEYRING_SERVICE } from "../../lib/store/keyring_store.ts";
import {
  type AccountEntry,
  entryId,
  parseIndex,
  SAVED_KEYRING_SERVICE,
  SavedAccounts,
} from "../../lib/store/saved_accounts.ts";

import { accountsHome, memoryKeyring } from "../support/account_docs.ts";

const KEY_DOC = { auth_mode: "apikey" as const, OPENAI_API_KEY: "sk-proj-saved0123456789" };

async function entry(label: string, store: "file" | "keyring" = "file"): Promise<AccountEntry> {
  const key = `apikey:${label}`;
  return { id: await entryId(key), key, label, kind: "apikey", added_at: "", store };
}

Deno.test("saved accounts: copies 0600 in a 0700 accounts/, an index without secrets", async () => {
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  const saved = new SavedAccounts(home);
  assert.deepEqual(await saved.list(), [], "nothing saved: an empty list, nothing created");
  await assert.rejects(Deno.stat(home.path), Deno.errors.NotFound);
  const work = await entry("work");
  await saved.withLock(async (locked) => {
    await locked.put(work, KEY_DOC);
  });
  assert.equal((await Deno.stat(home.accountsDir)).mode! & 0o777, 0o700);
  for (const path of [home.accountFile(work.id), home.accountsIndex]) {
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600, path);
  }
  assert.deepEqual(await saved.load(work), KEY_DOC);
  const index = await Deno.readTextFile(home.accountsIndex);
  assert.ok(!index.includes(KEY_DOC.OPENAI_API_KEY), "the index holds no secret");
  assert.deepEqual((await saved.list()).map((e) => e.label), ["work"]);
  await saved.withLock(async (locked) => {
    await locked.update({ ...locked.list()[0], label: "job" });
  });
  assert.deepEqual((await saved.list()).map((e) => e.label), ["job"]);
  await saved.withLock((locked) => locked.remove(locked.list()[0]));
  assert.deepEqual(await saved.list(), []);
  await assert.rejects(Deno.stat(home.accountFile(work.id)), Deno.errors.NotFound);
});

Deno.test("saved accounts: a linked, foreign or open copy is refused with the fix", async () => {
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  const saved = new SavedAccounts(home);
  const work = await entry("work");
  await saved.withLock((locked) => locked.put(work, KEY_DOC));
  const path = home.accountFile(work.id);
  await Deno.chmod(path, 0o640);
  await assert.rejects(
    saved.load(work),
    (e) => e instanceof LoginError && e.kind === "unsafe_home" && /chmod 600/.test(e.message),
  );
  await Deno.chmod(path, 0o600);
  await Deno.rename(path, `${h.dir}/elsewhere.json`);
  await Deno.symlink(`${h.dir}/elsewhere.json`, path);
  await assert.rejects(saved.load(work), /is a symbolic link/);
  await Deno.remove(path);
  await Deno.rename(`${h.dir}/elsewhere.json`, path);
  if ((await Deno.stat(home.path)).uid === 0) {
    await Deno.chown(path, 65534, 65534);
    await assert.rejects(saved.load(work), /belongs to another account \(uid 65534\)/);
    await Deno.chown(path, 0, 0);
  }
  await Deno.chmod(home.accountsDir, 0o755);
  await assert.rejects(
    saved.withLock(() => Promise.resolve()),
    /can be read or written by group or others.*chmod 700/,
  );
});

Deno.test("saved accounts: a missing copy or a malformed index says what to do", async () => {
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  const saved = new SavedAccounts(home);
  const work = await entry("work");
  await saved.withLock((locked) => locked.put(work, KEY_DOC));
  await Deno.remove(home.accountFile(work.id));
  await assert.rejects(
    saved.load(work),
    /The saved copy of work is missing.*logout --account work/,
  );
  await Deno.writeTextFile(home.accountsIndex, '{"accounts": [{"id": "nope"}]}');
  await assert.rejects(saved.list(), /not a saved-accounts index.*mv /);
  assert.throws(() => parseIndex("x", "not json"), /not a saved-accounts index/);
});

Deno.test("saved accounts: the lock serialises changes and clears a killed writer's temp file", async () => {
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  const saved = new SavedAccounts(home);
  await saved.withLock(() => Promise.resolve());
  await Deno.writeTextFile(`${home.accountsDir}/.tmp-left`, "tokens");
  const order: string[] = [];
  let release = () => {};
  const first = saved.withLock(async () => {
    order.push("first in");
    await new Promise<void>((r) => release = r);
    order.push("first out");
  });
  await new Promise((r) => setTimeout(r, 50));
  const second = saved.withLock(() => {
    order.push("second in");
    return Promise.resolve();
  });
  await new Promise((r) => setTimeout(r, 100));
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ["first in", "first out", "second in"]);
  await assert.rejects(Deno.stat(`${home.accountsDir}/.tmp-left`), Deno.errors.NotFound);
});

Deno.test("saved accounts: in the keyring, under their own service, never Codex's entry", async () => {
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  const keyring = memoryKeyring();
  const onFile = new SavedAccounts(home);
  const work = await entry("work");
  await onFile.withLock((locked) => locked.put(work, KEY_DOC));
  const saved = new SavedAccounts(home, {
    copyStore: "keyring",
    keyring: () => Promise.resolve(keyring),
  });
  await saved.withLock(async (locked) => {
    await locked.put(locked.list()[0], KEY_DOC); // moved to the keyring
  });
  const [moved] = await saved.list();
  assert.equal(moved.store, "keyring");
  await assert.rejects(Deno.stat(home.accountFile(work.id)), Deno.errors.NotFound, "file removed");
  assert.deepEqual([...keyring.items.keys()].map((k) => k.split("\n")[0]), [SAVED_KEYRING_SERVICE]);
  assert.notEqual(SAVED_KEYRING_SERVICE, KEYRING_SERVICE);
  assert.deepEqual(await saved.load(moved), KEY_DOC);
  assert.match(saved.describe(moved), /service "codex-login saved accounts"/);
  await assert.rejects(onFile.load(moved), /is in the keyring, which is not in use here/);
  await saved.withLock((locked) => locked.remove(moved));
  assert.equal(keyring.items.size, 0);
});
