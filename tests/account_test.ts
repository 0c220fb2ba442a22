import assert from "node:assert/strict";
import { logout, saveApiKey, validateApiKey } from "../lib/signin/account.ts";
import { formatStatus, getStatus } from "../lib/signin/status_report.ts";
import { refreshAuth } from "../lib/signin/token_refresh.ts";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { authFilePath } from "../lib/store/codex_home.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { LoginError } from "../lib/base/errors.ts";
import { IssuerClient } from "../lib/issuer/issuer.ts";
import { readSecret } from "../lib/cli/secret_input.ts";
import { type FakeIssuer, startFakeIssuer } from "./support/fake_issuer.ts";
import { tempHome } from "./support/helpers.ts";

async function signedIn(issuer: FakeIssuer, home: string): Promise<ChatGptAuth> {
  const t = issuer.issueTokens();
  const auth: ChatGptAuth = {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: "sk-proj-abcdefghijklmnop1234",
    tokens: {
      id_token: t.id_token,
      access_token: t.access_token,
      refresh_token: t.refresh_token,
      account_id: "acct_123",
    },
    last_refresh: "2026-11-01T00:00:00.000Z",
  };
  await saveAuthFile(home, auth);
  return auth;
}

Deno.test("status: ChatGPT sign-in shows email, plan, account, expiries, last refresh", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await signedIn(issuer, h.home);
  const before = await Deno.readTextFile(authFilePath(h.home));
  const report = await getStatus(new FileCredentialStore(h.home));
  assert.equal(report.logged_in, true);
  assert.equal(report.email, "person@example.com");
  assert.equal(report.plan, "plus");
  assert.equal(report.account_id, "acct_123");
  assert.equal(report.api_key, "sk-...1234");
  assert.ok(Date.parse(report.id_token_expires_at!) > Date.now());
  const text = formatStatus(report, new Date());
  assert.match(text, /^Logged in using ChatGPT\n/);
  assert.match(text, /Email: +person@example.com/);
  assert.match(text, /Last refreshed: +2026-11-01T00:00:00.000Z \(\d+ (min|h|days) ago\)/);
  const json = JSON.stringify(report);
  const auth = (await readAuthFile(h.home)) as ChatGptAuth;
  for (const secret of [auth.tokens.id_token, auth.tokens.refresh_token, auth.OPENAI_API_KEY!]) {
    assert.ok(!json.includes(secret) && !text.includes(secret), "no secret in status");
  }
  assert.equal(await Deno.readTextFile(authFilePath(h.home)), before, "status never writes");
});

Deno.test("status: API key is masked to at most 3 + 4 characters; not logged in", async () => {
  await using h = await tempHome();
  assert.equal(
    formatStatus(await getStatus(new FileCredentialStore(h.home)), new Date()),
    "Not logged in",
  );
  await saveApiKey(new FileCredentialStore(h.home), "sk-abcdefghijklmnopqrstuvwxyzabcd");
  assert.equal(
    formatStatus(await getStatus(new FileCredentialStore(h.home)), new Date()),
    "API key configured - sk-...abcd",
  );
});

Deno.test("status: a corrupt auth.json is reported with its path and left alone", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home);
  await Deno.writeTextFile(authFilePath(h.home), "{ oops");
  await assert.rejects(
    getStatus(new FileCredentialStore(h.home)),
    (e: unknown) => e instanceof LoginError && e.message.includes(authFilePath(h.home)),
  );
  assert.equal(await Deno.readTextFile(authFilePath(h.home)), "{ oops");
});

Deno.test("logout: revokes the refresh token (JSON with hint and client id), removes auth.json", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const auth = await signedIn(issuer, h.home);
  const outcome = await logout({
    store: new FileCredentialStore(h.home),
    client: new IssuerClient({ issuer: issuer.url }),
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
  await signedIn(issuer, h.home);
  const outcome = await logout({
    store: new FileCredentialStore(h.home),
    client: new IssuerClient({ issuer: issuer.url }),
    revoke: true,
  });
  assert.equal(outcome.removed, true);
  assert.ok(typeof outcome.revoke === "object" && /500/.test(outcome.revoke.failed));
  assert.equal(await readAuthFile(h.home), undefined);
});

Deno.test("logout --no-revoke sends nothing; not logged in is fine", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await signedIn(issuer, h.home);
  const client = new IssuerClient({ issuer: issuer.url });
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

Deno.test("refresh: stores every returned token, recomputes account_id, updates last_refresh", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const old = await signedIn(issuer, h.home);
  issuer.scenario.account.accountId = "acct_new";
  const now = new Date("2026-11-23T12:00:00Z");
  await refreshAuth({
    store: new FileCredentialStore(h.home),
    client: new IssuerClient({ issuer: issuer.url }),
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
  await signedIn(issuer, h.home);
  const before = await Deno.readTextFile(authFilePath(h.home));
  await assert.rejects(
    refreshAuth({
      store: new FileCredentialStore(h.home),
      client: new IssuerClient({ issuer: issuer.url }),
      now: () => new Date(),
    }),
    (e: unknown) =>
      e instanceof LoginError && e.exitCode === 1 &&
      /sign in again with `deno run [^`]* login`/.test(e.message),
  );
  assert.equal(await Deno.readTextFile(authFilePath(h.home)), before);
});

Deno.test("refresh: not logged in (or an API key) is exit 1 and creates nothing", async () => {
  await using h = await tempHome();
  const client = new IssuerClient({ issuer: "http://127.0.0.1:9" });
  await assert.rejects(
    refreshAuth({ store: new FileCredentialStore(h.home), client, now: () => new Date() }),
    (e: unknown) => e instanceof LoginError && e.exitCode === 1 && /Not logged in/.test(e.message),
  );
  await assert.rejects(Deno.stat(h.home), Deno.errors.NotFound, "codex home not created");
  await saveApiKey(new FileCredentialStore(h.home), "sk-proj-0123456789abcdefghij");
  await assert.rejects(
    refreshAuth({ store: new FileCredentialStore(h.home), client, now: () => new Date() }),
    /API key, which does not need refreshing/,
  );
});

Deno.test("refresh: two at once in one process both succeed and keep the newest token", async () => {
  await using issuer = startFakeIssuer({ tokenDelayMs: 50 });
  await using h = await tempHome();
  await signedIn(issuer, h.home);
  const client = new IssuerClient({ issuer: issuer.url });
  await Promise.all([
    refreshAuth({ store: new FileCredentialStore(h.home), client, now: () => new Date() }),
    refreshAuth({ store: new FileCredentialStore(h.home), client, now: () => new Date() }),
  ]);
  const auth = (await readAuthFile(h.home)) as ChatGptAuth;
  assert.equal(issuer.refreshTokens.get(auth.tokens.refresh_token), true, "stored token is live");
  assert.equal(issuer.tokenRequests("refresh_token").length, 2);
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

Deno.test("readSecret: hidden prompt on a terminal, all of stdin from a pipe", async () => {
  const calls: string[] = [];
  const tty = await readSecret("P: ", {
    isTerminal: () => true,
    readAll: () => Promise.resolve("pipe"),
    readHidden: (p) => (calls.push(p), Promise.resolve("typed")),
  });
  assert.equal(tty, "typed");
  assert.deepEqual(calls, ["P: "]);
  const piped = await readSecret("P: ", {
    isTerminal: () => false,
    readAll: () => Promise.resolve("pipe"),
    readHidden: () => Promise.resolve("typed"),
  });
  assert.equal(piped, "pipe");
});
