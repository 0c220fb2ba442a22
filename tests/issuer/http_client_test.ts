/**
 * The run's outbound client: a timeout and a size cap on every request, never a redirect
 * followed with credentials, a refused connection said in one sentence, codex-login's
 * User-Agent and Codex's originator on every request.
 */
import assert from "node:assert/strict";
import { HttpClient, HttpError, userAgent } from "../../lib/issuer/http_client.ts";
import { IssuerError } from "../../lib/issuer/issuer.ts";
import { VERSION } from "../../lib/base/version.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { issuerClient } from "../support/helpers.ts";

Deno.test("a slow issuer times out with a clear message", async () => {
  await using issuer = startFakeIssuer({ tokenDelayMs: 800 });
  const client = issuerClient(issuer.url, { timeoutMs: 200 });
  const err = await client.refresh("rt_x").catch((e) => e);
  assert.ok(err instanceof IssuerError);
  assert.equal(err.failure, "timeout");
  assert.match(err.message, /did not answer within 0.2 s/);
});

Deno.test("a response over the size cap is refused", async () => {
  const big = "x".repeat(2 * 1024 * 1024);
  const client = issuerClient("http://127.0.0.1:9", {
    fetch: () => Promise.resolve(new Response(big, { status: 200 })),
  });
  const err = await client.refresh("rt").catch((e) => e);
  assert.ok(err instanceof IssuerError);
  assert.equal(err.failure, "too_large");
});

Deno.test("a refused connection is a network error naming the host", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const client = issuerClient(`http://127.0.0.1:${port}`);
  const err = await client.refresh("rt_secret_value").catch((e) => e);
  assert.ok(err instanceof IssuerError);
  assert.equal(err.failure, "network");
  assert.match(
    err.message,
    new RegExp(`127\\.0\\.0\\.1:${port} refused the connection \\(nothing listens there`),
  );
  assert.ok(!err.message.includes("rt_secret_value"));
});
Deno.test("a redirect from the token endpoint is never followed with the code and verifier", async () => {
  const elsewhere: string[] = [];
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    elsewhere.push(await req.text());
    return Response.json({ id_token: "x", access_token: "y", refresh_token: "z" });
  });
  const redirector = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(null, {
        status: 307,
        headers: { location: `http://127.0.0.1:${other.addr.port}/steal` },
      }),
  );
  try {
    const client = issuerClient(`http://127.0.0.1:${redirector.addr.port}`);
    for (
      const call of [
        () =>
          client.exchangeCode({
            code: "secret-code",
            redirectUri: "http://x/",
            codeVerifier: "v".repeat(43),
          }),
        () => client.refresh("secret-refresh-token"),
        () => client.revoke("secret-refresh-token"),
        () => client.exchangeApiKey("a.b.c", "name"),
      ]
    ) {
      const err = await call().catch((e) => e);
      assert.ok(err instanceof IssuerError, String(err));
      assert.equal(err.failure, "redirect");
      assert.match(err.message, /redirect \(HTTP 307 .*never follows with credentials/);
    }
    assert.deepEqual(elsewhere, [], "nothing reached the redirect target");
  } finally {
    await other.shutdown();
    await redirector.shutdown();
  }
});

Deno.test("every request carries the User-Agent and the originator; a bearer token is a GET", async () => {
  const seen: { method: string; headers: Headers; body: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push({ method: req.method, headers: req.headers, body: await req.text() });
    return Response.json({ ok: true });
  });
  try {
    const http = new HttpClient({ originator: "my_ide" });
    const url = `http://127.0.0.1:${server.addr.port}/x`;
    const form = await http.send(url, { form: { a: "1" } });
    assert.equal(form.status, 200);
    assert.deepEqual(form.json, { ok: true });
    await http.send(url, { json: { b: 2 } });
    await http.send(url, { bearer: "at-token" });
    assert.deepEqual(seen.map((s) => s.method), ["POST", "POST", "GET"]);
    assert.equal(seen[0].body, "a=1");
    assert.equal(seen[0].headers.get("content-type"), "application/x-www-form-urlencoded");
    assert.equal(seen[1].body, '{"b":2}');
    assert.equal(seen[2].headers.get("authorization"), "Bearer at-token");
    for (const s of seen) {
      assert.equal(s.headers.get("user-agent"), userAgent());
      assert.equal(s.headers.get("originator"), "my_ide");
    }
    assert.equal(userAgent(), `codex-login/${VERSION} (${Deno.build.os}; ${Deno.build.arch})`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("an answer that is not JSON comes back as a short, redacted excerpt", async () => {
  const secret = "rt_secret_0123456789";
  const http = new HttpClient({
    fetch: () =>
      Promise.resolve(new Response(`oops ${secret} ${"z".repeat(500)}`, { status: 502 })),
  });
  const answer = await http.send("http://127.0.0.1:9/x", { json: {} }, { secrets: [secret] });
  assert.equal(answer.status, 502);
  assert.equal(answer.json, undefined);
  assert.ok(!answer.excerpt.includes(secret));
  assert.match(answer.excerpt, /^oops \[redacted\] z+…$/);
  assert.ok(answer.excerpt.length <= 201);
});

Deno.test("a cancelled request is an HttpError of its own kind, not a timeout", async () => {
  const abort = new AbortController();
  const http = new HttpClient({
    fetch: (_url, init) =>
      new Promise((_resolve, reject) => {
        const signal = init?.signal;
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener("abort", () => reject(signal.reason));
      }),
  });
  const sent = http.send("http://127.0.0.1:9/x", { json: {} }, { signal: abort.signal });
  abort.abort();
  const err = await sent.catch((e) => e);
  assert.ok(err instanceof HttpError, String(err));
  assert.equal(err.failure, "cancelled");
});
