import assert from "node:assert/strict";
import { fetchUsage, parseUsage, usageOfRows, usageUrl } from "../../lib/signin/usage.ts";
import { accountRows, keepCopy } from "../../lib/signin/accounts.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { FileCredentialStore, saveAuthFile } from "../../lib/store/file_store.ts";
import { SavedAccounts } from "../../lib/store/saved_accounts.ts";
import { HttpClient } from "../../lib/issuer/http_client.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { startFakeChatGpt } from "../support/fake_chatgpt.ts";

import { ACCOUNT_A, ACCOUNT_B, accountsHome, signedIn } from "../support/account_docs.ts";

Deno.test("usage URL: Codex's two paths from chatgpt_base_url", () => {
  assert.equal(usageUrl(), "https://chatgpt.com/backend-api/wham/usage");
  assert.equal(usageUrl("https://chatgpt.com/"), "https://chatgpt.com/backend-api/wham/usage");
  assert.equal(
    usageUrl("https://chat.openai.com"),
    "https://chat.openai.com/backend-api/wham/usage",
  );
  assert.equal(
    usageUrl("http://127.0.0.1:8/backend-api//"),
    "http://127.0.0.1:8/backend-api/wham/usage",
  );
  assert.equal(
    usageUrl("https://proxy.example/codex"),
    "https://proxy.example/codex/api/codex/usage",
  );
  for (const bad of ["chatgpt.com", "ftp://x", "https://"]) {
    assert.throws(
      () => usageUrl(bad),
      (e) => e instanceof Error && /must be an http\(s\) URL/.test(e.message),
    );
  }
});

Deno.test("usage answer: windows told apart by their length, resets as times, credits", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const usage = parseUsage({
    plan_type: "pro",
    rate_limit: {
      allowed: false,
      limit_reached: true,
      // Listed the other way round: the week first.
      primary_window: { used_percent: 80, limit_window_seconds: 604800, reset_after_seconds: 3600 },
      secondary_window: { used_percent: 100, limit_window_seconds: 18000, reset_at: 1767229200 },
    },
    credits: { has_credits: false, unlimited: false, balance: null },
  }, now);
  assert.deepEqual(usage.weekly, {
    used_percent: 80,
    window_seconds: 604800,
    resets_at: "2026-01-01T01:00:00.000Z",
  });
  assert.equal(usage.five_hour?.used_percent, 100);
  assert.equal(usage.limit_reached, true);
  assert.deepEqual(usage.credits, { has_credits: false, unlimited: false, balance: null });
  assert.deepEqual(parseUsage({}, now).five_hour, null);
});

Deno.test("usage: asked with the account's token and workspace; expired tokens send nothing", async () => {
  await using issuer = startFakeIssuer();
  await using backend = startFakeChatGpt(issuer);
  const http = new HttpClient();
  const url = usageUrl(backend.baseUrl);
  const a = signedIn(issuer, ACCOUNT_A);
  const ok = await fetchUsage(a, { http, url, now: new Date() });
  assert.equal(ok.status, "ok");
  assert.equal(ok.five_hour?.used_percent, 10);
  assert.equal(ok.weekly?.window_seconds, 604800);
  assert.deepEqual(backend.usageRequests().map((r) => [r.accountHeader, r.account?.email]), [
    ["acct_A", "a@example.com"],
  ]);
  const later = new Date(Date.now() + 7200_000);
  assert.deepEqual(await fetchUsage(a, { http, url, now: later }), { status: "expired" });
  assert.equal(backend.requests.length, 1, "nothing sent for an expired token");
  const key = { auth_mode: "apikey" as const, OPENAI_API_KEY: "sk-proj-x" };
  assert.deepEqual(await fetchUsage(key, { http, url, now: new Date() }), {
    status: "not_chatgpt",
  });
  const wrong = { ...a, tokens: { ...a.tokens, account_id: "acct_B" } };
  const refused = await fetchUsage(wrong, { http, url, now: new Date() });
  assert.equal(refused.status, "failed");
  assert.match(refused.error ?? "", /refused this account's access token \(HTTP 403\)/);
  const down = await fetchUsage(a, { http, url: "http://127.0.0.1:9/x", now: new Date() });
  assert.equal(down.status, "failed");
  http.close();
});

Deno.test("usage of every row at once: the active account with Codex's tokens, others with theirs", async () => {
  await using issuer = startFakeIssuer();
  await using backend = startFakeChatGpt(issuer);
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  const store = new FileCredentialStore(home);
  const saved = new SavedAccounts(home);
  await saved.withLock((l) =>
    keepCopy(l, signedIn(issuer, ACCOUNT_A), { now: new Date(), where: "x" })
  );
  await saveAuthFile(home, signedIn(issuer, ACCOUNT_B));
  const rows = await accountRows(store, saved, {});
  const http = new HttpClient();
  const usage = await usageOfRows(rows, { store, saved, settings: {} }, {
    http,
    url: usageUrl(backend.baseUrl),
    now: new Date(),
  });
  http.close();
  assert.deepEqual(usage.map((u) => u.status), ["ok", "ok"]);
  assert.deepEqual(backend.usageRequests().map((r) => r.accountHeader).sort(), [
    "acct_A",
    "acct_B",
  ]);
});
