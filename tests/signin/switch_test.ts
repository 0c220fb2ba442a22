import assert from "node:assert/strict";
import { switchAccount, type SwitchDeps, type SwitchRequest } from "../../lib/signin/switch.ts";
import { keepCopy } from "../../lib/signin/accounts.ts";
import type { CodexDetection } from "../../lib/signin/codex_running.ts";
import { LoginError } from "../../lib/base/errors.ts";
import type { AuthData } from "../../lib/store/auth_data.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import {
  KEYRING_SERVICE,
  keyringAccount,
  KeyringCredentialStore,
} from "../../lib/store/keyring_store.ts";
import { SavedAccounts } from "../../lib/store/saved_accounts.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";

import {
  ACCOUNT_A,
  ACCOUNT_B,
  accountsHome,
  memoryKeyring,
  signedIn,
} from "../support/account_docs.ts";

const NONE: CodexDetection = { state: "none" };
const RUNNING: CodexDetection = {
  state: "running",
  processes: [{ pid: 99, command: "codex", files: ["/h/state_5.sqlite"] }],
};

/** A home with B active and A saved; the switch request to A. */
async function twoAccounts(path: string, detect: CodexDetection) {
  await using issuer = startFakeIssuer();
  const home = new CodexHome(path);
  const a = signedIn(issuer, ACCOUNT_A);
  const b = signedIn(issuer, ACCOUNT_B);
  const saved = new SavedAccounts(home);
  await saved.withLock((l) => keepCopy(l, a, { now: new Date(), where: "x" }));
  await saveAuthFile(home, b);
  const request: SwitchRequest = {
    store: new FileCredentialStore(home),
    saved,
    settings: {},
    account: "a@example.com",
    force: false,
  };
  const deps: SwitchDeps = { detect: () => Promise.resolve(detect) };
  return { home, a, b, saved, request, deps };
}

Deno.test("switch: the copy written as saved, the active one saved first", async () => {
  await using h = await accountsHome();
  const w = await twoAccounts(h.home, NONE);
  const outcome = await switchAccount(w.request, w.deps);
  assert.deepEqual([outcome.to.label, outcome.from?.label, outcome.adopted], [
    "a@example.com",
    "b@example.com",
    true,
  ]);
  assert.deepEqual(await readAuthFile(w.home), w.a);
  const [, copyB] = await w.saved.list();
  assert.deepEqual(await w.saved.load(copyB), w.b);
  assert.equal(copyB.codex_may_hold, undefined);
  const again = await switchAccount(w.request, w.deps);
  assert.equal(again.already, true);
});

Deno.test("switch: a running Codex (or one not ruled out) refuses; --force marks the old copy", async () => {
  for (const seen of [RUNNING, { state: "unknown" as const, reason: "lsof is not installed" }]) {
    await using h = await accountsHome();
    const w = await twoAccounts(h.home, seen);
    await assert.rejects(
      switchAccount(w.request, w.deps),
      (e) => e instanceof LoginError && e.kind === "codex_running" && e.exitCode === 1,
    );
    assert.deepEqual(await readAuthFile(w.home), w.b, "nothing changed");
    const forced = await switchAccount({ ...w.request, force: true }, w.deps);
    assert.deepEqual(forced.from?.codex_may_hold?.pids, seen.state === "running" ? [99] : []);
    assert.deepEqual(await readAuthFile(w.home), w.a);
  }
});

Deno.test("switch: policy, an ended session and auto without its keyring refuse, nothing changed", async () => {
  await using h = await accountsHome();
  const w = await twoAccounts(h.home, NONE);
  const refusals: [Partial<SwitchRequest>, RegExp][] = [
    [{ settings: { forcedWorkspaceIds: ["acct_B"] } }, /restricted to workspace\(s\) acct_B/],
    [{ settings: { credentialsStore: "auto" } }, /"auto" Codex reads its keyring entry first/],
  ];
  for (const [change, words] of refusals) {
    await assert.rejects(switchAccount({ ...w.request, ...change }, w.deps), words);
  }
  await w.saved.withLock(async (l) => {
    await l.update({ ...l.list()[0], ended: "refresh_token_reused" });
  });
  await assert.rejects(switchAccount(w.request, w.deps), /has ended \(refresh_token_reused\)/);
  assert.deepEqual(await readAuthFile(w.home), w.b);
});

Deno.test("switch with auto: auth.json (read while the keyring entry is empty) is kept, the keyring written", async () => {
  await using h = await accountsHome();
  const w = await twoAccounts(h.home, NONE);
  const keyring = memoryKeyring();
  const account = await keyringAccount(w.home);
  const store = new KeyringCredentialStore(w.home, account, keyring);
  const outcome = await switchAccount({
    ...w.request,
    store,
    settings: { credentialsStore: "auto" },
  }, w.deps);
  assert.equal(outcome.from?.label, "b@example.com", "B, read from auth.json, was saved");
  const entry: AuthData = JSON.parse(keyring.items.get(`${KEYRING_SERVICE}\n${account}`)!);
  assert.deepEqual(entry, w.a);
  await assert.rejects(Deno.stat(w.home.authFile), Deno.errors.NotFound, "as Codex: file removed");
});
