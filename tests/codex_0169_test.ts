/**
 * What Codex 0.169 does that its July sources did not, in-process: provenance and the sign-in
 * id in every ChatGPT sign-in, refreshing at the session's issuer with Codex's
 * `refresh_reason`, Codex's two locks, the race with a Codex that refreshes without a lock,
 * and the modes 0.169 writes (personal access tokens, Bedrock AWS access keys).
 */
import assert from "node:assert/strict";
import { logout, saveAccessToken } from "../lib/signin/account.ts";
import { formatStatus, getStatus } from "../lib/signin/status_report.ts";
import { methodRefusal } from "../lib/signin/policy.ts";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { authFileLockPath, authFilePath, authLockPath } from "../lib/store/codex_home.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { IssuerClient } from "../lib/issuer/issuer.ts";
import { currentToken, refreshAuth } from "../lib/signin/token_refresh.ts";
import { makeJwt, startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, tempHome } from "./support/helpers.ts";
import { fixture } from "./support/login_fixture.ts";

const CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";

Deno.test("sign-in writes oauth_provenance and a new login_owner_id, in Codex 0.169's order", async () => {
  const owners: string[] = [];
  for (let i = 0; i < 2; i++) {
    await using f = await fixture();
    await browse(f.session.authUrl);
    await f.session.result;
    const raw = JSON.parse(await Deno.readTextFile(authFilePath(f.home)));
    assert.deepEqual(Object.keys(raw.tokens), [
      "id_token",
      "access_token",
      "refresh_token",
      "oauth_provenance",
      "login_owner_id",
      "account_id",
    ]);
    assert.deepEqual(raw.tokens.oauth_provenance, { issuer: f.issuer.url, client_id: CLIENT_ID });
    assert.match(raw.tokens.login_owner_id, /^[A-Za-z0-9_-]{43}$/);
    owners.push(raw.tokens.login_owner_id);
  }
  assert.notEqual(owners[0], owners[1], "a new id for every sign-in");
});

/** A signed-in auth.json whose tokens came from `home`'s issuer `from`. */
function signedInFrom(
  from: { url: string; signedInAuth(): ChatGptAuth },
  owner = "owner-of-this-sign-in",
): ChatGptAuth {
  const auth = from.signedInAuth();
  auth.tokens = {
    ...auth.tokens,
    oauth_provenance: { issuer: from.url, client_id: CLIENT_ID },
    login_owner_id: owner,
  };
  return auth;
}

Deno.test("refresh goes to the session's own issuer and keeps provenance and login_owner_id", async () => {
  await using origin = startFakeIssuer();
  await using other = startFakeIssuer();
  await using h = await tempHome();
  await saveAuthFile(h.home, signedInFrom(origin));
  await refreshAuth({
    store: new FileCredentialStore(h.home),
    client: new IssuerClient({ issuer: other.url }),
    now: () => new Date(),
  });
  assert.equal(origin.tokenRequests("refresh_token").length, 1);
  assert.equal(other.requests.length, 0, "nothing sent to the issuer the session is not from");
  const after = (await readAuthFile(h.home)) as ChatGptAuth;
  assert.deepEqual(after.tokens.oauth_provenance, { issuer: origin.url, client_id: CLIENT_ID });
  assert.equal(after.tokens.login_owner_id, "owner-of-this-sign-in");
});

Deno.test("logout revokes at the session's own issuer", async () => {
  await using origin = startFakeIssuer();
  await using other = startFakeIssuer();
  await using h = await tempHome();
  const auth = signedInFrom(origin);
  await saveAuthFile(h.home, auth);
  const out = await logout({
    store: new FileCredentialStore(h.home),
    client: new IssuerClient({ issuer: other.url }),
    revoke: true,
  });
  assert.deepEqual(out, { removed: true, revoke: "revoked" });
  assert.deepEqual(origin.revoked.map((r) => r.token), [auth.tokens.refresh_token]);
  assert.equal(other.requests.length, 0);
});

