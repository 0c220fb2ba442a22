/**
 * Who is signed in (`status`), for every mode the Codex CLI writes: a report for scripts that
 * never holds a secret, its human form in Codex's words, and nothing raw from the issuer on a
 * terminal.
 */
import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { logout, saveApiKey } from "../../lib/signin/account.ts";
import { formatStatus, getStatus } from "../../lib/signin/status_report.ts";
import { currentToken } from "../../lib/signin/token_refresh.ts";
import type { ChatGptAuth } from "../../lib/store/auth_data.ts";
import { FileCredentialStore, readAuthFile } from "../../lib/store/file_store.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { browse, issuerClient, saveSignedIn, tempHome } from "../support/helpers.ts";
import { callbackUrl, fixture, rejection } from "../support/login_fixture.ts";

const FIXTURES = new URL("../fixtures/auth/", import.meta.url);
const readFixture = async (name: string) =>
  JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES))) as Record<string, unknown>;
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

Deno.test("status: ChatGPT sign-in shows email, plan, account, expiries, last refresh", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await saveSignedIn(issuer, h.home);
  const before = await Deno.readTextFile(h.home.authFile);
  const report = await getStatus(new FileCredentialStore(h.home));
  assert.equal(report.logged_in, true);
  assert.equal(report.email, "person@example.com");
  assert.equal(report.plan, "plus");
  assert.equal(report.account_id, "acct_123");
  assert.equal(report.api_key, "sk-proj-***p1234");
  assert.ok(Date.parse(report.id_token_expires_at!) > Date.now());
  const text = formatStatus(report, new Date());
  assert.match(text, /^Logged in using ChatGPT\n/);
  assert.match(text, /Email: +person@example.com/);
  assert.match(text, /Last refreshed: +2026-11-01T00:00:00.000Z \(\d+ (min|h|days) ago\)/);
  assert.match(text, /ID token: +expires \S+ \(in /);
  // Read three days after it: a past expiry is said as such.
  const later = formatStatus(
    report,
    new Date(Date.parse(report.id_token_expires_at!) + 3 * 86400_000),
  );
  assert.match(later, /ID token: +expired \S+ \(3 days ago\)/);
  const json = JSON.stringify(report);
  const auth = (await readAuthFile(h.home)) as ChatGptAuth;
  for (const secret of [auth.tokens.id_token, auth.tokens.refresh_token, auth.OPENAI_API_KEY!]) {
    assert.ok(!json.includes(secret) && !text.includes(secret), "no secret in status");
  }
  assert.equal(await Deno.readTextFile(h.home.authFile), before, "status never writes");
});

Deno.test("status: API key masked as Codex masks it, with Codex's second line; not logged in", async () => {
  await using h = await tempHome();
  assert.equal(
    formatStatus(await getStatus(new FileCredentialStore(h.home)), new Date()),
    "Not logged in",
  );
  await saveApiKey(new FileCredentialStore(h.home), "sk-abcdefghijklmnopqrstuvwxyzabcd");
  assert.equal(
    formatStatus(await getStatus(new FileCredentialStore(h.home)), new Date()),
    "API key configured - sk-abcde***zabcd\nAuthentication is checked when you send a request.",
  );
});

Deno.test("status: a corrupt auth.json is reported with its path and left alone", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path);
  await Deno.writeTextFile(h.home.authFile, "{ oops");
  await assert.rejects(
    getStatus(new FileCredentialStore(h.home)),
    (e: unknown) => e instanceof LoginError && e.message.includes(h.home.authFile),
  );
  assert.equal(await Deno.readTextFile(h.home.authFile), "{ oops");
});

