import assert from "node:assert/strict";
import { HttpError, networkSentence, transportError } from "../../lib/issuer/http_errors.ts";

const none = { cancelled: false, timedOut: false };

Deno.test("network failures in one sentence: what failed and the likely cause, never the stack's text", () => {
  const cases: [string, string][] = [
    [
      "client error (Connect): dns error: failed to lookup address information: Name or service not known",
      "could not find auth.example.com (its name did not resolve: no network, or a DNS problem)",
    ],
    [
      "Connection refused (os error 111)",
      "auth.example.com:8443 refused the connection (nothing listens there, or a firewall rejects it)",
    ],
    [
      "connection reset by peer (os error 104)",
      "the connection to auth.example.com:8443 was cut (a flaky network, a firewall or a proxy in the way)",
    ],
    [
      "Network is unreachable (os error 101)",
      "auth.example.com:8443 cannot be reached from this machine (no route: check your network or VPN)",
    ],
    [
      "something new",
      "could not connect to auth.example.com:8443 (a network problem between this machine and it)",
    ],
  ];
  for (const [detail, sentence] of cases) {
    assert.equal(networkSentence("auth.example.com:8443", detail), sentence);
  }
});

Deno.test("transport errors are classified: cancelled, timeout, permission, TLS, proxy, network", () => {
  const err = new TypeError("error sending request", { cause: new Error("dns error") });
  const kind = (e: unknown, flags = none, proxy?: string) =>
    transportError(e, "auth.example.com", 2500, { ...flags, proxy }, []);
  assert.equal(kind(err, { cancelled: true, timedOut: true }).failure, "cancelled");
  const timeout = kind(err, { cancelled: false, timedOut: true });
  assert.equal(timeout.failure, "timeout");
  assert.equal(timeout.message, "auth.example.com did not answer within 2.5 s");
  const denied = kind(new Deno.errors.NotCapable("Requires net access"));
  assert.equal(denied.failure, "permission");
  assert.match(denied.message, /run it again with --allow-net=auth\.example\.com/);
  const tls = kind(new TypeError("invalid peer certificate: UnknownIssuer"));
  assert.equal(tls.failure, "tls");
  assert.match(tls.message, /CODEX_CA_CERTIFICATE \(or SSL_CERT_FILE\)/);
  const proxy = kind(new TypeError("tunnel failed"), none, "http://user:pw@proxy:3128");
  assert.equal(proxy.failure, "proxy");
  assert.match(proxy.message, /through the proxy http:\/\/\*\*\*@proxy:3128/);
  assert.ok(!proxy.message.includes("pw"));
  assert.equal(kind(err).failure, "network");
  const kept = new HttpError("too_large", "too big");
  assert.equal(kind(kept), kept, "an HttpError stays as it is");
});

Deno.test("a secret in the underlying error never reaches the message", () => {
  const err = transportError(
    new TypeError("tunnel failed for code=abc123secret"),
    "auth.example.com",
    1000,
    { ...none, proxy: "http://proxy:3128" },
    ["abc123secret"],
  );
  assert.ok(!err.message.includes("abc123secret"), err.message);
});
