import assert from "node:assert/strict";
import { parseHead, REASONS } from "../../lib/loopback/http_head.ts";

Deno.test("a request head: method, origin-form target, version and headers", () => {
  const head = parseHead(
    "GET /auth/callback?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1:1455\r\nX-Two: a\r\nX-Two: b",
  );
  assert.ok(head);
  assert.equal(head.method, "GET");
  assert.equal(head.target, "/auth/callback?code=c&state=s");
  assert.equal(head.version, "HTTP/1.1");
  assert.equal(head.headers.get("host"), "127.0.0.1:1455");
  assert.equal(head.headers.get("x-two"), "a, b");
  assert.equal(parseHead("GET / HTTP/1.0")?.version, "HTTP/1.0");
});

Deno.test("a malformed head is refused whole: no guessing", () => {
  for (
    const bad of [
      "GET",
      "GET / HTTP/2",
      "GET / HTTP/1.1 extra",
      "GET http://evil/ HTTP/1.1",
      "GET /\x1b[2J HTTP/1.1",
      "GET /a b HTTP/1.1",
      "G(T / HTTP/1.1",
      "GET / HTTP/1.1\r\nno colon here",
      "GET / HTTP/1.1\r\n: empty name",
      "GET / HTTP/1.1\r\nBad Name: x",
      "GET / HTTP/1.1\r\nX: a\u0000b",
    ]
  ) {
    assert.equal(parseHead(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("every status the server sends has its reason phrase", () => {
  for (const code of [200, 302, 400, 403, 404, 405, 409, 413, 421, 431, 500, 501, 502, 503]) {
    assert.ok(REASONS[code], String(code));
  }
  assert.equal(REASONS[431], "Request Header Fields Too Large");
});
