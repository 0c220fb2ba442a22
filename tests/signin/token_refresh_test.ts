/**
 * Keeping a ChatGPT session alive beside a running Codex: refresh under Codex's locks at the
 * session's own issuer with Codex's reason, keep every field the refresh does not own, lose a
 * race to Codex gracefully, tell an ended session from a passing problem, and hand scripts a
 * valid token.
 */
import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import {
  currentToken,
  refreshAuth,
  refreshReason,
  shouldRefresh,
} from "../../lib/signin/token_refresh.ts";
import { saveApiKey } from "../../lib/signin/account.ts";
import type { ChatGptAuth } from "../../lib/store/auth_data.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import { makeJwt, startFakeIssuer } from "../support/fake_issuer.ts";
import { issuerClient, saveSignedIn, signedInFrom, tempHome } from "../support/helpers.ts";

const FIXTURES = new URL("../fixtures/auth/", import.meta.url);
const readFixture = async (name: string) =>
  JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES))) as Record<string, unknown>;

Deno.test("when Codex would refresh: within 5 minutes of expiry, or 8 days after an unreadable one", () => {
  const now = new Date("2026-06-01T00:00:00Z");
  const at = (
    expiresInS: number | undefined,
    lastRefresh = "2026-05-31T00:00:00Z",
  ): ChatGptAuth => ({
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    last_refresh: lastRefresh,
    tokens: {
      id_token: "",
      access_token: expiresInS === undefined
        ? "opaque"
        : makeJwt({ exp: Math.floor(now.getTime() / 1000) + expiresInS }),
      refresh_token: "rt",
      account_id: null,
    },
  });
  assert.equal(refreshReason(at(299), now), "proactive_expiry");
  assert.equal(refreshReason(at(-10), now), "proactive_expiry");
  assert.equal(refreshReason(at(301), now), undefined);
  assert.equal(refreshReason(at(undefined), now), undefined, "unreadable, refreshed a day ago");
  assert.equal(refreshReason(at(undefined, "2026-05-23T00:00:00Z"), now), "scheduled");
  assert.equal(refreshReason(at(undefined, "not a date"), now), undefined);
  assert.equal(shouldRefresh(at(60), now), true);
  assert.equal(shouldRefresh(at(3600), now), false);
});

Deno.test("refresh: stores every returned token, recomputes account_id, updates last_refresh", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const old = await saveSignedIn(issuer, h.home);
  issuer.scenario.account.accountId = "acct_new";
  const now = new Date("2026-11-23T12:00:00Z");
  await refreshAuth({
    store: new FileCredentialStore(h.home),
    client: issuerClient(issuer.url),
    now: () => now,
  });
  const auth = (await readAuthFile(h.home)) as ChatGptAuth;
  assert.notEqual(auth.tokens.refresh_token, old.tokens.refresh_token);
  assert.notEqual(auth.tokens.id_token, old.tokens.id_token);
  assert.notEqual(auth.tokens.access_token, old.tokens.access_token);
  assert.equal(auth.tokens.account_id, "acct_new");
  assert.equal(auth.last_refresh, "2026-11-23T12:00:00.000Z");
  assert.equal(auth.OPENAI_API_KEY, old.OPENAI_API_KEY);
  const [req] = issuer.tokenRequests("refresh_token");
  assert.equal(req.contentType, "application/json");
  assert.equal(req.params.scope, undefined, "no scope, as today's Codex");
  assert.deepEqual(Object.keys(req.params).sort(), [
    "client_id",
    "grant_type",
    "refresh_reason",
    "refresh_token",
  ]);
  assert.equal(req.params.refresh_reason, "forced");
});