const MODES: Record<string, { mode: string; title: RegExp; revoke?: string }> = {
  "chatgpt.json": { mode: "chatgpt", title: /^Logged in using ChatGPT$/m, revoke: "refresh_token" },
  "legacy_seed_no_mode.json": {
    mode: "chatgpt",
    title: /^Logged in using ChatGPT$/m,
    revoke: "refresh_token",
  },
  "apikey.json": { mode: "apikey", title: /^API key configured - sk-proj-\*\*\*9abcd$/m },
  "chatgpt_auth_tokens.json": { mode: "chatgptAuthTokens", title: /another application/ },
  "agent_identity_record.json": {
    mode: "agentIdentity",
    title: /agent identity\n {2}Account: +account-id/,
  },
  "personal_access_token.json": { mode: "personalAccessToken", title: /personal access token/ },
  "bedrock_api_key.json": { mode: "bedrockApiKey", title: /Amazon Bedrock API key/ },
};

for (const [name, want] of Object.entries(MODES)) {
  Deno.test(`status and logout: ${name} (${want.mode})`, async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    const raw = await readFixture(name);
    await Deno.mkdir(h.home.path);
    await Deno.writeTextFile(h.home.authFile, JSON.stringify(raw));
    const store = new FileCredentialStore(h.home);
    const report = await getStatus(store);
    assert.equal(report.auth_mode, want.mode);
    const text = formatStatus(report, new Date());
    assert.match(text, want.title);
    for (
      const secret of ["rt_fixture", "pat_fixture_0123456789", "bedrock-fixture-key", "private-key"]
    ) {
      assert.ok(!text.includes(secret) && !JSON.stringify(report).includes(secret), secret);
    }
    const out = await logout({
      store,
      client: issuerClient(issuer.url),
      revoke: true,
    });
    assert.equal(out.removed, true);
    assert.equal(await readAuthFile(h.home), undefined);
    assert.deepEqual(issuer.revoked.map((r) => r.hint), want.revoke ? [want.revoke] : []);
  });
}

Deno.test("Bedrock AWS access keys: status names them (never the secret), token says what to use", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await Deno.mkdir(h.home.path, { mode: 0o700 });
  await Deno.writeTextFile(
    h.home.authFile,
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
    /^Logged in using Amazon Bedrock AWS access keys\n {2}Access key id: +AKIAEXAM\*\*\*23456\n {2}Region: +eu-west-1/,
  );
  assert.ok(!JSON.stringify(report).includes("bedrock-secret-value"));
  assert.ok(!text.includes("bedrock-secret-value"));
  const client = issuerClient(issuer.url);
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

Deno.test("escapes and line breaks from the issuer never reach the terminal raw", async () => {
  const evil = "x\x1b]52;c;ZXZpbA==\x07\x1b[2J\nError: forged line\u202e";
  await using f = await fixture({
    account: { accountId: `acct${evil}`, email: `me${evil}@example.com`, planType: `plus${evil}` },
  });
  await browse(f.session.authUrl);
  await f.session.result;
  const text = formatStatus(await getStatus(new FileCredentialStore(f.home)), new Date());
  assert.ok(!CONTROL.test(text) && !text.includes("\u202e"), text);
  assert.ok(!/^Error: forged/m.test(text), "no forged line");
  assert.match(text, /\\x1b\]52;c;ZXZpbA==\\x07/, "shown as visible escapes");

  await using denied = await fixture();
  const url = callbackUrl(denied.session, {
    error: "access_denied",
    error_description: `nope${evil}`,
    state: new URL(denied.session.authUrl).searchParams.get("state")!,
  });
  await browse(url);
  const err = await rejection(denied.session);
  assert.ok(!CONTROL.test(err.message) && !err.message.includes("\u202e"), err.message);
});

Deno.test("status: a policy violation is flagged in Codex's words, with what Codex will do", () => {
  const text = formatStatus({
    logged_in: true,
    auth_mode: "apikey",
    auth_file: "/h/auth.json",
    api_key: "sk-abcde***zabcd",
    policy_violations: ["ChatGPT login is required, but an API key is currently being used."],
  }, new Date());
  assert.equal(
    text,
    "API key configured - sk-abcde***zabcd\nAuthentication is checked when you send a request.\nWarning: ChatGPT login is required, but an API key is currently being used. Codex will log these credentials out when it starts; sign in again as config.toml requires.",
  );
});
