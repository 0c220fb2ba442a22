import assert from "node:assert/strict";
import { accountKeeper } from "../../lib/signin/account_keeper.ts";
import { keepCopy } from "../../lib/signin/accounts.ts";
import type { CodexDetection } from "../../lib/signin/codex_running.ts";
import type { FlowEvent } from "../../lib/base/events.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import { SavedAccounts } from "../../lib/store/saved_accounts.ts";
import { type FakeIssuer, startFakeIssuer } from "../support/fake_issuer.ts";

import {
  ACCOUNT_A,
  ACCOUNT_B,
  ACCOUNT_C,
  accountsHome,
  signedIn,
} from "../support/account_docs.ts";

async function world(issuer: FakeIssuer) {
  const h = await accountsHome();
  const home = new CodexHome(h.home);
  const events: FlowEvent[] = [];
  return {
    h,
    home,
    store: new FileCredentialStore(home),
    saved: new SavedAccounts(home),
    events,
    report: (e: FlowEvent) => events.push(e),
    issuer,
  };
}

Deno.test("keeper --add: the replaced account is kept (not retired), the new one saved", async () => {
  await using issuer = startFakeIssuer();
  const w = await world(issuer);
  await using _ = w.h;
  const a = signedIn(issuer, ACCOUNT_A);
  await saveAuthFile(w.home, a);
  const running: CodexDetection = {
    state: "running",
    processes: [{ pid: 7, command: "codex", files: [] }],
  };
  const keeper = accountKeeper({
    saved: w.saved,
    settings: {},
    add: true,
    label: "personal",
    codexSeen: running,
    report: w.report,
  });
  const b = signedIn(issuer, ACCOUNT_B);
  assert.equal(await keeper.save(w.store, b), undefined, "nothing retired");
  assert.deepEqual(await readAuthFile(w.home), b);
  const [kept, added] = await w.saved.list();
  assert.deepEqual([kept.label, added.label], ["a@example.com", "personal"]);
  assert.deepEqual(await w.saved.load(kept), a);
  assert.deepEqual(kept.codex_may_hold?.pids, [7], "a running Codex may hold A");
  assert.deepEqual(w.events.map((e) => e.code), ["accounts.kept", "accounts.saved"]);
});

Deno.test("keeper with a list: a saved account is never retired; one the list does not know is", async () => {
  await using issuer = startFakeIssuer();
  const w = await world(issuer);
  await using _ = w.h;
  const a = signedIn(issuer, ACCOUNT_A);
  await w.saved.withLock((l) => keepCopy(l, a, { now: new Date(), where: "x" }));
  const c = signedIn(issuer, ACCOUNT_C); // signed in by `codex login`, not in the list
  await saveAuthFile(w.home, c);
  const keeper = accountKeeper({ saved: w.saved, settings: {}, add: false, report: w.report });
  const b = signedIn(issuer, ACCOUNT_B);
  assert.equal(await keeper.save(w.store, b), c.tokens.refresh_token, "C is replaced and retired");
  assert.deepEqual((await w.saved.list()).map((e) => e.label), ["a@example.com", "b@example.com"]);
  const b2 = signedIn(issuer, ACCOUNT_B);
  assert.equal(await keeper.save(w.store, b2), b.tokens.refresh_token, "B signed in again");
  const a2 = signedIn(issuer, ACCOUNT_A);
  assert.equal(await keeper.save(w.store, a2), a.tokens.refresh_token, "A's old copy retired");
  const [copyA, copyB] = await w.saved.list();
  assert.deepEqual(await w.saved.load(copyA), a2);
  assert.deepEqual(await w.saved.load(copyB), b2, "B kept with its tokens as they were");
});

Deno.test("keeper: a mixed document is not kept; a taken label is said", async () => {
  await using issuer = startFakeIssuer();
  const w = await world(issuer);
  await using _ = w.h;
  const a = signedIn(issuer, ACCOUNT_A);
  await w.saved.withLock((l) => keepCopy(l, a, { now: new Date(), where: "x", label: "work" }));
  const c = signedIn(issuer, ACCOUNT_C);
  await saveAuthFile(w.home, { ...c, tokens: { ...c.tokens, account_id: "acct_B" } });
  const keeper = accountKeeper({
    saved: w.saved,
    settings: {},
    add: true,
    label: "work",
    report: w.report,
  });
  assert.equal(await keeper.save(w.store, signedIn(issuer, ACCOUNT_B)), undefined);
  assert.deepEqual(w.events.map((e) => e.code), [
    "accounts.mixed_not_kept",
    "accounts.label_taken",
    "accounts.saved",
  ]);
  assert.deepEqual((await w.saved.list()).map((e) => e.label), ["work", "work-2"]);
});
