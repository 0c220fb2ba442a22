/**
 * Property tests (fast-check): hostile input never breaks the loopback server, the JWT
 * decoder, the auth store or the paste parser.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { accountClaims, decodeJwtClaims, isExpired } from "../lib/issuer/jwt.ts";
import { resolveIssuer } from "../lib/issuer/issuer_config.ts";
import { startLogin } from "../lib/signin/login_server.ts";
import { parsePastedRedirect } from "../lib/signin/paste.ts";
import { redact, stripUserinfo } from "../lib/base/redact.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, tempHome } from "./support/helpers.ts";

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO"];
const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const pathSegment = fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}$/);

Deno.test("property: any request gets a well-formed answer and writes nothing", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const session = await startLogin(
    { home: h.home, endpoints: resolveIssuer({ issuer: issuer.url }), port: 0 },
    { successGraceMs: 50 },
  );
  const port = session.port;
  const state = new URL(session.authUrl).searchParams.get("state")!;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...METHODS),
      fc.array(pathSegment, { maxLength: 4 }),
      fc.array(
        fc.tuple(fc.constantFrom("state", "code", "error", "x", "error_description"), fc.string()),
        {
          maxLength: 4,
        },
      ),
      fc.array(fc.tuple(token, headerValue), { maxLength: 4 }),
      fc.constantFrom(
        `localhost:${port}`,
        `127.0.0.1:${port}`,
        "evil.example",
        `localhost:${port + 1}`,
        "",
      ),
      fc.option(fc.string({ maxLength: 200 })),
      fc.constantFrom("/auth/callback", "/success", "/cancel", ""),
      async (method, segments, query, headers, host, body, base) => {
        const q = new URLSearchParams(query.filter(([k, v]) => !(k === "state" && v === state)));
        const path = `${base}/${segments.join("/")}`.replace(/\/+$/, "") || "/";
        const init: RequestInit = { method, headers: new Headers() };
        for (const [k, v] of headers) {
          if (
            !["host", "content-length", "transfer-encoding", "connection"].includes(k.toLowerCase())
          ) {
            (init.headers as Headers).set(k, v);
          }
        }
        if (host) (init.headers as Headers).set("host", host);
        if (body !== null && method !== "GET" && method !== "HEAD") init.body = body;
        const response = await fetch(`http://127.0.0.1:${port}${path}?${q}`, init);
        await response.body?.cancel();
        assert.ok(response.status >= 200 && response.status <= 599, `status ${response.status}`);
        if (response.status >= 400 && method !== "HEAD") {
          assert.ok(response.headers.get("content-type")?.includes("charset=utf-8"));
        }
      },
    ),
    { numRuns: 300 },
  );
  await assert.rejects(Deno.stat(h.home.authFile), Deno.errors.NotFound);
  assert.equal(issuer.tokenRequests("authorization_code").length, 0);
  // Still waiting, and the real sign-in works.
  await browse(session.authUrl);
  await session.result;
  assert.ok(await readAuthFile(h.home));
});

Deno.test("property: the right state with a code the issuer does not accept writes nothing", async () => {
  await using issuer = startFakeIssuer();
  await fc.assert(
    fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), async (code) => {
      await using h = await tempHome();
      const session = await startLogin({
        home: h.home,
        endpoints: resolveIssuer({ issuer: issuer.url }),
        port: 0,
      });
      const state = new URL(session.authUrl).searchParams.get("state")!;
      const r = await fetch(
        `${session.redirectUri.replace("localhost", "127.0.0.1")}?${new URLSearchParams({
          code,
          state,
        })}`,
        {
          headers: { host: `localhost:${session.port}` },
        },
      );
      await r.body?.cancel();
      await session.result.catch(() => {});
      await assert.rejects(Deno.stat(h.home.authFile), Deno.errors.NotFound);
    }),
    { numRuns: 25 },
  );
});

Deno.test("property: JWT claim decoding is total", () => {
  const b64 = fc.stringMatching(/^[A-Za-z0-9_=-]{0,40}$/);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.tuple(b64, b64, b64).map((p) => p.join(".")),
        fc.jsonValue().map((v) =>
          `x.${new TextEncoder().encode(JSON.stringify(v)).toBase64({ alphabet: "base64url" })}.y`
        ),
      ),
      (text) => {
        const claims = decodeJwtClaims(text);
        assert.ok(claims === undefined || (typeof claims === "object" && !Array.isArray(claims)));
        accountClaims(text);
        accountClaims(claims);
        isExpired(text, new Date());
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("property: auth.json round-trips any token strings", async () => {
  await using h = await tempHome();
  await fc.assert(
    fc.asyncProperty(
      fc.string({ unit: "binary" }),
      fc.string({ unit: "binary" }),
      fc.string({ unit: "binary" }),
      fc.string(),
      fc.option(fc.string({ unit: "binary" })),
      async (id, access, refresh, account, key) => {
        const auth: ChatGptAuth = {
          auth_mode: "chatgpt",
          OPENAI_API_KEY: key,
          tokens: {
            id_token: id,
            access_token: access,
            refresh_token: refresh,
            account_id: account,
          },
          last_refresh: "2026-11-23T00:00:00.000Z",
        };
        await saveAuthFile(h.home, auth);
        assert.deepEqual(await readAuthFile(h.home), auth);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("property: the pasted-URL parser never throws", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.tuple(fc.string(), fc.string()).map(([c, s]) =>
          `http://localhost:1455/auth/callback?${new URLSearchParams({ code: c, state: s })}`
        ),
      ),
      (text) => {
        const params = parsePastedRedirect(text);
        assert.ok(params === undefined || params instanceof URLSearchParams);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("property: no URL's credentials survive the scrubber, whatever surrounds them", () => {
  const scheme = fc.constantFrom("http", "https", "socks5", "HTTP");
  const user = fc.stringMatching(/^[A-Z0-9._~!$&'()*+,;=%-]{0,12}$/);
  // Passwords of characters the host, path and text around them never use.
  const password = fc.stringMatching(/^[A-Z0-9!$&'()*+,;=%:@_~-]{4,24}$/);
  const host = fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/);
  const tail = fc.stringMatching(/^(:[1-9][0-9]{0,4})?(\/[a-z0-9./?=&#]{0,20})?$/);
  const around = fc.stringMatching(/^[a-z .,;()"'<>\n\t]{0,20}$/);
  fc.assert(
    fc.property(scheme, user, password, host, tail, around, around, (s, u, p, h, t, a, b) => {
      const url = `${s}://${u}${u || p ? `:${p}` : ""}@${h}${t}`;
      for (const out of [stripUserinfo(`${a}${url}${b}`), redact(`${a}${url}${b}`)]) {
        assert.ok(!out.includes(p), `${JSON.stringify(url)} -> ${JSON.stringify(out)}`);
        assert.ok(out.includes(`://***@${h}`), out);
      }
    }),
    { numRuns: 500 },
  );
});
