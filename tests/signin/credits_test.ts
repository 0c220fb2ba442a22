/**
 * Redeeming the complimentary API credits, best effort, as the seed: who is eligible, what
 * each answer is said as, and never a token in a line.
 */
import assert from "node:assert/strict";
import { maybeRedeemCredits } from "../../lib/signin/credits.ts";
import { HttpClient } from "../../lib/issuer/http_client.ts";
import { makeJwt } from "../support/fake_issuer.ts";
import { browse, logCollector } from "../support/helpers.ts";
import { fixture } from "../support/login_fixture.ts";

Deno.test("credits: not redeemed for a subscription younger than 7 days", async () => {
  await using f = await fixture({
    account: {
      accountId: "a3",
      planType: "pro",
      completedPlatformOnboarding: true,
      subscriptionActiveStart: new Date(Date.now() - 2 * 86400_000).toISOString(),
    },
  });
  await browse(f.session.authUrl);
  await f.session.result;
  assert.equal(f.issuer.requestsTo("/v1/billing/redeem_credits").length, 0);
  assert.match(f.logs.text(), /active for more than 7 days/);
});

Deno.test("credits: a failing redemption is printed, never fatal", async () => {
  await using f = await fixture({}, { issuer: { apiBase: "http://127.0.0.1:9" } });
  await browse(f.session.authUrl);
  await f.session.result;
  assert.match(f.logs.text(), /Credit redemption request failed/);
  assert.ok(!/eyJ/.test(f.logs.text()), "no token in the log");
});

/** The claims of a Plus or Pro subscriber of long standing, as an id_token. */
function subscriber(plan: string, extra: Record<string, unknown> = {}): string {
  return makeJwt({
    "https://api.openai.com/auth": {
      chatgpt_plan_type: plan,
      completed_platform_onboarding: true,
      chatgpt_subscription_active_start: "2020-01-01T00:00:00Z",
      ...extra,
    },
  });
}

/** A redemption endpoint that answers `body` with `status`, recording what it was sent. */
function creditsApi(status: number, body: unknown) {
  const sent: unknown[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    sent.push({ path: new URL(req.url).pathname, body: await req.json() });
    return Response.json(body, { status });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    sent,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("credits: a Plus subscriber is granted $5, a Pro one $50, with where to see them", async () => {
  for (
    const [plan, words] of [["plus", /ChatGPT Plus subscriber.*\$5 in API credits/s], [
      "pro",
      /ChatGPT Pro subscriber.*\$50 in API credits/s,
    ]] as const
  ) {
    await using api = creditsApi(200, { granted_chatgpt_subscriber_api_credits: 5 });
    const logs = logCollector();
    const idToken = subscriber(plan);
    const outcome = await maybeRedeemCredits({
      apiBase: `${api.url}/`,
      idToken,
      accessToken: "opaque",
      now: new Date(),
      report: logs.report,
      http: new HttpClient(),
    });
    assert.equal(outcome, "granted");
    assert.deepEqual(api.sent, [{
      path: "/v1/billing/redeem_credits",
      body: { id_token: idToken },
    }]);
    assert.match(logs.text(), words);
    assert.match(logs.text(), /credit-grants/);
    assert.equal(logs.events[0].code, "credits.granted");
  }
});

Deno.test("credits: nothing granted shows the answer (redacted); a refusal shows its status", async () => {
  const idToken = subscriber("pro");
  await using none = creditsApi(200, { granted_chatgpt_subscriber_api_credits: 0, echo: idToken });
  const logs = logCollector();
  const options = {
    idToken,
    accessToken: "opaque",
    now: new Date(),
    report: logs.report,
    http: new HttpClient(),
  };
  assert.equal(await maybeRedeemCredits({ ...options, apiBase: none.url }), "not_granted");
  assert.match(logs.text(), /It looks like no credits were granted/);
  assert.ok(!logs.text().includes(idToken), "no token in the line");
  await using refused = creditsApi(403, { error: "nope" });
  assert.equal(await maybeRedeemCredits({ ...options, apiBase: refused.url }), "failed");
  assert.match(logs.lines.at(-1) ?? "", /^Credit redemption request failed: HTTP 403\./);
});

Deno.test("credits: only Plus and Pro, with onboarding done; nothing is sent otherwise", async () => {
  await using api = creditsApi(200, { granted_chatgpt_subscriber_api_credits: 5 });
  const logs = logCollector();
  const redeem = (idToken: string) =>
    maybeRedeemCredits({
      apiBase: api.url,
      idToken,
      accessToken: "opaque",
      now: new Date(),
      report: logs.report,
      http: new HttpClient(),
    });
  assert.equal(await redeem(subscriber("free")), "ineligible");
  assert.equal(
    await redeem(subscriber("plus", { completed_platform_onboarding: false, is_org_owner: true })),
    "ineligible",
    "an org still to set up",
  );
  assert.deepEqual(api.sent, []);
  assert.match(logs.lines[0], /Only users with Plus or Pro subscriptions/);
});