Deno.test("refresh_reason as Codex 0.169 sends it: forced, proactive_expiry, scheduled", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  const client = new IssuerClient({ issuer: issuer.url });
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
  const codex = new IssuerClient({ issuer: issuer.url }).refresh(stale.tokens.refresh_token, {
    reason: "proactive_expiry",
  });
  while (issuer.tokenRequests("refresh_token").length === 0) {
    await new Promise((r) => setTimeout(r, 10));
  }
  issuer.refreshHold = undefined;
  const ours = currentToken({
    store,
    client: new IssuerClient({ issuer: issuer.url }),
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
    client: new IssuerClient({ issuer: issuer.url }),
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
  const before = await Deno.readTextFile(authFilePath(h.home));
  const err = await refreshAuth({
    store,
    client: new IssuerClient({ issuer: issuer.url }),
    now: () => new Date(),
    waitMs: 300,
  }).catch((e) => e);
  assert.match(String(err.message), /session has ended \(your refresh token was already used\)/);
  assert.equal(await Deno.readTextFile(authFilePath(h.home)), before);
});

Deno.test("personal access token: checked with the issuer, saved exactly as Codex 0.169, printed by token", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  const client = new IssuerClient({ issuer: issuer.url });
  issuer.accessTokens.add("at-valid-token-0123456789");
  const who = await saveAccessToken(store, client, "  at-valid-token-0123456789\n");
  assert.equal(who.email, "person@example.com");
  assert.deepEqual(JSON.parse(await Deno.readTextFile(authFilePath(h.home))), {
    OPENAI_API_KEY: null,
    personal_access_token: "at-valid-token-0123456789",
  });
  const [check] = issuer.requestsTo("/api/accounts/v1/user-auth-credential/whoami");
  assert.equal(check.headers.get("authorization"), "Bearer at-valid-token-0123456789");
  const report = await getStatus(store);
  assert.equal(report.auth_mode, "personalAccessToken");
  assert.equal(report.api_key, undefined, "a personal access token is not an API key");
  assert.equal(report.personal_access_token, "at-...6789");
  assert.match(formatStatus(report, new Date()), /^Logged in using a personal access token$/m);
  const got = await currentToken({ store, client, now: () => new Date() });
  assert.deepEqual([got.token, got.kind], ["at-valid-token-0123456789", "personal_access_token"]);
});

Deno.test("personal access token: refused, an agent identity, or not a token: nothing saved", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  const client = new IssuerClient({ issuer: issuer.url });
  await assert.rejects(
    saveAccessToken(store, client, "at-revoked-token"),
    /refused this personal access token \(HTTP 401.*not expired or been revoked; nothing was saved/,
  );
  await assert.rejects(saveAccessToken(store, client, makeJwt({ sub: "agent" })), /agent identity/);
  await assert.rejects(saveAccessToken(store, client, "sk-proj-an-api-key"), /start with at-/);
  assert.equal(await store.load(), undefined);
  const refusal = methodRefusal({ forcedLoginMethod: "api" }, "access_token");
  assert.match(
    refusal?.message ?? "",
    /^Access token login is disabled\. Use API key login instead\./,
  );
  assert.equal(methodRefusal({ forcedLoginMethod: "chatgpt" }, "access_token"), undefined);
});

Deno.test("Bedrock AWS access keys: status names them (never the secret), token says what to use", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await Deno.mkdir(h.home, { mode: 0o700 });
  await Deno.writeTextFile(
    authFilePath(h.home),
    JSON.stringify({
      OPENAI_API_KEY: null,
      bedrock_access_keys: {
        access_key_id: "AKIAEXAMPLE0123456",
        secret_access_key: "bedrock-secret-value",
        region: "eu-west-1",
      },
    }),
  );
  const store = new FileCredentialStore(h.home);
  const report = await getStatus(store);
  assert.equal(report.auth_mode, "bedrockAccessKeys");
  const text = formatStatus(report, new Date());
  assert.match(
    text,
    /^Logged in using Amazon Bedrock AWS access keys\n {2}Access key id: +AKI\.\.\.3456\n {2}Region: +eu-west-1/,
  );
  assert.ok(!JSON.stringify(report).includes("bedrock-secret-value"));
  assert.ok(!text.includes("bedrock-secret-value"));
  const client = new IssuerClient({ issuer: issuer.url });
  await assert.rejects(
    currentToken({ store, client, now: () => new Date() }),
    /AWS access keys, which do not expose a Codex bearer token: use your AWS credentials/,
  );
  assert.deepEqual(await logout({ store, client, revoke: true }), {
    removed: true,
    revoke: "skipped",
  });
  assert.equal(await readAuthFile(h.home), undefined);
});
