/**
 * Faithful to today's Codex CLI, in-process: the wire (headers, workspace restriction), the
 * entitlement refusal, retiring the previous session, every auth.json mode through status and
 * logout, refresh as Codex refreshes, and taking the port over from a waiting `codex login`.
 */
import assert from "node:assert/strict";
import { logout } from "../lib/signin/account.ts";
import { formatStatus, getStatus } from "../lib/signin/status_report.ts";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { authFilePath } from "../lib/store/codex_home.ts";
import { LoginError } from "../lib/base/errors.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { IssuerClient } from "../lib/issuer/issuer.ts";
import { startLogin } from "../lib/signin/login_server.ts";
import { currentToken, refreshAuth } from "../lib/signin/token_refresh.ts";
import { VERSION } from "../lib/base/version.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, logCollector, tempHome } from "./support/helpers.ts";
import { fixture, rejection } from "./support/login_fixture.ts";

const FIXTURES = new URL("./fixtures/auth/", import.meta.url);
const readFixture = async (name: string) =>
  JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES))) as Record<string, unknown>;

Deno.test("every request carries the originator header and codex-login's User-Agent", async () => {
  await using f = await fixture();
  await browse(f.session.authUrl);
  await f.session.result;
  const posts = f.issuer.requests.filter((r) => r.method === "POST");
  assert.ok(posts.length >= 3, "code exchange, API key, credits");
  for (const r of posts) {
    assert.equal(r.headers.get("originator"), "codex_cli_rs", r.path);
    assert.equal(
      r.headers.get("user-agent"),
      `codex-login/${VERSION} (${Deno.build.os}; ${Deno.build.arch})`,
      r.path,
    );
  }
  const [authorize] = f.issuer.requestsTo("/oauth/authorize");
  assert.equal(authorize.params.originator, "codex_cli_rs");
  assert.equal(authorize.params.codex_cli_simplified_flow, "true");
  assert.equal(authorize.params.allowed_workspace_id, undefined, "no restriction, no parameter");
});

