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

Deno.test("busy port: a second login cancels the first (exit 130) and takes the port over", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const common = { codexHome: h.home, issuer: issuer.url, apiBase: issuer.url, log: () => {} };
  const first = await startLogin({ ...common, port });
  const logs = logCollector();
  const second = await startLogin({ ...common, port, log: logs.log, successGraceMs: 50 });
  const err = await first.result.then(() => undefined, (e) => e);
  assert.ok(err instanceof LoginError);
  assert.equal(err.exitCode, 130);
  assert.match(err.message, /cancelled by a newer login/);
  assert.equal(second.port, port);
  assert.match(logs.text(), /Stopped an earlier codex-login/);
  await browse(second.authUrl);
  await second.result;
});

Deno.test("busy port: cancel needs POST with the secret from the 0600 file", async () => {
  await using t = await session();
  const port = t.s.port;
  const secretFile = cancelSecretPath(t.home, port);
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(secretFile)).mode! & 0o777, 0o600);
  }
  const post = async (headers: Record<string, string>) => {
    const r = await fetch(`http://127.0.0.1:${port}/cancel`, { method: "POST", headers });
    await r.body?.cancel();
    return r.status;
  };
  assert.equal(await post({}), 403);
  assert.equal(await post({ [CANCEL_HEADER]: "guess" }), 403);
  assert.equal((await rawGet(port, "/cancel")).status, 405);
  assert.equal((await rawGet(port, "/cancel", "evil.example", "POST")).status, 421);
  // Still waiting: the real sign-in completes.
  await browse(t.s.authUrl);
  await t.s.result;
  await assert.rejects(Deno.stat(secretFile), Deno.errors.NotFound, "secret removed at the end");
});

/** Why the fixed ports 1455/1457 cannot be used here (they are, alone, in a network namespace). */
const namespaceMissing = await new Deno.Command("unshare", {
  args: ["-n", "sh", "-c", "ip link set lo up"],
  stdout: "null",
  stderr: "null",
}).output().then(
  (o) => (o.success ? undefined : "no private network namespace (needs root)"),
  () => "unshare is missing",
);

Deno.test({
  name:
    "busy port: default 1455 held by another program falls back to 1457 (own network namespace)",
  ignore: namespaceMissing !== undefined,
  async fn() {
    const out = await new Deno.Command("unshare", {
      args: [
        "-n",
        "sh",
        "-c",
        'ip link set lo up && exec "$0" run -A tests/support/port_scenario.ts held',
        Deno.execPath(),
      ],
      cwd: new URL("..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert.equal(out.code, 0, dec.decode(out.stderr));
    const r = JSON.parse(dec.decode(out.stdout).trim().split("\n").at(-1) ?? "{}");
    assert.equal(r.ourPort, 1457);
    assert.deepEqual(r.said, ["Port 1455 is in use by another program; trying port 1457 instead."]);
  },
});

Deno.test("busy port: an explicit --port never falls back (exit 13)", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (holder.addr as Deno.NetAddr).port;
  try {
    await using h = await tempHome();
    const err = await startLogin({ codexHome: h.home, port, log: () => {}, bindRetryMs: 200 })
      .catch((e) => e);
    assert.ok(err instanceof LoginError && err.exitCode === 13);
    assert.match(err.message, /lsof|ss -ltnp/);
  } finally {
    holder.close();
  }
});

Deno.test({
  name: "loopback: 127.0.0.1 only, as Codex 0.169 (nothing listens on [::1])",
  ignore: !HAVE_IPV6,
  async fn() {
    await using t = await session();
    await assert.rejects(
      Deno.connect({ hostname: "::1", port: t.s.port }),
      Deno.errors.ConnectionRefused,
    );
    assert.equal(t.s.redirectUri, `http://127.0.0.1:${t.s.port}/auth/callback`);
  },
});

Deno.test("Windows excluded port ranges: a refused 1455 falls back to 1457; both refused says why", async () => {
  const refuse = new Set([1455]);
  const bound: number[] = [];
  const bind = (port: number) => {
    if (refuse.has(port)) {
      throw new Deno.errors.PermissionDenied(
        "An attempt was made to access a socket in a way forbidden by its access permissions. (os error 10013)",
      );
    }
    bound.push(port);
    return { port, shutdown: () => Promise.resolve() };
  };
  const logs = logCollector();
  const common = { codexHome: "/nonexistent", handler: () => new Response(), log: logs.log, bind };
  const servers = await claimLoopback({ ...common, os: "windows" });
  assert.equal(servers.port, 1457);
  assert.deepEqual(bound, [1457]);
  assert.match(
    logs.text(),
    /Port 1455 cannot be used here \(refused by the system\); trying port 1457/,
  );

  refuse.add(1457);
  const err = await claimLoopback({ ...common, os: "windows" }).catch((e) => e);
  assert.ok(err instanceof LoginError && err.exitCode === 13, String(err));
  assert.match(err.message, /Windows refuses to listen on port 1455 and 1457/);
  assert.match(err.message, /netsh interface ipv4 show excludedportrange protocol=tcp/);
  assert.match(err.message, /login --device-auth/);
});
