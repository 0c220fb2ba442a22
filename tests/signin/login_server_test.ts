/**
 * A browser sign-in started whole: the port bound, the URL announced (and the opener handed
 * the one-time start link), the issuer connection kept warm, and the sign-in completed from
 * the browser's callback.
 */
import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { VERSION } from "../../lib/base/version.ts";
import { resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import { startLogin } from "../../lib/signin/login_server.ts";
import { readAuthFile } from "../../lib/store/file_store.ts";
import { browse, portIsFree, tempHome, timeCallback } from "../support/helpers.ts";
import { fixture } from "../support/login_fixture.ts";

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

Deno.test("port in use: LoginError with exit 13 naming the port", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (holder.addr as Deno.NetAddr).port;
  try {
    await using h = await tempHome();
    const err = await startLogin({ home: h.home, endpoints: resolveIssuer(), port }, {
      claim: { retryMs: 100 },
    }).catch((e) => e);
    assert.ok(err instanceof LoginError);
    assert.equal(err.exitCode, 13);
    assert.match(err.message, new RegExp(`Port ${port}.*in use`));
  } finally {
    holder.close();
  }
});

Deno.test("the browser opener gets the one-time start link; a failure is only a note after the URL", async () => {
  const opened: string[] = [];
  await using f = await fixture({}, {
    request: {
      openBrowser: (url) => {
        opened.push(url);
        return Promise.reject(new Error("no display"));
      },
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

Deno.test("a connection to the issuer is warmed while waiting: the code exchange skips the set-up", async () => {
  await using f = await fixture({ connectMs: 400 });
  // The warm-up starts after the URL is printed; give it its (simulated) connection set-up.
  for (
    let i = 0;
    i < 60 && f.issuer.requestsTo("/.well-known/openid-configuration").length === 0;
    i++
  ) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const opened = f.issuer.newConnections;
  assert.equal(opened, 1, "one warm-up connection");
  const { status } = await timeCallback(f.session.authUrl);
  assert.equal(status, 302);
  const [exchange] = f.issuer.tokenRequests("authorization_code");
  assert.ok(exchange, "the code was exchanged");
  assert.equal(exchange.newConnection, false, "over the warmed connection, no new set-up");
  await f.session.result;
});

Deno.test("no port: exit 13 says what holds it and what to do next, per reason and system", async () => {
  const refusing = (os: string, ports: number[]) => ({
    bind: (port: number): Deno.TcpListener => {
      if (ports.includes(port)) {
        throw new Deno.errors.PermissionDenied("forbidden by its access permissions (10013)");
      }
      throw new Deno.errors.AddrInUse("in use");
    },
    retryMs: 0,
    os,
  });
  const attempt = async (claim: ReturnType<typeof refusing>, port?: number) => {
    await using h = await tempHome();
    const endpoints = resolveIssuer({ issuer: "http://127.0.0.1:9" });
    const err = await startLogin(
      { home: h.home, endpoints, port, report: () => {} },
      { claim },
    ).then(() => undefined, (e) => e);
    assert.ok(err instanceof LoginError, String(err));
    assert.equal(err.exitCode, 13);
    return err.message;
  };
  const windows = await attempt(refusing("windows", [1455, 1457]));
  assert.match(windows, /Windows refuses to listen on port 1455 and 1457/);
  assert.match(windows, /netsh interface ipv4 show excludedportrange protocol=tcp/);
  assert.match(windows, /login --device-auth/);
  const busy = await attempt(refusing("linux", []), 41234);
  assert.match(busy, /Port 41234 on 127\.0\.0\.1 is already in use by another program/);
  assert.match(busy, /lsof -nP -iTCP:41234 -sTCP:LISTEN/);
  assert.match(busy, /login --device-auth/);
  // Both default ports taken: both named, not only the last one tried.
  const both = await attempt(refusing("linux", []));
  assert.match(both, /Ports 1455 and 1457 on 127\.0\.0\.1 are already in use by other programs/);
  assert.match(both, /lsof -nP -iTCP:1455 -iTCP:1457 -sTCP:LISTEN/);
  assert.match(both, /ss -ltnp '\( sport = :1455 or sport = :1457 \)'/);
});