Deno.test("forced workspace: allowed_workspace_id sent; another workspace saves nothing, is revoked, 403", async () => {
  await using f = await fixture({ account: { accountId: "ws-other", email: "p@example.com" } }, {
    settings: { forcedWorkspaceIds: ["ws-allowed", "ws-second"] },
  });
  await saveAuthFile(f.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-previous-good-key-0123" });
  const before = await Deno.readTextFile(authFilePath(f.home));
  assert.equal(
    new URL(f.session.authUrl).searchParams.get("allowed_workspace_id"),
    "ws-allowed,ws-second",
  );
  const page = (await browse(f.session.authUrl)).at(-1)!;
  assert.equal(page.status, 403);
  assert.match(page.body, /ws-allowed, ws-second/);
  assert.match(page.body, /ws-other/);
  const err = await rejection(f.session);
  assert.equal(err.kind, "workspace_restricted");
  assert.equal(err.exitCode, 1);
  assert.match(
    err.message,
    /restricted to workspace\(s\) ws-allowed, ws-second, but you chose ws-other/,
  );
  assert.equal(await Deno.readTextFile(authFilePath(f.home)), before, "nothing saved");
  const [issued] = [...f.issuer.refreshTokens.keys()];
  assert.deepEqual(f.issuer.revoked.map((r) => r.token), [issued], "the new tokens were revoked");
  assert.equal(f.issuer.tokenRequests("urn:ietf:params:oauth:grant-type:token-exchange").length, 0);
});

Deno.test("forced workspace: an allowed workspace signs in", async () => {
  await using f = await fixture({ account: { accountId: "ws-second" } }, {
    settings: { forcedWorkspaceIds: ["ws-allowed", "ws-second"] },
  });
  await browse(f.session.authUrl);
  assert.equal((await f.session.result).accountId, "ws-second");
  assert.deepEqual(f.issuer.revoked, []);
});

Deno.test("missing Codex entitlement: Codex's words in the page and the message, status 400", async () => {
  await using f = await fixture({ authorize: "missing_entitlement" });
  const page = (await browse(f.session.authUrl)).at(-1)!;
  assert.equal(page.status, 400);
  assert.match(page.body, /You do not have access to Codex/);
  assert.ok(!page.body.includes("missing_codex_entitlement"), "no raw code on the page");
  const err = await rejection(f.session);
  assert.equal(err.kind, "missing_entitlement");
  assert.equal(
    err.message,
    "Codex is not enabled for your workspace. Contact your workspace administrator to request access to Codex.",
  );
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

Deno.test("a failed sign-in leaves the old session saved and unrevoked", async () => {
  await using f = await fixture({ codeExchange: "500" });
  const old = f.issuer.signedInAuth();
  await saveAuthFile(f.home, old);
  await browse(f.session.authUrl);
  await rejection(f.session);
  assert.deepEqual(f.issuer.revoked, []);
  assert.deepEqual(await readAuthFile(f.home), old);
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

Deno.test("account_id is null when the id_token has no workspace claim", async () => {
  await using f = await fixture({ account: { email: "x@example.com", planType: "free" } });
  await browse(f.session.authUrl);
  await f.session.result;
  const raw = JSON.parse(await Deno.readTextFile(authFilePath(f.home)));
  assert.equal(raw.tokens.account_id, null);
});

const MODES: Record<string, { mode: string; title: RegExp; revoke?: string }> = {
  "chatgpt.json": { mode: "chatgpt", title: /^Logged in using ChatGPT$/m, revoke: "refresh_token" },
  "legacy_seed_no_mode.json": {
    mode: "chatgpt",
    title: /^Logged in using ChatGPT$/m,
    revoke: "refresh_token",
  },
  "apikey.json": { mode: "apikey", title: /^API key configured - sk-\.\.\.abcd$/m },
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
    await Deno.mkdir(h.home);
    await Deno.writeTextFile(authFilePath(h.home), JSON.stringify(raw));
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
      client: new IssuerClient({ issuer: issuer.url }),
      revoke: true,
    });
    assert.equal(out.removed, true);
    assert.equal(await readAuthFile(h.home), undefined);
    assert.deepEqual(issuer.revoked.map((r) => r.hint), want.revoke ? [want.revoke] : []);
  });
}

Deno.test("logout: a Codex session without a refresh token revokes its access token (no client id)", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const auth = issuer.signedInAuth();
  auth.tokens.refresh_token = "";
  await saveAuthFile(h.home, auth);
  const store = new FileCredentialStore(h.home);
  await logout({ store, client: new IssuerClient({ issuer: issuer.url }), revoke: true });
  assert.deepEqual(issuer.revoked, [{
    token: auth.tokens.access_token,
    hint: "access_token",
    clientId: undefined,
  }]);
});

Deno.test("refresh keeps every field it does not own (agent_identity, unknown ones, token extras)", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const raw = await readFixture("chatgpt_with_unknown_fields.json");
  const live = issuer.issueTokens();
  raw.tokens = { ...(raw.tokens as object), refresh_token: live.refresh_token };
  await Deno.mkdir(h.home);
  await Deno.writeTextFile(authFilePath(h.home), JSON.stringify(raw));
  await refreshAuth({
    store: new FileCredentialStore(h.home),
    client: new IssuerClient({ issuer: issuer.url }),
    now: () => new Date("2026-11-26T00:00:00Z"),
  });
  const after = JSON.parse(await Deno.readTextFile(authFilePath(h.home)));
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
  const before = await Deno.readTextFile(authFilePath(h.home));
  const err = await refreshAuth({
    store: new FileCredentialStore(h.home),
    client: new IssuerClient({ issuer: issuer.url }),
    now: () => new Date(),
  }).catch((e) => e);
  assert.ok(err instanceof LoginError, String(err));
  return { err, unchanged: await Deno.readTextFile(authFilePath(h.home)) === before };
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
  assert.match(err.message, /503.*try again/);
  assert.ok(unchanged, "auth.json untouched");
});

Deno.test("token: a fresh access token is handed out as it is; one expiring within 5 min is refreshed first", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  const client = new IssuerClient({ issuer: issuer.url });
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
  const client = new IssuerClient({ issuer: issuer.url });
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

