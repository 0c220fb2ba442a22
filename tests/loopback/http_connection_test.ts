/**
 * One connection of the loopback server, through a real server: the statuses it sends by
 * itself for a bad request (400, 413, 431, 501), heads sized in bytes, HEAD, pipelining.
 */
import assert from "node:assert/strict";
import { closeQuietly, DEFAULT_LIMITS } from "../../lib/loopback/http_connection.ts";
import { type Handler, type HttpServer, serveHttp } from "../../lib/loopback/http_server.ts";
import { raw, status } from "../support/raw_http.ts";

const ok: Handler = () => new Response("hello");

function serve(
  limits: Partial<typeof DEFAULT_LIMITS> = {},
  handler: Handler = ok,
): HttpServer & AsyncDisposable {
  const server = serveHttp(Deno.listen({ hostname: "127.0.0.1", port: 0 }), handler, { limits });
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.shutdown() });
}

Deno.test("http connection: 400 for a malformed request line or header", async () => {
  await using s = serve();
  assert.equal(status(await raw(s.addr.port, "NONSENSE\r\n\r\n")), 400);
  assert.equal(status(await raw(s.addr.port, "GET / HTTP/1.1\r\nbad header\r\n\r\n")), 400);
});

Deno.test("http connection: a body is refused at once (413), whether it arrives or not", async () => {
  await using s = serve();
  const promised = await raw(
    s.addr.port,
    "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n",
  );
  assert.equal(status(promised), 413);
  assert.equal(s.connections, 0, "and the connection is closed");
  const sent = await raw(
    s.addr.port,
    "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
  );
  assert.equal(status(sent), 413);
  const empty = await raw(
    s.addr.port,
    "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
  );
  assert.equal(status(empty), 200, "an empty body is no body");
});

Deno.test("http connection: Content-Length is digits only (0x10, 1e1, -1, two values: 400)", async () => {
  await using s = serve();
  for (const value of ["0x10", "1e1", "-1", "+5", "1.0", "5, 5"]) {
    const text = await raw(
      s.addr.port,
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${value}\r\n\r\n`,
    );
    assert.equal(status(text), 400, value);
  }
});

Deno.test("http connection: 431 past maxHeadBytes; 501 for Transfer-Encoding", async () => {
  await using s = serve({ maxHeadBytes: 256 });
  const big = await raw(s.addr.port, `GET / HTTP/1.1\r\nHost: a\r\nX: ${"y".repeat(300)}\r\n\r\n`);
  assert.equal(status(big), 431);
  const chunked = await raw(
    s.addr.port,
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
  );
  assert.equal(status(chunked), 501);
});

Deno.test("http connection: HEAD gets the head only; the next pipelined answer is intact", async () => {
  await using s = serve();
  const text = await raw(
    s.addr.port,
    "HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  );
  const answers = text.split(/(?=HTTP\/1\.1 )/);
  assert.equal(answers.length, 2, text);
  assert.match(answers[0], /content-length: 5\r\n/);
  assert.ok(answers[0].endsWith("\r\n\r\n"), "no body after the HEAD answer");
  assert.ok(answers[1].endsWith("\r\n\r\nhello"), answers[1]);
});

Deno.test("http connection: the response head is sized in bytes (non-ASCII header values)", async () => {
  await using s = serve({}, () => new Response("ok", { headers: { "x-note": "caf\u00e9" } }));
  const text = await raw(s.addr.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert.ok(text.endsWith("\r\n\r\nok"), JSON.stringify(text.slice(-20)));
});

Deno.test("http connection: pipelined requests are answered in order", async () => {
  await using s = serve({}, (req) => new Response(new URL(req.url).pathname));
  const text = await raw(
    s.addr.port,
    "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  );
  assert.deepEqual([...text.matchAll(/\r\n\r\n(\/[abc])/g)].map((m) => m[1]), ["/a", "/b", "/c"]);
});

Deno.test("http connection: the sign-in server's limits: 16 KiB heads, seconds to send one", async () => {
  assert.deepEqual(DEFAULT_LIMITS, {
    headerTimeoutMs: 5_000,
    writeTimeoutMs: 5_000,
    maxConnections: 128,
    maxHeadBytes: 16 * 1024,
    maxPendingAdmissions: 64,
  });
  await using s = serve();
  const under = await raw(
    s.addr.port,
    `GET / HTTP/1.1\r\nHost: a\r\nX: ${"y".repeat(15 * 1024)}\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(status(under), 200);
  const over = await raw(
    s.addr.port,
    `GET / HTTP/1.1\r\nHost: a\r\nX: ${"y".repeat(17 * 1024)}\r\n\r\n`,
  );
  assert.equal(status(over), 431);
});

Deno.test("http connection: closeQuietly closes once and never throws", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const accepted = await listener.accept();
  closeQuietly(conn);
  closeQuietly(conn);
  assert.equal(await accepted.read(new Uint8Array(1)), null, "the peer saw it close");
  accepted.close();
  listener.close();
});
