import assert from "node:assert/strict";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { readAuthFile } from "../lib/store/file_store.ts";
import { deviceLogin } from "../lib/signin/device_auth.ts";
import { LoginError } from "../lib/base/errors.ts";
import { type LoginOptions, startLogin } from "../lib/signin/login_server.ts";
import { parsePastedRedirect } from "../lib/signin/paste.ts";
import { CANCEL_HEADER, claimLoopback } from "../lib/loopback/port_claim.ts";
import { cancelSecretPath } from "../lib/store/codex_home.ts";
import { type Scenario, startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, HAVE_IPV6, logCollector, rawGet, tempHome } from "./support/helpers.ts";

async function session(scenario: Partial<Scenario> = {}, options: Partial<LoginOptions> = {}) {
  const issuer = startFakeIssuer(scenario);
  const h = await tempHome();
  const logs = logCollector();
  const s = await startLogin({
    codexHome: h.home,
    issuer: issuer.url,
    apiBase: issuer.url,
    port: 0,
    log: logs.log,
    successGraceMs: 100,
    ...options,
  });
  return {
    issuer,
    home: h.home,
    s,
    logs,
    /** The callback URL the issuer would send the browser to. */
    async callbackUrl(): Promise<string> {
      const r = await fetch(s.authUrl, { redirect: "manual" });
      await r.body?.cancel();
      return r.headers.get("location")!;
    },
    async [Symbol.asyncDispose]() {
      s.cancel();
      await s.result.catch(() => {});
      await issuer.close();
      await h[Symbol.asyncDispose]();
    },
  };
}

Deno.test("paste parser: whole URL, query string, quotes and junk; never throws", () => {
  const full = parsePastedRedirect("'http://localhost:1455/auth/callback?code=c1&state=s1'\n");
  assert.equal(full?.get("code"), "c1");
  assert.equal(parsePastedRedirect("?code=c2&state=s2")?.get("state"), "s2");
  assert.equal(parsePastedRedirect("code=c3&state=s3")?.get("code"), "c3");
  assert.equal(
    parsePastedRedirect("localhost:1455/auth/callback?code=c4&state=s")?.get("code"),
    "c4",
  );
  assert.equal(parsePastedRedirect("error=access_denied&state=s")?.get("error"), "access_denied");
  for (const junk of ["", "   ", "hello world", "http://[bad", "%%%", "x".repeat(20000)]) {
    assert.equal(parsePastedRedirect(junk), undefined, junk.slice(0, 20));
  }
});

Deno.test("paste: the pasted callback URL signs in (same exchange), the late callback is refused", async () => {
  await using t = await session();
  const url = await t.callbackUrl();
  const reply = await t.s.submitRedirect(`  ${url}  `);
  assert.deepEqual(reply, { accepted: true, message: "Signed in with the pasted address." });
  const late = browse(url).catch(() => undefined);
  const result = await t.s.result;
  assert.equal(result.accountId, "acct_123");
  const auth = (await readAuthFile(t.home)) as ChatGptAuth;
  assert.equal(auth.OPENAI_API_KEY, t.issuer.apiKeys[0]);
  const lateVisits = await late;
  if (lateVisits) assert.equal(lateVisits[0].status, 409);
  assert.equal(t.issuer.tokenRequests("authorization_code").length, 1);
});

Deno.test("paste: just the query string works too", async () => {
  await using t = await session();
  const url = new URL(await t.callbackUrl());
  assert.equal((await t.s.submitRedirect(url.search)).accepted, true);
  await t.s.result;
});

Deno.test("paste: a wrong state is rejected and the sign-in keeps waiting for the real one", async () => {
  await using t = await session();
  const real = new URL(await t.callbackUrl());
  const forged = new URL(real);
  forged.searchParams.set("state", "someone-elses-state");
  const reply = await t.s.submitRedirect(forged.href);
  assert.equal(reply.accepted, false);
  assert.match(reply.message, /another sign-in.*still waiting/);
  const junk = await t.s.submitRedirect("not a url at all");
  assert.equal(junk.accepted, false);
  assert.equal(t.issuer.tokenRequests("authorization_code").length, 0);
  assert.equal((await t.s.submitRedirect(real.href)).accepted, true);
  await t.s.result;
});

