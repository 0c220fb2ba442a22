/**
 * What follows a saved sign-in, off the browser's critical path: the API key (best effort,
 * one line when it fails), retiring the session the new one replaced, and the credits.
 */
import assert from "node:assert/strict";
import { afterSignIn } from "../../lib/signin/after_sign_in.ts";
import { resolveSignInContext } from "../../lib/signin/sign_in.ts";
import { resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import type { ChatGptAuth } from "../../lib/store/auth_data.ts";
import { readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import { accountClaims } from "../../lib/issuer/jwt.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { browse, logCollector, tempHome, timeCallback } from "../support/helpers.ts";
import { fixture } from "../support/login_fixture.ts";

Deno.test("the callback is answered before the API-key exchange; the key is saved before exit", async () => {
  await using f = await fixture({ apiKeyDelayMs: 700 });
  const { status } = await timeCallback(f.session.authUrl);
  assert.equal(status, 302);
  assert.equal(f.issuer.apiKeys.length, 0, "answered while the key exchange was still running");
  const early = (await readAuthFile(f.home)) as ChatGptAuth;
  assert.equal(early.OPENAI_API_KEY, null, "tokens saved first, the key follows");
  await f.session.result;
  const saved = (await readAuthFile(f.home)) as ChatGptAuth;
  assert.equal(saved.OPENAI_API_KEY, f.issuer.apiKeys[0]);
  assert.equal(saved.tokens.refresh_token, early.tokens.refresh_token);
});

Deno.test("a new sign-in retires the old session after it is saved", async () => {
  await using f = await fixture();
  const old = f.issuer.signedInAuth();
  await saveAuthFile(f.home, old);
  await browse(f.session.authUrl);
  await f.session.result;
  const saved = (await readAuthFile(f.home)) as ChatGptAuth;
  assert.notEqual(saved.tokens.refresh_token, old.tokens.refresh_token);
  assert.deepEqual(f.issuer.revoked, [{
    token: old.tokens.refresh_token,
    hint: "refresh_token",
    clientId: f.issuer.clientId,
  }]);
  const order = f.issuer.requests.map((r) => r.path);
  assert.ok(order.indexOf("/oauth/revoke") > order.indexOf("/oauth/token"), "revoked after");
});

Deno.test("retiring the old session fails: one line, the sign-in still succeeds", async () => {
  await using f = await fixture({ revoke: "500" });
  await saveAuthFile(f.home, f.issuer.signedInAuth());
  await browse(f.session.authUrl);
  await f.session.result;
  const lines = f.logs.lines.filter((l) => /previous session/.test(l));
  assert.equal(lines.length, 1);
  assert.match(lines[0], /could not revoke your previous session.*stays valid until it expires/);
});

Deno.test("API-key exchange failure: still signed in, key null, one line why, no credits", async () => {
  await using f = await fixture({ apiKeyExchange: "fail" });
  const visits = await browse(f.session.authUrl);
  assert.equal(visits.at(-1)!.status, 200);
  assert.match(visits.at(-1)!.body, /signed in/);
  const result = await f.session.result;
  assert.equal(result.accountId, "acct_123");
  const auth = await readAuthFile(f.home);
  assert.ok(auth?.auth_mode === "chatgpt");
  assert.equal(auth.OPENAI_API_KEY, null);
  const notes = f.logs.lines.filter((l) => /no API key was created/.test(l));
  assert.equal(notes.length, 1);
  assert.match(
    notes[0],
    /^Note: no API key was created \(the issuer answered 401 \(invalid_subject_token[^)]*\)\)\. .*Codex works with the ChatGPT sign-in alone/,
  );
  assert.equal(f.issuer.requestsTo("/v1/billing/redeem_credits").length, 0, "no key, no credits");
});

Deno.test("afterSignIn without an API key (device sign-in): the old session retired, no key, no credits", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const logs = logCollector();
  const ctx = resolveSignInContext({
    home: h.home,
    endpoints: resolveIssuer({ issuer: issuer.url, apiBase: issuer.url }),
    report: logs.report,
  });
  const auth = issuer.signedInAuth();
  await saveAuthFile(h.home, auth);
  const previous = issuer.issueTokens();
  await afterSignIn(ctx, {
    auth,
    claims: accountClaims(auth.tokens.id_token),
    needsSetup: false,
    previousRefreshToken: previous.refresh_token,
  }, { apiKey: false });
  assert.deepEqual(issuer.revoked.map((r) => r.token), [previous.refresh_token]);
  assert.deepEqual(issuer.tokenRequests("urn:ietf:params:oauth:grant-type:token-exchange"), []);
  assert.deepEqual(issuer.requestsTo("/v1/billing/redeem_credits"), []);
  assert.equal((await readAuthFile(h.home))?.OPENAI_API_KEY, auth.OPENAI_API_KEY, "unchanged");
  assert.deepEqual(logs.lines, []);
});
