import assert from "node:assert/strict";
import {
  accountRefusal,
  accountRows,
  activeCredentials,
  checkLabel,
  keepCopy,
  resolveAccount,
  uniqueLabel,
} from "../../lib/signin/accounts.ts";
import { LoginError } from "../../lib/base/errors.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { FileCredentialStore, saveAuthFile } from "../../lib/store/file_store.ts";
import { keyringAccount, KeyringCredentialStore } from "../../lib/store/keyring_store.ts";
import { type AccountEntry, SavedAccounts } from "../../lib/store/saved_accounts.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";

import {
  ACCOUNT_A,
  ACCOUNT_B,
  accountsHome,
  memoryKeyring,
  signedIn,
} from "../support/account_docs.ts";

const base = { kind: "chatgpt", added_at: "", store: "file" as const };
const ENTRIES: AccountEntry[] = [
  { ...base, id: "1", key: "k1", label: "work", email: "me@x.com", account_id: "acct_W" },
  { ...base, id: "2", key: "k2", label: "home", email: "me@x.com", account_id: "acct_H" },
  { ...base, id: "3", key: "k3", label: "acct_W", email: "other@x.com", user_id: "user-o" },
];

function usage(err: unknown, code: string): boolean {
  return err instanceof LoginError && err.exitCode === 2 && err.code === code;
}

Deno.test("ACCOUNT: a label exactly, else one email, workspace or user id; else exit 2", () => {
  assert.equal(resolveAccount(ENTRIES, "acct_W").label, "acct_W", "a label comes first");
  assert.equal(resolveAccount(ENTRIES, "acct_h").label, "home", "ids in any case");
  assert.equal(resolveAccount(ENTRIES, "HOME").label, "home", "a label in another case");
  assert.equal(resolveAccount(ENTRIES, "user-o").label, "acct_W");
  assert.throws(() => resolveAccount(ENTRIES, "ME@x.com"), (e) => usage(e, "accounts.ambiguous"));
  assert.throws(
    () => resolveAccount(ENTRIES, "me@x.com"),
    /names 2 saved accounts; nothing was changed\. Name one by its label: work \(me@x\.com, workspace acct_W\); home \(me@x\.com, workspace acct_H\)\./,
  );
  assert.throws(() => resolveAccount(ENTRIES, "zz"), (e) => usage(e, "accounts.unknown"));
  assert.throws(() => resolveAccount([], "zz"), (e) => usage(e, "accounts.none_saved"));
});

Deno.test("labels: checked, and made unique with -2, -3", () => {
  assert.equal(checkLabel("a@example.com"), "a@example.com");
  for (const bad of ["", "-x", "two words", "x".repeat(65), "tab\there"]) {
    assert.throws(() => checkLabel(bad), (e) => e instanceof LoginError && e.exitCode === 2);
  }
  assert.equal(uniqueLabel(ENTRIES, "work", "1"), "work", "its own label");
  assert.equal(uniqueLabel(ENTRIES, "work", "9"), "work-2");
  assert.equal(
    uniqueLabel([...ENTRIES, { ...ENTRIES[0], id: "4", label: "work-2" }], "work", "9"),
    "work-3",
  );
});

Deno.test("policy: forced_login_method and forced_chatgpt_workspace_id forbid accounts", () => {
  const [work] = ENTRIES;
  assert.equal(accountRefusal({}, work), undefined);
  assert.match(
    accountRefusal({ forcedLoginMethod: "api" }, work)?.message ?? "",
    /^ChatGPT login is disabled\. Use API key login instead\./,
  );
  const key = { ...work, kind: "apikey", account_id: undefined };
  assert.match(
    accountRefusal({ forcedLoginMethod: "chatgpt" }, key)?.message ?? "",
    /API key login is disabled/,
  );
  assert.equal(
    accountRefusal({ forcedWorkspaceIds: ["acct_X"] }, key),
    undefined,
    "a key has no workspace",
  );
  const refusal = accountRefusal({ forcedWorkspaceIds: ["acct_H"] }, work);
  assert.equal(refusal?.kind, "workspace_restricted");
  assert.match(
    refusal?.message ?? "",
    /restricted to workspace\(s\) acct_H, but you chose acct_W\. Nothing was changed/,
  );
});

Deno.test("active credentials: with auto and an empty keyring entry, auth.json (as Codex reads)", async () => {
  await using issuer = startFakeIssuer();
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  const a = signedIn(issuer, ACCOUNT_A);
  await saveAuthFile(home, a);
  const keyring = new KeyringCredentialStore(home, await keyringAccount(home), memoryKeyring());
  assert.deepEqual(await activeCredentials(keyring, { credentialsStore: "auto" }), a);
  assert.equal(await activeCredentials(keyring, { credentialsStore: "keyring" }), undefined);
  await keyring.save(signedIn(issuer, ACCOUNT_B));
  const now = await activeCredentials(keyring, { credentialsStore: "auto" });
  assert.equal(now?.tokens && (now.tokens as { account_id: string }).account_id, "acct_B");
});

Deno.test("keepCopy: a new entry or the existing one; a Codex seen marks it, none clears it", async () => {
  await using issuer = startFakeIssuer();
  await using h = await accountsHome();
  const saved = new SavedAccounts(new CodexHome(h.home));
  const now = new Date();
  const running = {
    state: "running" as const,
    processes: [{ pid: 42, command: "codex", files: [] }],
  };
  const first = await saved.withLock((locked) =>
    keepCopy(locked, signedIn(issuer, ACCOUNT_A), { now, leftWhile: running, where: "x" })
  );
  assert.deepEqual(first.codex_may_hold?.pids, [42]);
  const again = await saved.withLock((locked) =>
    keepCopy(locked, signedIn(issuer, ACCOUNT_A), { now, where: "x", label: "work" })
  );
  assert.equal(again.id, first.id, "the same account, the same entry");
  assert.equal(again.label, "work");
  assert.deepEqual(again.codex_may_hold?.pids, [42], "not checked: the mark stays");
  const cleared = await saved.withLock((locked) =>
    keepCopy(locked, signedIn(issuer, ACCOUNT_A), { now, where: "x", leftWhile: { state: "none" } })
  );
  assert.equal(cleared.codex_may_hold, undefined);
  const a = signedIn(issuer, ACCOUNT_A);
  await assert.rejects(
    saved.withLock((locked) =>
      keepCopy(locked, { ...a, tokens: { ...a.tokens, account_id: "acct_B" } }, {
        now,
        where: "The copy",
      })
    ),
    /The copy mixes two accounts/,
  );
  assert.equal((await saved.list()).length, 1);
});

Deno.test("rows: every saved account, the active one marked with its own facts, or not saved yet", async () => {
  await using issuer = startFakeIssuer();
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  const store = new FileCredentialStore(home);
  const saved = new SavedAccounts(home);
  assert.deepEqual(await accountRows(store, saved, {}), []);
  await saveAuthFile(home, signedIn(issuer, ACCOUNT_A));
  const [alone] = await accountRows(store, saved, {});
  assert.deepEqual([alone.label, alone.active, alone.saved, alone.email], [
    null,
    true,
    false,
    "a@example.com",
  ]);
  await saved.withLock((locked) =>
    keepCopy(locked, signedIn(issuer, ACCOUNT_B), { now: new Date(), where: "x" })
  );
  const rows = await accountRows(store, saved, { forcedWorkspaceIds: ["acct_A"] });
  assert.deepEqual(rows.map((r) => [r.label, r.active, r.saved, r.allowed]), [
    ["b@example.com", false, true, false],
    [null, true, false, true],
  ]);
});
