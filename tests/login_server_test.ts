import assert from "node:assert/strict";
import { authFilePath } from "../lib/store/codex_home.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { LoginError } from "../lib/base/errors.ts";
import { accountClaims } from "../lib/issuer/jwt.ts";
import { startLogin } from "../lib/signin/login_server.ts";
import { callbackUrl, fixture, rejection } from "./support/login_fixture.ts";
import { browse, rawGet, tempHome } from "./support/helpers.ts";

function filesIn(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    return [];
  }
}

function portIsFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("success: code + PKCE exchanged, API key saved, redirect to /success, port released", async () => {
  await using f = await fixture();
  const visits = await browse(f.session.authUrl);
  assert.deepEqual(visits.map((v) => v.status), [302, 302, 200]);
  // The success page is tied to this browser by a one-time value (never a token).
  assert.match(visits[1].headers.get("location") ?? "", /^\/success\?v=[A-Za-z0-9_-]{43}$/);
  assert.match(visits[2].body, /You are signed in/);
  const result = await f.session.result;
  assert.equal(result.accountId, "acct_123");
  assert.equal(result.email, "person@example.com");
  assert.equal(result.needsSetup, false);

  const auth = await readAuthFile(f.home);
  assert.ok(auth?.auth_mode === "chatgpt");
  assert.equal(auth.OPENAI_API_KEY, f.issuer.apiKeys[0]);
  assert.equal(auth.tokens.account_id, "acct_123");
  assert.match(auth.last_refresh, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const [codeReq] = f.issuer.tokenRequests("authorization_code");
  assert.equal(codeReq.contentType, "application/x-www-form-urlencoded");
  assert.equal(codeReq.params.redirect_uri, f.session.redirectUri);
  assert.equal(f.issuer.requestsTo("/v1/billing/redeem_credits").length, 1);
  assert.ok(portIsFree(f.session.port));
  for (const v of visits.slice(1)) assert.ok(!v.url.includes(auth.tokens.id_token));
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

Deno.test("access_denied: error page, exit 1, nothing written", async () => {
  await using f = await fixture({ authorize: "access_denied" });
  const visits = await browse(f.session.authUrl);
  const page = visits.at(-1)!;
  assert.equal(page.status, 400, "a declined sign-in answers with an error status");
  assert.match(page.body, /Sign-in was cancelled/);
  assert.match(page.body, /access_denied/);
  const err = await rejection(f.session);
  assert.equal(err.kind, "access_denied");
  assert.equal(err.exitCode, 1);
  assert.match(err.message, /access_denied.*declined/);
  assert.deepEqual(filesIn(f.home), [], "nothing written, the cancel secret removed");
});

for (const fault of ["500", "non_json", "missing_fields", "wrong_types"] as const) {
  Deno.test(`token endpoint ${fault}: error page, exit 1, existing auth.json untouched`, async () => {
    await using f = await fixture({ codeExchange: fault });
    await saveAuthFile(f.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-previous-good" });
    const before = await Deno.readTextFile(authFilePath(f.home));
    const visits = await browse(f.session.authUrl);
    assert.equal(visits.at(-1)!.status, 502, "the issuer failed us: 502");
    assert.match(visits.at(-1)!.body, /refused the sign-in code/);
    const err = await rejection(f.session);
    assert.equal(err.kind, "code_exchange");
    assert.equal(err.exitCode, 1);
    assert.equal(await Deno.readTextFile(authFilePath(f.home)), before);
  });
}

Deno.test("slow token endpoint: the request times out, exit 1, message says so", async () => {
  await using f = await fixture({ tokenDelayMs: 1500 }, { requestTimeoutMs: 300 });
  await browse(f.session.authUrl);
  const err = await rejection(f.session);
  assert.equal(err.kind, "code_exchange");
  assert.match(err.message, /did not answer within 0.3 s.*connection/);
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
  assert.match(notes[0], /invalid_subject_token.*Codex works with the ChatGPT sign-in alone/);
  assert.equal(f.issuer.requestsTo("/v1/billing/redeem_credits").length, 0, "no key, no credits");
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

Deno.test("a forged state is refused (400) and the real callback still succeeds", async () => {
  await using f = await fixture();
  const forged = await browse(callbackUrl(f.session, { code: "stolen", state: "forged" }));
  assert.equal(forged[0].status, 400);
  assert.match(forged[0].body, /out of date/);
  const missing = await browse(callbackUrl(f.session, { code: "stolen" }));
  assert.equal(missing[0].status, 400);
  assert.equal(f.issuer.tokenRequests("authorization_code").length, 0);
  const visits = await browse(f.session.authUrl);
  assert.equal(visits.at(-1)!.status, 200);
  await f.session.result;
});

Deno.test("unknown paths 404, non-GET 405, foreign Host 4xx, early /success 404; server keeps running", async () => {
  await using f = await fixture();
  const port = f.session.port;
  assert.equal((await rawGet(port, "/nope")).status, 404);
  assert.equal((await rawGet(port, "/success")).status, 404);
  assert.equal((await rawGet(port, "/auth/callback", `localhost:${port}`, "POST")).status, 405);
  const foreign = await rawGet(port, "/auth/callback", "evil.example:80");
  assert.ok(foreign.status >= 400 && foreign.status < 500);
  assert.equal((await rawGet(port, "/nope", `127.0.0.1:${port}`)).status, 404);
  assert.equal((await rawGet(port, "/x", `localhost:${port + 1}`)).status, 421);
  const visits = await browse(f.session.authUrl);
  assert.equal(visits.at(-1)!.status, 200);
  await f.session.result;
});

Deno.test("a code is used once: a callback replayed during the exchange is refused", async () => {
  await using f = await fixture({ tokenDelayMs: 300 });
  const authorize = await fetch(f.session.authUrl, { redirect: "manual" });
  await authorize.body?.cancel();
  const callback = authorize.headers.get("location")!;
  const first = browse(callback);
  await new Promise((r) => setTimeout(r, 100));
  const replay = await browse(callback);
  assert.equal(replay[0].status, 409);
  assert.match(replay[0].body, /already handled/);
  assert.equal((await first).at(-1)!.status, 200);
  assert.equal(f.issuer.tokenRequests("authorization_code").length, 1);
  await f.session.result;
});

Deno.test("port in use: LoginError with exit 13 naming the port", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (holder.addr as Deno.NetAddr).port;
  try {
    await using h = await tempHome();
    const err = await startLogin({ codexHome: h.home, port, log: () => {}, bindRetryMs: 100 })
      .catch((e) => e);
    assert.ok(err instanceof LoginError);
    assert.equal(err.exitCode, 13);
    assert.match(err.message, new RegExp(`Port ${port}.*in use`));
  } finally {
    holder.close();
  }
});

Deno.test("timeout: exit 124, port released, nothing written", async () => {
  await using f = await fixture({}, { timeoutMs: 150 });
  const err = await rejection(f.session);
  assert.equal(err.exitCode, 124);
  assert.match(err.message, /Timed out/);
  assert.ok(portIsFree(f.session.port));
  assert.deepEqual(filesIn(f.home), [], "nothing written, the cancel secret removed");
});

Deno.test("cancel (Ctrl-C) while the code is being exchanged: exit 130, nothing written", async () => {
  await using f = await fixture({ tokenDelayMs: 400 });
  const browsing = browse(f.session.authUrl).catch(() => []);
  await new Promise((r) => setTimeout(r, 150));
  f.session.cancel();
  const err = await rejection(f.session);
  assert.equal(err.exitCode, 130);
  await browsing;
  await new Promise((r) => setTimeout(r, 400));
  await assert.rejects(Deno.stat(authFilePath(f.home)), Deno.errors.NotFound);
  assert.ok(portIsFree(f.session.port));
});

Deno.test("idle keep-alive connections do not stall the callback or the exit", async () => {
  await using f = await fixture({}, { successGraceMs: 5000 });
  const idle: Deno.Conn[] = [];
  for (let i = 0; i < 5; i++) {
    idle.push(await Deno.connect({ hostname: "127.0.0.1", port: f.session.port }));
  }
  // One keep-alive connection that already made a request and stays open.
  const kept = await Deno.connect({ hostname: "127.0.0.1", port: f.session.port });
  await kept.write(
    new TextEncoder().encode(`GET /x HTTP/1.1\r\nHost: localhost:${f.session.port}\r\n\r\n`),
  );
  await kept.read(new Uint8Array(4096));
  await browse(f.session.authUrl);
  await f.session.result;
  for (const c of [...idle, kept]) {
    const n = await c.read(new Uint8Array(16)).catch(() => null);
    assert.equal(n, null, "server closed the connection");
    c.close();
  }
});

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
  await using f = await fixture({}, { apiBase: "http://127.0.0.1:9" });
  await browse(f.session.authUrl);
  await f.session.result;
  assert.match(f.logs.text(), /Credit redemption request failed/);
  assert.ok(!/eyJ/.test(f.logs.text()), "no token in the log");
});

Deno.test("the browser opener gets the one-time start link; a failure is only a note after the URL", async () => {
  const opened: string[] = [];
  await using f = await fixture({}, {
    openBrowser: (url) => {
      opened.push(url);
      return Promise.reject(new Error("no display"));
    },
  });
  // Not the authorize URL (its state would sit in the process table): a one-time link to it.
  assert.deepEqual(opened, [f.session.startUrl]);
  assert.match(f.session.startUrl, /^http:\/\/127\.0\.0\.1:\d+\/start\/[A-Za-z0-9_-]{43}$/);
  const lines = f.logs.lines;
  const urlLine = lines.indexOf(f.session.authUrl);
  assert.ok(urlLine > 0, "URL alone on its own line");
  const note = lines.findIndex((l) => /Could not open a browser/.test(l));
  assert.ok(note > urlLine, "the note comes after the URL");
});
