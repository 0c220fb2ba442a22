import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER,
  defaultPlatformUrl,
  isLoopbackUrl,
  isOpenAiIssuer,
  normalizeIssuer,
  requireSecureUrl,
  resolveIssuer,
  resolveOriginator,
} from "../../lib/issuer/issuer_config.ts";

Deno.test("an http:// issuer off this machine is refused unless --insecure-issuer", () => {
  assert.throws(
    () => resolveIssuer({ issuer: "http://auth.example.com" }),
    (e: unknown) =>
      e instanceof LoginError && e.exitCode === 2 &&
      /clear text.*--insecure-issuer/.test(e.message),
  );
  assert.throws(
    () => resolveIssuer({ apiBase: "http://api.example.com" }),
    /API base http:\/\/api\.example\.com is plain http/,
  );
  assert.equal(
    resolveIssuer({ issuer: "http://auth.example.com", insecure: true }).issuer,
    "http://auth.example.com",
  );
  const other = resolveIssuer({ issuer: "https://sso.example.com" });
  assert.equal(other.apiBase, undefined, "another issuer's tokens never go to OpenAI");
  assert.equal(other.platformUrl, undefined);
  const openai = resolveIssuer();
  assert.equal(openai.apiBase, "https://api.openai.com");
  assert.equal(openai.platformUrl, "https://platform.openai.com");
});

Deno.test("--platform-url follows the issuer's rule: https, loopback, or --insecure-issuer", () => {
  assert.throws(
    () => resolveIssuer({ platformUrl: "http://platform.example.com" }),
    /platform URL http:\/\/platform\.example\.com is plain http/,
  );
  assert.equal(
    resolveIssuer({ platformUrl: "http://platform.example.com", insecure: true }).platformUrl,
    "http://platform.example.com",
  );
  assert.throws(
    () => resolveIssuer({ issuer: "https://user:pw@auth.example.com" }),
    (e: unknown) => e instanceof LoginError && !e.message.includes("pw@"),
  );
});

Deno.test("issuer URLs: normalised once, http(s) only, never with a user or password", () => {
  const endpoints = resolveIssuer({ issuer: "https://auth.example.com/", clientId: "app_x" });
  assert.deepEqual(endpoints, {
    issuer: "https://auth.example.com",
    clientId: "app_x",
    apiBase: undefined,
    platformUrl: undefined,
    insecure: false,
  });
  assert.equal(resolveIssuer().issuer, DEFAULT_ISSUER);
  assert.equal(resolveIssuer().clientId, DEFAULT_CLIENT_ID);
  assert.equal(normalizeIssuer("http://127.0.0.1:9///"), "http://127.0.0.1:9");
  assert.throws(() => normalizeIssuer("file:///etc/passwd"), TypeError);
  assert.throws(() => resolveIssuer({ issuer: "ftp://x" }), /--issuer must be an http\(s\) URL/);
  assert.throws(() => resolveIssuer({ clientId: "has space" }), /--client-id must be/);
  assert.throws(
    () => resolveIssuer({ apiBase: "https://u:p@api.example.com" }),
    /--api-base must not carry a user name or password/,
  );
});

Deno.test("only OpenAI's own https issuers get derived API and platform URLs", () => {
  assert.equal(isOpenAiIssuer("https://auth.openai.com"), true);
  assert.equal(isOpenAiIssuer("https://auth.openai.org"), true);
  assert.equal(isOpenAiIssuer("https://auth.openai.com.evil.example"), false);
  assert.equal(isOpenAiIssuer("http://auth.openai.com"), false);
  assert.equal(defaultPlatformUrl("https://auth.openai.com"), "https://platform.openai.com");
  assert.equal(defaultPlatformUrl("https://auth.openai.org"), "https://platform.api.openai.org");
  assert.equal(defaultPlatformUrl("https://sso.example.com"), undefined);
});

Deno.test("plain http is fine on loopback only; the originator override must be a header value", () => {
  for (
    const url of [
      "http://127.0.0.1:9",
      "http://localhost:1/x",
      "http://[::1]:2/",
      "http://127.3.4.5/",
    ]
  ) {
    assert.equal(isLoopbackUrl(url), true, url);
    requireSecureUrl("issuer", url, false);
  }
  assert.equal(isLoopbackUrl("http://10.0.0.1/"), false);
  assert.throws(() => requireSecureUrl("issuer", "http://10.0.0.1/", false), /clear text/);
  requireSecureUrl("issuer", "http://10.0.0.1/", true);
  assert.equal(resolveOriginator(undefined), "codex_cli_rs");
  assert.equal(resolveOriginator("my_ide"), "my_ide");
  assert.equal(resolveOriginator("bad\r\nheader: x"), "codex_cli_rs");
});