Deno.test("device code: success, shows the page, the code and the warning; saves auth.json", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const logs = logCollector();
  const result = await deviceLogin({
    codexHome: h.home,
    issuer: issuer.url,
    apiBase: issuer.url,
    log: logs.log,
  });
  assert.equal(result.accountId, "acct_123");
  assert.match(logs.text(), new RegExp(`${issuer.url}/codex/device`));
  assert.match(logs.text(), /ABCD-2345/);
  assert.match(logs.text(), /Never enter a code that someone else sent you/);
  const [usercode] = issuer.requestsTo("/api/accounts/deviceauth/usercode");
  assert.equal(usercode.contentType, "application/json");
  assert.deepEqual(usercode.params, { client_id: "app_EMoamEEZ73f0CkXaXp7hrann" });
  const polls = issuer.requestsTo("/api/accounts/deviceauth/token");
  assert.equal(polls.length, 2, "one pending poll, then the grant");
  assert.equal(polls[0].params.user_code, "ABCD-2345");
  const [exchange] = issuer.tokenRequests("authorization_code");
  assert.equal(exchange.params.redirect_uri, `${issuer.url}/deviceauth/callback`);
  const auth = (await readAuthFile(h.home)) as ChatGptAuth;
  assert.deepEqual(auth.tokens.oauth_provenance, {
    issuer: issuer.url,
    client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
  });
  assert.match(auth.tokens.login_owner_id ?? "", /^[A-Za-z0-9_-]{43}$/);
});

Deno.test("device code: pending polls (403) keep waiting at the interval", async () => {
  await using issuer = startFakeIssuer({ deviceApproveAfterPolls: 4, deviceInterval: "0.2" });
  await using h = await tempHome();
  const waits: number[] = [];
  const sleep = (ms: number) => {
    waits.push(ms);
    return Promise.resolve();
  };
  await deviceLogin({ codexHome: h.home, issuer: issuer.url, log: () => {}, sleep });
  assert.equal(issuer.requestsTo("/api/accounts/deviceauth/token").length, 4);
  assert.deepEqual(waits, [200, 200, 200, 200], "one interval's wait before every poll");
});

Deno.test("device code: disabled (404) says so and suggests the browser flow", async () => {
  await using issuer = startFakeIssuer({ device: "disabled" });
  await using h = await tempHome();
  await assert.rejects(
    deviceLogin({ codexHome: h.home, issuer: issuer.url, log: () => {} }),
    (e: unknown) =>
      e instanceof LoginError && e.exitCode === 1 && /not enabled/.test(e.message) &&
      /deno run --allow-net --allow-write \S+ login/.test(e.message),
  );
});

Deno.test("device code: gives up after the timeout with exit 124, nothing written", async () => {
  await using issuer = startFakeIssuer({ deviceApproveAfterPolls: Infinity });
  await using h = await tempHome();
  await assert.rejects(
    deviceLogin({ codexHome: h.home, issuer: issuer.url, log: () => {}, timeoutMs: 700 }),
    (e: unknown) => e instanceof LoginError && e.exitCode === 124,
  );
  assert.equal(await readAuthFile(h.home), undefined);
});

Deno.test("device code: no API-key exchange and no credits, as Codex 0.169", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const logs = logCollector();
  await deviceLogin({ codexHome: h.home, issuer: issuer.url, apiBase: issuer.url, log: logs.log });
  const auth = (await readAuthFile(h.home)) as ChatGptAuth;
  assert.equal(auth.OPENAI_API_KEY, null);
  assert.deepEqual(issuer.tokenRequests("urn:ietf:params:oauth:grant-type:token-exchange"), []);
  assert.deepEqual(issuer.requestsTo("/v1/billing/redeem_credits"), []);
  assert.doesNotMatch(logs.text(), /API key|credits/i);
});

