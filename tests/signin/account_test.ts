/**
 * The account commands' logic: logout (revoke at the session's own issuer, then remove, whatever
 * the mode), an API key saved as it was pasted, a personal access token checked with the issuer
 * first. Nothing is saved from bad input and no input is echoed.
 */
import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { logout, saveAccessToken, saveApiKey, validateApiKey } from "../../lib/signin/account.ts";
import { methodRefusal } from "../../lib/signin/policy.ts";
import { formatStatus, getStatus } from "../../lib/signin/status_report.ts";
import { currentToken } from "../../lib/signin/token_refresh.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import { makeJwt, startFakeIssuer } from "../support/fake_issuer.ts";
import { issuerClient, saveSignedIn, signedInFrom, tempHome } from "../support/helpers.ts";

Deno.test("logout: revokes the refresh token (JSON with hint and client id), removes auth.json", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const auth = await saveSignedIn(issuer, h.home);
  const outcome = await logout({
    store: new FileCredentialStore(h.home),
    client: issuerClient(issuer.url),
    revoke: true,
  });
  assert.deepEqual(outcome, { removed: true, revoke: "revoked" });
  const [req] = issuer.requestsTo("/oauth/revoke");
  assert.equal(req.contentType, "application/json");
  assert.deepEqual(req.params, {
    token: auth.tokens.refresh_token,
    token_type_hint: "refresh_token",
    client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
  });
  assert.equal(issuer.refreshTokens.get(auth.tokens.refresh_token), false);
  assert.equal(await readAuthFile(h.home), undefined);
});

Deno.test("logout: a failed revoke still removes local credentials and says why", async () => {
  await using issuer = startFakeIssuer({ revoke: "500" });
  await using h = await tempHome();
  await saveSignedIn(issuer, h.home);
  const outcome = await logout({
    store: new FileCredentialStore(h.home),
    client: issuerClient(issuer.url),
    revoke: true,
  });
  assert.equal(outcome.removed, true);
  assert.ok(typeof outcome.revoke === "object" && /500/.test(outcome.revoke.failed));
  assert.equal(await readAuthFile(h.home), undefined);
});

Deno.test("logout --no-revoke sends nothing; not logged in is fine", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await saveSignedIn(issuer, h.home);
  const client = issuerClient(issuer.url);
  assert.deepEqual(
    await logout({ store: new FileCredentialStore(h.home), client, revoke: false }),
    {
      removed: true,
      revoke: "skipped",
    },
  );
  assert.equal(issuer.requestsTo("/oauth/revoke").length, 0);
  assert.deepEqual(await logout({ store: new FileCredentialStore(h.home), client, revoke: true }), {
    removed: false,
    revoke: "skipped",
  });
});

Deno.test("logout revokes at the session's own issuer", async () => {
  await using origin = startFakeIssuer();
  await using other = startFakeIssuer();
  await using h = await tempHome();
  const auth = signedInFrom(origin);
  await saveAuthFile(h.home, auth);
  const out = await logout({
    store: new FileCredentialStore(h.home),
    client: issuerClient(other.url),
    revoke: true,
  });
  assert.deepEqual(out, { removed: true, revoke: "revoked" });
  assert.deepEqual(origin.revoked.map((r) => r.token), [auth.tokens.refresh_token]);
  assert.equal(other.requests.length, 0);
});

Deno.test("logout: a Codex session without a refresh token revokes its access token (no client id)", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const auth = issuer.signedInAuth();
  auth.tokens.refresh_token = "";
  await saveAuthFile(h.home, auth);
  const store = new FileCredentialStore(h.home);
  await logout({ store, client: issuerClient(issuer.url), revoke: true });
  assert.deepEqual(issuer.revoked, [{
    token: auth.tokens.access_token,
    hint: "access_token",
    clientId: undefined,
  }]);
});

Deno.test("API key: trimmed, any format saved (with a warning); empty or multi-line keeps the old file", async () => {
  await using h = await tempHome();
  await saveApiKey(new FileCredentialStore(h.home), "  sk-proj-0123456789abcdefghij \n");
  assert.deepEqual(await readAuthFile(h.home), {
    auth_mode: "apikey",
    OPENAI_API_KEY: "sk-proj-0123456789abcdefghij",
  });
  for (const odd of ["gw-0123456789", "sk-short", "sk-has space inside-0123456789"]) {
    assert.match(validateApiKey(odd).warning ?? "", /does not look like an OpenAI API key/);
    assert.ok(!validateApiKey(odd).warning?.includes(odd), "never echoes the input");
  }
  assert.equal(validateApiKey("sk-proj-0123456789abcdefghij").warning, undefined);
  for (const bad of ["", "   \n", "sk-proj-0123456789\nabcdefghij"]) {
    assert.throws(() => validateApiKey(bad), (e: unknown) => {
      assert.ok(e instanceof LoginError && e.kind === "invalid_input");
      if (bad.trim()) assert.ok(!e.message.includes(bad.trim()), "never echoes the input");
      return true;
    });
    await assert.rejects(saveApiKey(new FileCredentialStore(h.home), bad), LoginError);
  }
  assert.equal((await readAuthFile(h.home))?.OPENAI_API_KEY, "sk-proj-0123456789abcdefghij");
});

Deno.test("personal access token: checked with the issuer, saved exactly as Codex 0.169, printed by token", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  const client = issuerClient(issuer.url);
  issuer.accessTokens.add("at-valid-token-0123456789");
  const who = await saveAccessToken(store, client, "  at-valid-token-0123456789\n");
  assert.equal(who.email, "person@example.com");
  assert.deepEqual(JSON.parse(await Deno.readTextFile(h.home.authFile)), {
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
  const client = issuerClient(issuer.url);
  await assert.rejects(
    saveAccessToken(store, client, "at-revoked-token"),
    /: Could not check the personal access token: the issuer refused it \(HTTP 401, invalid_token\)\. Check that you copied the whole token and that it has not expired or been revoked; nothing was saved\.$/,
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
