/**
 * Device-code sign-in, as the Codex CLI does it where no browser can reach this machine: the
 * code shown inert, polls at the issuer's interval, the countdown as progress events, a clear
 * refusal when the issuer has no device sign-in, and no API key (as Codex 0.169).
 */
import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import { DEVICE_TIMEOUT_MS, deviceLogin } from "../../lib/signin/device_auth.ts";
import type { ChatGptAuth } from "../../lib/store/auth_data.ts";
import { readAuthFile } from "../../lib/store/file_store.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { logCollector, tempHome } from "../support/helpers.ts";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

Deno.test("device code: success, shows the page, the code and the warning; saves auth.json", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const logs = logCollector();
  const result = await deviceLogin({
    home: h.home,
    endpoints: resolveIssuer({ issuer: issuer.url, apiBase: issuer.url }),
    report: logs.report,
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
  await deviceLogin({ home: h.home, endpoints: resolveIssuer({ issuer: issuer.url }) }, { sleep });
  assert.equal(issuer.requestsTo("/api/accounts/deviceauth/token").length, 4);
  assert.deepEqual(waits, [200, 200, 200, 200], "one interval's wait before every poll");
});

Deno.test("device code: disabled (404) says so and suggests the browser flow", async () => {
  await using issuer = startFakeIssuer({ device: "disabled" });
  await using h = await tempHome();
  await assert.rejects(
    deviceLogin({ home: h.home, endpoints: resolveIssuer({ issuer: issuer.url }) }),
    (e: unknown) =>
      e instanceof LoginError && e.exitCode === 1 && /not enabled/.test(e.message) &&
      /deno run --allow-net --allow-write \S+ login/.test(e.message),
  );
});

Deno.test("device code: gives up after the timeout with exit 124, nothing written", async () => {
  await using issuer = startFakeIssuer({ deviceApproveAfterPolls: Infinity });
  await using h = await tempHome();
  await assert.rejects(
    deviceLogin({ home: h.home, endpoints: resolveIssuer({ issuer: issuer.url }), timeoutMs: 700 }),
    (e: unknown) =>
      e instanceof LoginError && e.exitCode === 124 &&
      e.what === "Timed out after 1 s waiting for the code to be entered; nothing was saved.",
  );
  assert.equal(await readAuthFile(h.home), undefined);
});

Deno.test("device code: no API-key exchange and no credits, as Codex 0.169", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const logs = logCollector();
  await deviceLogin({
    home: h.home,
    endpoints: resolveIssuer({ issuer: issuer.url, apiBase: issuer.url }),
    report: logs.report,
  });
  const auth = (await readAuthFile(h.home)) as ChatGptAuth;
  assert.equal(auth.OPENAI_API_KEY, null);
  assert.deepEqual(issuer.tokenRequests("urn:ietf:params:oauth:grant-type:token-exchange"), []);
  assert.deepEqual(issuer.requestsTo("/v1/billing/redeem_credits"), []);
  assert.doesNotMatch(logs.text(), /API key|credits/i);
});

Deno.test("a device code with escapes from the issuer is printed inert", async () => {
  await using issuer = startFakeIssuer({ deviceUserCode: "AB\x1b]0;pwned\x07\nError: x" });
  await using h = await tempHome();
  const logs = logCollector();
  await deviceLogin({
    home: h.home,
    endpoints: resolveIssuer({ issuer: issuer.url, apiBase: issuer.url }),
    report: logs.report,
  });
  assert.ok(!CONTROL.test(logs.text()), logs.text());
  assert.match(logs.text(), /AB\\x1b\]0;pwned\\x07\\x0aError: x/);
});

Deno.test("device code: the code is an action, the wait progress events with the time left", async () => {
  await using issuer = startFakeIssuer({ deviceApproveAfterPolls: 3, deviceInterval: "0.5" });
  await using h = await tempHome();
  const logs = logCollector();
  await deviceLogin({
    home: h.home,
    endpoints: resolveIssuer({ issuer: issuer.url }),
    report: logs.report,
    timeoutMs: 60_000,
  });
  const code = logs.events.find((e) => e.code === "device.code");
  assert.equal(code?.kind, "action");
  assert.deepEqual(code?.data, { url: `${issuer.url}/codex/device`, code: "ABCD-2345" });
  const waiting = logs.events.filter((e) => e.code === "device.waiting");
  assert.ok(waiting.length >= 2, `${waiting.length} progress events`);
  for (const event of waiting) {
    assert.equal(event.kind, "progress");
    assert.equal(event.text, "Waiting for the code to be entered");
    const left = Number(event.data?.ms_left);
    assert.ok(left > 0 && left <= 60_000, String(left));
  }
  assert.ok(Number(waiting[0].data?.ms_left) >= Number(waiting.at(-1)?.data?.ms_left));
  assert.equal(DEVICE_TIMEOUT_MS, 15 * 60_000, "the default wait is Codex's 15 minutes");
});

Deno.test("device code: cancelled (Ctrl-C) is exit 130, nothing written", async () => {
  await using issuer = startFakeIssuer({
    deviceApproveAfterPolls: Infinity,
    deviceInterval: "0.2",
  });
  await using h = await tempHome();
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 300);
  const err = await deviceLogin({
    home: h.home,
    endpoints: resolveIssuer({ issuer: issuer.url }),
    signal: abort.signal,
  }).catch((e) => e);
  assert.ok(err instanceof LoginError && err.exitCode === 130, String(err));
  assert.equal(await readAuthFile(h.home), undefined);
});