Deno.test("refresh: invalid_grant says sign in again and leaves auth.json unchanged", async () => {
  await using issuer = startFakeIssuer({ refresh: "invalid_grant" });
  await using h = await tempHome();
  await saveSignedIn(issuer, h.home);
  const before = await Deno.readTextFile(h.home.authFile);
  await assert.rejects(
    refreshAuth({
      store: new FileCredentialStore(h.home),
      client: issuerClient(issuer.url),
      now: () => new Date(),
    }),
    (e: unknown) =>
      e instanceof LoginError && e.exitCode === 1 &&
      /sign in again with `deno run [^`]* login`/.test(e.message),
  );
  assert.equal(await Deno.readTextFile(h.home.authFile), before);
});

Deno.test("refresh: not logged in (or an API key) is exit 1 and creates nothing", async () => {
  await using h = await tempHome();
  const client = issuerClient("http://127.0.0.1:9");
  await assert.rejects(
    refreshAuth({ store: new FileCredentialStore(h.home), client, now: () => new Date() }),
    (e: unknown) => e instanceof LoginError && e.exitCode === 1 && /Not logged in/.test(e.message),
  );
  await assert.rejects(Deno.stat(h.home.path), Deno.errors.NotFound, "codex home not created");
  await saveApiKey(new FileCredentialStore(h.home), "sk-proj-0123456789abcdefghij");
  await assert.rejects(
    refreshAuth({ store: new FileCredentialStore(h.home), client, now: () => new Date() }),
    /API key, which does not need refreshing/,
  );
});

Deno.test("refresh: two at once in one process both succeed and keep the newest token", async () => {
  await using issuer = startFakeIssuer({ tokenDelayMs: 50 });
  await using h = await tempHome();
  await saveSignedIn(issuer, h.home);
  const client = issuerClient(issuer.url);
  await Promise.all([
    refreshAuth({ store: new FileCredentialStore(h.home), client, now: () => new Date() }),
    refreshAuth({ store: new FileCredentialStore(h.home), client, now: () => new Date() }),
  ]);
  const auth = (await readAuthFile(h.home)) as ChatGptAuth;
  assert.equal(issuer.refreshTokens.get(auth.tokens.refresh_token), true, "stored token is live");
  assert.equal(issuer.tokenRequests("refresh_token").length, 2);
});

Deno.test("refresh goes to the session's own issuer and keeps provenance and login_owner_id", async () => {
  await using origin = startFakeIssuer();
  await using other = startFakeIssuer();
  await using h = await tempHome();
  await saveAuthFile(h.home, signedInFrom(origin));
  await refreshAuth({
    store: new FileCredentialStore(h.home),
    client: issuerClient(other.url),
    now: () => new Date(),
  });
  assert.equal(origin.tokenRequests("refresh_token").length, 1);
  assert.equal(other.requests.length, 0, "nothing sent to the issuer the session is not from");
  const after = (await readAuthFile(h.home)) as ChatGptAuth;
  assert.deepEqual(after.tokens.oauth_provenance, {
    issuer: origin.url,
    client_id: origin.clientId,
  });
  assert.equal(after.tokens.login_owner_id, "owner-of-this-sign-in");
});

Deno.test("refresh_reason as Codex 0.169 sends it: forced, proactive_expiry, scheduled", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  const client = issuerClient(issuer.url);
  const now = () => new Date();
  await saveAuthFile(h.home, signedInFrom(issuer));
  await refreshAuth({ store, client, now });

  const expiring = signedInFrom(issuer);
  expiring.tokens.access_token = makeJwt({ exp: Math.floor(Date.now() / 1000) + 60 });
  await saveAuthFile(h.home, expiring);
  assert.equal((await currentToken({ store, client, now })).refreshed, true);

  const opaque = signedInFrom(issuer);
  opaque.tokens.access_token = "opaque-access-token";
  opaque.last_refresh = new Date(Date.now() - 9 * 24 * 3600_000).toISOString();
  await saveAuthFile(h.home, opaque);
  assert.equal((await currentToken({ store, client, now })).refreshed, true);

  const fresh = signedInFrom(issuer);
  await saveAuthFile(h.home, fresh);
  assert.equal((await currentToken({ store, client, now })).refreshed, false);

  assert.deepEqual(issuer.tokenRequests("refresh_token").map((r) => r.params.refresh_reason), [
    "forced",
    "proactive_expiry",
    "scheduled",
  ]);
});

Deno.test("race: a Codex refresh that spent the token first wins; we use its save and exit 0", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  const stale = signedInFrom(issuer);
  stale.tokens.access_token = makeJwt({ exp: Math.floor(Date.now() / 1000) - 60 });
  await saveAuthFile(h.home, stale);
  // "Codex": sends the refresh without a lock; its answer is held while we race it.
  const { promise: hold, resolve: letCodexGo } = Promise.withResolvers<void>();
  issuer.refreshHold = hold;
  const codex = issuerClient(issuer.url).refresh(stale.tokens.refresh_token, {
    reason: "proactive_expiry",
  });
  while (issuer.tokenRequests("refresh_token").length === 0) {
    await new Promise((r) => setTimeout(r, 10));
  }
  issuer.refreshHold = undefined;
  const ours = currentToken({
    store,
    client: issuerClient(issuer.url),
    now: () => new Date(),
  });
  while (issuer.tokenRequests("refresh_token").length < 2) {
    await new Promise((r) => setTimeout(r, 10));
  }
  letCodexGo();
  const won = await codex;
  await saveAuthFile(h.home, {
    ...stale,
    tokens: {
      ...stale.tokens,
      access_token: won.accessToken!,
      refresh_token: won.refreshToken!,
      id_token: won.idToken!,
    },
  });
  const got = await ours;
  assert.equal(got.token, won.accessToken, "the token Codex saved");
  assert.equal(got.refreshed, true);
  const sent = issuer.tokenRequests("refresh_token").map((r) => r.params.refresh_token);
  assert.deepEqual(sent, [stale.tokens.refresh_token, stale.tokens.refresh_token]);
  // Afterwards we send only what the store holds now, never the replaced token.
  await refreshAuth({
    store,
    client: issuerClient(issuer.url),
    now: () => new Date(),
  });
  assert.equal(
    issuer.tokenRequests("refresh_token").at(-1)?.params.refresh_token,
    won.refreshToken,
  );
});

Deno.test("race: no other save arrives: the session ended, said once, the store unchanged", async () => {
  await using issuer = startFakeIssuer({ refresh: "refresh_token_reused" });
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  await saveAuthFile(h.home, signedInFrom(issuer));
  const before = await Deno.readTextFile(h.home.authFile);
  const err = await refreshAuth({
    store,
    client: issuerClient(issuer.url),
    now: () => new Date(),
    waitMs: 300,
  }).catch((e) => e);
  assert.match(String(err.message), /session has ended \(your refresh token was already used\)/);
  assert.equal(await Deno.readTextFile(h.home.authFile), before);
});

Deno.test("refresh keeps every field it does not own (agent_identity, unknown ones, token extras)", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const raw = await readFixture("chatgpt_with_unknown_fields.json");
  const live = issuer.issueTokens();
  raw.tokens = { ...(raw.tokens as object), refresh_token: live.refresh_token };
  await Deno.mkdir(h.home.path);
  await Deno.writeTextFile(h.home.authFile, JSON.stringify(raw));
  await refreshAuth({
    store: new FileCredentialStore(h.home),
    client: issuerClient(issuer.url),
    now: () => new Date("2026-11-26T00:00:00Z"),
  });
  const after = JSON.parse(await Deno.readTextFile(h.home.authFile));
  assert.equal(after.agent_identity, raw.agent_identity);
  assert.deepEqual(after.future_setting, raw.future_setting);
  assert.equal(after.personal_access_token_note, raw.personal_access_token_note);
  assert.equal(after.tokens.token_extra, "kept");
  assert.notEqual(after.tokens.refresh_token, live.refresh_token);
  assert.equal(after.last_refresh, "2026-11-26T00:00:00.000Z");
});

/** Refresh against an issuer that fails with `refresh`; the error and whether the file stayed. */
async function failedRefresh(
  refresh: "refresh_token_expired" | "refresh_token_reused" | "refresh_token_invalidated" | "503",
): Promise<{ err: LoginError; unchanged: boolean }> {
  await using issuer = startFakeIssuer({ refresh });
  await using h = await tempHome();
  await saveAuthFile(h.home, issuer.signedInAuth());
  const before = await Deno.readTextFile(h.home.authFile);
  const err = await refreshAuth({
    store: new FileCredentialStore(h.home),
    client: issuerClient(issuer.url),
    now: () => new Date(),
  }).catch((e) => e);
  assert.ok(err instanceof LoginError, String(err));
  return { err, unchanged: await Deno.readTextFile(h.home.authFile) === before };
}

for (
  const code of [
    "refresh_token_expired",
    "refresh_token_reused",
    "refresh_token_invalidated",
  ] as const
) {
  Deno.test(`refresh: ${code} is permanent: the session has ended, sign in again, file untouched`, async () => {
    const { err, unchanged } = await failedRefresh(code);
    assert.equal(err.kind, "session_ended");
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /^Your session has ended \(your refresh token .+\): sign in again/);
    assert.ok(unchanged, "auth.json untouched");
  });
}

Deno.test("refresh: a 503 is transient: try again, file untouched", async () => {
  const { err, unchanged } = await failedRefresh("503");
  assert.equal(err.kind, "refresh_failed");
  assert.match(err.message, /503.*\. Try again in a moment/);
  assert.ok(unchanged, "auth.json untouched");
});

Deno.test("token: a fresh access token is handed out as it is; one expiring within 5 min is refreshed first", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  const client = issuerClient(issuer.url);
  const fresh = issuer.signedInAuth();
  await saveAuthFile(h.home, fresh);
  const a = await currentToken({ store, client, now: () => new Date() });
  assert.equal(a.token, fresh.tokens.access_token);
  assert.equal(issuer.tokenRequests("refresh_token").length, 0);
  const soon = { ...fresh, tokens: { ...fresh.tokens, ...issuer.issueTokens(false, 120) } };
  await saveAuthFile(h.home, soon);
  const b = await currentToken({ store, client, now: () => new Date() });
  assert.equal(issuer.tokenRequests("refresh_token").length, 1);
  assert.notEqual(b.token, soon.tokens.access_token);
  assert.equal(((await readAuthFile(h.home)) as ChatGptAuth).tokens.access_token, b.token);
});

Deno.test("token: an unreadable expiry refreshes after 8 days, as Codex", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  const client = issuerClient(issuer.url);
  const auth = issuer.signedInAuth();
  const opaque = { ...auth, tokens: { ...auth.tokens, access_token: "opaque-access-token" } };
  await saveAuthFile(h.home, {
    ...opaque,
    last_refresh: new Date(Date.now() - 7 * 86400_000).toISOString(),
  });
  assert.equal((await currentToken({ store, client, now: () => new Date() })).refreshed, false);
  await saveAuthFile(h.home, {
    ...opaque,
    last_refresh: new Date(Date.now() - 9 * 86400_000).toISOString(),
  });
  const got = await currentToken({ store, client, now: () => new Date() });
  assert.equal(got.refreshed, true);
  assert.notEqual(got.token, "opaque-access-token");
});
