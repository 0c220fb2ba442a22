import assert from "node:assert/strict";
import {
  activeHolder,
  copyHolder,
  copyStore,
  forgetAccounts,
  namedAccount,
  onAccount,
  recordEnded,
  type SavedContext,
} from "../../lib/signin/saved_session.ts";
import { keepCopy } from "../../lib/signin/accounts.ts";
import type { CodexDetection } from "../../lib/signin/codex_running.ts";
import { currentToken, refreshAuth } from "../../lib/signin/token_refresh.ts";
import { LoginError } from "../../lib/base/errors.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import { SavedAccounts } from "../../lib/store/saved_accounts.ts";
import { HttpClient } from "../../lib/issuer/http_client.ts";
import { IssuerClient } from "../../lib/issuer/issuer.ts";
import { resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import { type FakeIssuer, startFakeIssuer } from "../support/fake_issuer.ts";

import { ACCOUNT_A, ACCOUNT_B, accountsHome, signedIn } from "../support/account_docs.ts";

const RUNNING: CodexDetection = {
  state: "running",
  processes: [{ pid: 5, command: "codex", files: [] }],
};

/** B active, A saved (marked when `mark`), the detection answering `seen`. */
async function world(issuer: FakeIssuer, path: string, seen: CodexDetection, mark = false) {
  const home = new CodexHome(path);
  const a = signedIn(issuer, ACCOUNT_A);
  const b = signedIn(issuer, ACCOUNT_B);
  const saved = new SavedAccounts(home);
  await saved.withLock((l) =>
    keepCopy(l, a, { now: new Date(), where: "x", leftWhile: mark ? RUNNING : undefined })
  );
  await saved.withLock((l) => keepCopy(l, b, { now: new Date(), where: "x", label: "personal" }));
  await saveAuthFile(home, b);
  const ctx: SavedContext = {
    store: new FileCredentialStore(home),
    saved,
    settings: {},
    detect: () => Promise.resolve(seen),
    now: () => new Date(),
  };
  const client = new IssuerClient({
    endpoints: resolveIssuer({ issuer: issuer.url }),
    http: new HttpClient(),
  });
  return { home, a, b, saved, ctx, client };
}

Deno.test("a saved copy refreshes in place under the locks; Codex's store is untouched", async () => {
  await using issuer = startFakeIssuer({ reuseDetection: true });
  await using h = await accountsHome();
  const w = await world(issuer, h.home, { state: "none" }, true);
  const named = await namedAccount(w.ctx, "a@example.com");
  assert.equal(named.active, false);
  assert.equal((await namedAccount(w.ctx, "personal")).active, true);
  const store = copyStore(w.ctx, named.entry);
  assert.match(store.describe(), /^the saved copy of a@example\.com \(.*accounts/);
  const fresh = await refreshAuth({
    store,
    client: w.client,
    now: () => new Date(),
    holder: copyHolder(w.ctx, named.entry),
  });
  assert.notEqual(fresh.tokens.refresh_token, w.a.tokens.refresh_token);
  assert.deepEqual(await readAuthFile(w.home), w.b, "auth.json untouched");
  const [copy] = await w.saved.list();
  assert.deepEqual(await w.saved.load(copy), fresh);
  assert.equal(copy.codex_may_hold, undefined, "no Codex ran: the mark went");
  assert.equal(issuer.refreshAnswers.at(-1)?.status, 200);
});

Deno.test("never refreshed while a Codex may hold it: the unexpired token is handed out instead", async () => {
  await using issuer = startFakeIssuer({ reuseDetection: true });
  await using h = await accountsHome();
  const w = await world(issuer, h.home, RUNNING, true);
  const named = await namedAccount(w.ctx, "a@example.com");
  const options = {
    store: copyStore(w.ctx, named.entry),
    client: w.client,
    holder: copyHolder(w.ctx, named.entry),
  };
  await assert.rejects(
    refreshAuth({ ...options, now: () => new Date() }),
    (e) =>
      e instanceof LoginError && e.kind === "codex_running" && /switched away from/.test(e.message),
  );
  const soon = () => new Date(Date.now() + 3500_000); // inside the 5-minute window, not expired
  const token = await currentToken({ ...options, now: soon });
  assert.deepEqual([token.token, token.refreshed], [w.a.tokens.access_token, false]);
  const later = () => new Date(Date.now() + 7200_000);
  await assert.rejects(currentToken({ ...options, now: later }), /Quit that Codex/);
  // The active account: refused only when a Codex is seen, not when lsof cannot tell.
  const active = { store: w.ctx.store, client: w.client, now: () => new Date() };
  await assert.rejects(
    refreshAuth({ ...active, holder: activeHolder(w.ctx) }),
    /It refreshes this account itself/,
  );
  const unknown = {
    ...w.ctx,
    detect: () => Promise.resolve({ state: "unknown" as const, reason: "x" }),
  };
  assert.equal(await activeHolder(unknown)(), undefined);
  assert.equal(issuer.refreshAnswers.length, 0, "nothing was sent");
});

Deno.test("a copy whose session ended is marked so; logout forgets and revokes", async () => {
  await using issuer = startFakeIssuer({ reuseDetection: true });
  await using h = await accountsHome();
  const w = await world(issuer, h.home, { state: "none" });
  const named = await namedAccount(w.ctx, "a@example.com");
  issuer.familyOf(w.a.tokens.refresh_token)!.revoked = true;
  await assert.rejects(
    recordEnded(
      w.ctx,
      named,
      () =>
        refreshAuth({
          store: copyStore(w.ctx, named.entry),
          client: w.client,
          now: () => new Date(),
        }),
    ),
    (e) => e instanceof LoginError && e.kind === "session_ended",
  );
  assert.equal((await w.saved.list())[0].ended, "refresh_token_invalidated");
  const done = await forgetAccounts(w.ctx, w.client, {
    entries: await w.saved.list(),
    active: true,
    revoke: true,
  });
  assert.deepEqual(done.map((d) => [d.label, d.active, d.revoke]), [
    ["personal", true, "revoked"],
    ["a@example.com", false, "revoked"],
  ]);
  // B's session revoked from Codex's credentials, A's from its copy; in parallel, any order.
  assert.deepEqual(
    new Set(issuer.revoked.map((r) => r.token)),
    new Set([w.b.tokens.refresh_token, w.a.tokens.refresh_token]),
  );
  assert.equal(await readAuthFile(w.home), undefined);
  assert.deepEqual(await w.saved.list(), []);
});

Deno.test("onAccount: Codex's store for none or the active account, the saved copy for another", async () => {
  await using issuer = startFakeIssuer({ reuseDetection: true });
  await using h = await accountsHome();
  const w = await world(issuer, h.home, { state: "none" });
  const where = (query?: string) =>
    onAccount(w.ctx, query, ({ store }) => Promise.resolve(store.describe()));
  assert.equal(await where(), w.ctx.store.describe());
  assert.equal(await where("personal"), w.ctx.store.describe());
  assert.match(await where("a@example.com"), /^the saved copy of a@example\.com/);
  issuer.familyOf(w.a.tokens.refresh_token)!.revoked = true;
  await assert.rejects(
    onAccount(
      w.ctx,
      "a@example.com",
      ({ store, holder }) =>
        refreshAuth({ store, holder, client: w.client, now: () => new Date() }),
    ),
    (e) => e instanceof LoginError && e.kind === "session_ended",
  );
  assert.equal((await w.saved.list())[0].ended, "refresh_token_invalidated");
});

Deno.test("logout of a named account: whether it is the active one is told under the locks", async () => {
  await using issuer = startFakeIssuer({ reuseDetection: true });
  await using h = await accountsHome();
  const w = await world(issuer, h.home, { state: "none" });
  const [a, personal] = await w.saved.list();
  const named = (entry: typeof a) => ({
    entries: [entry],
    active: true,
    activeKey: entry.key,
    revoke: true,
  });
  // personal (B) was named while active, then A was switched to: A stays, B's copy goes.
  await saveAuthFile(w.home, w.a);
  const done = await forgetAccounts(w.ctx, w.client, named(personal));
  assert.deepEqual(done.map((d) => [d.label, d.active, d.revoke]), [[
    "personal",
    false,
    "revoked",
  ]]);
  assert.deepEqual(await readAuthFile(w.home), w.a, "the active account stays");
  assert.deepEqual((await w.saved.list()).map((e) => e.label), ["a@example.com"]);
  assert.deepEqual(issuer.revoked.map((r) => r.token), [w.b.tokens.refresh_token]);
  // A named while active: signed out, revoked from Codex's credentials, its copy forgotten.
  const gone = await forgetAccounts(w.ctx, w.client, named(a));
  assert.deepEqual(gone.map((d) => [d.label, d.active]), [["a@example.com", true]]);
  assert.equal(await readAuthFile(w.home), undefined);
  assert.deepEqual(await w.saved.list(), []);
});
