/**
 * What every sign-in shares: the context resolved once, and the token steps for a code
 * however it arrived: the exchange, a refused workspace, an id_token that arrived expired, the
 * save (and what a failed one revokes), and the org-setup link.
 */
import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { HttpClient } from "../../lib/issuer/http_client.ts";
import { resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import { accountClaims } from "../../lib/issuer/jwt.ts";
import { startLogin } from "../../lib/signin/login_server.ts";
import { resolveSignInContext } from "../../lib/signin/sign_in.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { browse, tempHome } from "../support/helpers.ts";
import { fixture, rejection } from "../support/login_fixture.ts";

const CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
/** An org owner who has not finished platform onboarding: the success page offers setup. */
const NEEDS_SETUP = {
  accountId: "a1",
  planType: "plus",
  isOrgOwner: true,
  completedPlatformOnboarding: false,
};

Deno.test("the context: every default applied once, the issuer's URLs as resolved", () => {
  const home = new CodexHome("/nonexistent/codex");
  const ctx = resolveSignInContext({
    home,
    endpoints: resolveIssuer({
      issuer: "https://sso.example.com",
      platformUrl: "https://p.example",
    }),
  });
  assert.equal(ctx.home, home);
  assert.equal(ctx.client.issuer, "https://sso.example.com");
  assert.equal(ctx.store.kind, "file");
  assert.equal(ctx.store.describe(), home.authFile);
  assert.deepEqual(ctx.settings, {});
  assert.equal(ctx.apiBase, undefined);
  assert.equal(ctx.platformUrl, "https://p.example");
  assert.equal(ctx.ownsHttp, true, "it made its own outbound client");
  assert.equal(ctx.trace.path, undefined, "no login log unless one is given");
  const http = new HttpClient();
  const now = () => new Date(0);
  const given = resolveSignInContext({ home, endpoints: resolveIssuer() }, { http, now });
  assert.equal(given.http, given.client.http);
  assert.equal(given.http, http);
  assert.equal(given.ownsHttp, false);
  assert.equal(given.now().getTime(), 0);
});

Deno.test("sign-in writes oauth_provenance and a new login_owner_id, in Codex 0.169's order", async () => {
  const owners: string[] = [];
  for (let i = 0; i < 2; i++) {
    await using f = await fixture();
    await browse(f.session.authUrl);
    await f.session.result;
    const raw = JSON.parse(await Deno.readTextFile(f.home.authFile));
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

Deno.test("forced workspace: allowed_workspace_id sent; another workspace saves nothing, is revoked, 403", async () => {
  await using f = await fixture({ account: { accountId: "ws-other", email: "p@example.com" } }, {
    request: { settings: { forcedWorkspaceIds: ["ws-allowed", "ws-second"] } },
  });
  await saveAuthFile(f.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-previous-good-key-0123" });
  const before = await Deno.readTextFile(f.home.authFile);
  assert.equal(
    new URL(f.session.authUrl).searchParams.get("allowed_workspace_id"),
    "ws-allowed,ws-second",
  );
  const page = (await browse(f.session.authUrl)).at(-1)!;
  assert.equal(page.status, 403);
  // The page says what happened from the error's kind alone; the terminal names the workspaces.
  assert.match(page.body, /This workspace is not allowed here/);
  assert.match(page.body, /choose one of the workspaces your terminal names/);
  const err = await rejection(f.session);
  assert.equal(err.kind, "workspace_restricted");
  assert.equal(err.exitCode, 1);
  assert.match(
    err.message,
    /restricted to workspace\(s\) ws-allowed, ws-second, but you chose ws-other/,
  );
  assert.equal(await Deno.readTextFile(f.home.authFile), before, "nothing saved");
  const [issued] = [...f.issuer.refreshTokens.keys()];
  assert.deepEqual(f.issuer.revoked.map((r) => r.token), [issued], "the new tokens were revoked");
  assert.equal(f.issuer.tokenRequests("urn:ietf:params:oauth:grant-type:token-exchange").length, 0);
});

Deno.test("forced workspace: an allowed workspace signs in", async () => {
  await using f = await fixture({ account: { accountId: "ws-second" } }, {
    request: { settings: { forcedWorkspaceIds: ["ws-allowed", "ws-second"] } },
  });
  await browse(f.session.authUrl);
  assert.equal((await f.session.result).accountId, "ws-second");
  assert.deepEqual(f.issuer.revoked, []);
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

Deno.test("account_id is null when the id_token has no workspace claim", async () => {
  await using f = await fixture({ account: { email: "x@example.com", planType: "free" } });
  await browse(f.session.authUrl);
  await f.session.result;
  const raw = JSON.parse(await Deno.readTextFile(f.home.authFile));
  assert.equal(raw.tokens.account_id, null);
});

Deno.test("a save that fails after the code exchange revokes the tokens it was issued", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await Deno.mkdir(h.home.authFile, { recursive: true }); // auth.json is a directory
  const session = await startLogin({
    home: h.home,
    endpoints: resolveIssuer({ issuer: issuer.url }),
    port: 0,
  }, { successGraceMs: 50 });
  await browse(session.authUrl);
  const err = await session.result.then(() => undefined, (e) => e);
  assert.ok(err instanceof LoginError && err.kind === "save_failed", String(err));
  // The fix for a directory in the way, not "check for free space".
  assert.match(err.message, /auth\.json is a directory: move it out of the way/);
  assert.doesNotMatch(err.message, /free space/);
  const [exchange] = issuer.tokenRequests("authorization_code");
  assert.ok(exchange, "the code was exchanged");
  const issued = [...issuer.refreshTokens.keys()];
  assert.equal(issued.length, 1);
  assert.deepEqual(issuer.revoked.map((r) => r.token), issued, "the issued session was revoked");
  assert.equal(issuer.refreshTokens.get(issued[0]), false);
});

Deno.test("needs_setup: /success forwards to {platform}/org-setup with p, t, with_org, project_id", async () => {
  await using f = await fixture({
    account: {
      accountId: "a1",
      organizationId: "org_9",
      projectId: "proj_9",
      planType: "plus",
      isOrgOwner: true,
      completedPlatformOnboarding: false,
    },
  });
  const visits = await browse(f.session.authUrl);
  const page = visits.at(-1)!;
  const search = new URL(page.url).searchParams;
  assert.deepEqual([...search.keys()], ["v"], "only the one-time value, not the id_token");
  const href = /id="setup-link" href="([^"]+)"/.exec(page.body)?.[1].replaceAll("&amp;", "&");
  assert.ok(href);
  const setup = new URL(href);
  const auth = await readAuthFile(f.home);
  assert.ok(auth?.auth_mode === "chatgpt");
  assert.equal(setup.origin + setup.pathname, "https://platform.example/org-setup");
  assert.deepEqual(Object.fromEntries(setup.searchParams), {
    p: "plus",
    t: auth.tokens.id_token,
    with_org: "org_9",
    project_id: "proj_9",
  });
  assert.equal((await f.session.result).needsSetup, true);
  // needs_setup means no credit redemption (seed).
  assert.equal(f.issuer.requestsTo("/v1/billing/redeem_credits").length, 0);
});

Deno.test("expired id_token: refreshed at the issuer (JSON), rotated tokens stored, key from fresh token", async () => {
  await using f = await fixture({ expiredIdToken: true });
  await browse(f.session.authUrl);
  await f.session.result;
  const [refresh] = f.issuer.tokenRequests("refresh_token");
  assert.ok(refresh, "a refresh request reached the issuer");
  assert.equal(refresh.contentType, "application/json");
  assert.equal(refresh.params.scope, undefined, "no scope, as today's Codex");
  const auth = await readAuthFile(f.home);
  assert.ok(auth?.auth_mode === "chatgpt");
  assert.notEqual(auth.tokens.refresh_token, refresh.params.refresh_token);
  assert.equal(f.issuer.refreshTokens.get(auth.tokens.refresh_token), true);
  assert.ok(accountClaims(auth.tokens.id_token).expiresAt!.getTime() > Date.now());
  assert.ok(auth.OPENAI_API_KEY?.startsWith("sk-proj-"));
  assert.match(f.logs.text(), /Refreshing credentials/);
});

for (const fault of ["500", "non_json", "missing_fields", "wrong_types"] as const) {
  Deno.test(`token endpoint ${fault}: error page, exit 1, existing auth.json untouched`, async () => {
    await using f = await fixture({ codeExchange: fault });
    await saveAuthFile(f.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-previous-good" });
    const before = await Deno.readTextFile(f.home.authFile);
    const visits = await browse(f.session.authUrl);
    assert.equal(visits.at(-1)!.status, 502, "the issuer failed us: 502");
    assert.match(visits.at(-1)!.body, /refused the sign-in code/);
    const err = await rejection(f.session);
    assert.equal(err.kind, "code_exchange");
    assert.equal(err.exitCode, 1);
    assert.equal(await Deno.readTextFile(f.home.authFile), before);
  });
}

Deno.test("slow token endpoint: the request times out, exit 1, message says so", async () => {
  await using f = await fixture({ tokenDelayMs: 1500 }, { requestTimeoutMs: 300 });
  await browse(f.session.authUrl);
  const err = await rejection(f.session);
  assert.equal(err.kind, "code_exchange");
  assert.match(err.message, /did not answer within 0.3 s.*connection/);
});

Deno.test("missing org/project claims do not fail the sign-in", async () => {
  await using f = await fixture({
    account: { accountId: "a2", planType: "free", isOrgOwner: true },
  });
  const visits = await browse(f.session.authUrl);
  assert.match(visits.at(-1)!.body, /org-setup\?p=free&amp;t=[^&]+&amp;with_org=&amp;project_id=/);
  const result = await f.session.result;
  assert.equal(result.accountId, "a2");
  assert.ok((await readAuthFile(f.home))?.auth_mode === "chatgpt");
  assert.match(f.logs.text(), /Only users with Plus or Pro/);
});

Deno.test("a non-OpenAI issuer without --api-base/--platform-url: no credits call, no setup link", async () => {
  await using f = await fixture({ account: NEEDS_SETUP }, {
    issuer: { apiBase: undefined, platformUrl: undefined },
  });
  const page = (await browse(f.session.authUrl)).at(-1)!;
  assert.ok(!page.body.includes("org-setup"), "no id_token forwarded anywhere");
  const result = await f.session.result;
  assert.equal(result.needsSetup, true);
  assert.equal(result.setupLinkOffered, false);
  assert.equal(f.issuer.requestsTo("/v1/billing/redeem_credits").length, 0);
});
