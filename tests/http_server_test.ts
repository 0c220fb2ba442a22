/**
 * The loopback HTTP/1.1 server on its own: every status it sends by itself (400, 413, 431,
 * 501, 500), every limit through the `limits` option, and every connection shape that could
 * hold a slot (idle, half a head, a promised body, pipelined requests, a stalled write)
 * against the connection cap; the admission check.
 */
import assert from "node:assert/strict";
import {
  type Admit,
  type Handler,
  type HttpServer,
  serveHttp,
} from "../lib/loopback/http_server.ts";

const ok: Handler = () => new Response("hello");

function serve(
  limits: Parameters<typeof serveHttp>[0]["limits"] = {},
  handler: Handler = ok,
  admit?: Admit,
): HttpServer & AsyncDisposable {
  const server = serveHttp({ hostname: "127.0.0.1", port: 0, limits, admit }, handler);
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.shutdown() });
}

/** Send raw bytes on a new connection and read until the server closes it (or `ms`). */
async function raw(port: number, request: string, ms = 3000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(request));
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
  } catch {
    // closed by the timer
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed
    }
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);

Deno.test("http server: 400 for a malformed request line or header", async () => {
  await using s = serve();
  assert.equal(status(await raw(s.addr.port, "NONSENSE\r\n\r\n")), 400);
  assert.equal(status(await raw(s.addr.port, "GET / HTTP/1.1\r\nbad header\r\n\r\n")), 400);
});

Deno.test("http server: a body is refused at once (413), whether it arrives or not", async () => {
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

Deno.test("http server: Content-Length is digits only (0x10, 1e1, -1, two values: 400)", async () => {
  await using s = serve();
  for (const value of ["0x10", "1e1", "-1", "+5", "1.0", "5, 5"]) {
    const text = await raw(
      s.addr.port,
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${value}\r\n\r\n`,
    );
    assert.equal(status(text), 400, value);
  }
});

Deno.test("http server: 431 past maxHeadBytes; 501 for Transfer-Encoding", async () => {
  await using s = serve({ maxHeadBytes: 256 });
  const big = await raw(s.addr.port, `GET / HTTP/1.1\r\nHost: a\r\nX: ${"y".repeat(300)}\r\n\r\n`);
  assert.equal(status(big), 431);
  const chunked = await raw(
    s.addr.port,
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
  );
  assert.equal(status(chunked), 501);
});

Deno.test("http server: 500 when the handler throws; the server goes on", async () => {
  await using s = serve({}, () => {
    throw new Error("boom");
  });
  const text = await raw(s.addr.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert.equal(status(text), 500);
  assert.doesNotMatch(text, /boom/, "no internals in the answer");
  assert.equal(
    status(await raw(s.addr.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")),
    500,
  );
});

Deno.test("http server: HEAD gets the head only; the next pipelined answer is intact", async () => {
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

Deno.test("http server: the response head is sized in bytes (non-ASCII header values)", async () => {
  await using s = serve({}, () => new Response("ok", { headers: { "x-note": "caf\u00e9" } }));
  const text = await raw(s.addr.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert.ok(text.endsWith("\r\n\r\nok"), JSON.stringify(text.slice(-20)));
});

Deno.test("http server: pipelined requests are answered in order", async () => {
  await using s = serve({}, (req) => new Response(new URL(req.url).pathname));
  const text = await raw(
    s.addr.port,
    "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  );
  assert.deepEqual([...text.matchAll(/\r\n\r\n(\/[abc])/g)].map((m) => m[1]), ["/a", "/b", "/c"]);
});

/** Open `count` connections that each hold a slot in some way. */
async function holders(port: number, count: number, first: string): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < count; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    if (first) await conn.write(new TextEncoder().encode(first));
    conns.push(conn);
  }
  return conns;
}

for (
  const [shape, first] of [
    ["idle", ""],
    ["half a head", "GET / HTTP/1.1\r\nHost: a\r\n"],
    ["a promised body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"],
    ["kept alive after an answer", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"],
  ] as const
) {
  Deno.test(`http server: ${shape} at the cap cannot lock out a real request`, async () => {
    await using s = serve({ maxConnections: 8, headerTimeoutMs: 60_000 });
    const held = await holders(s.addr.port, 8, first);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const text = await raw(s.addr.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      assert.equal(status(text), 200, `a new request is served with 8 ${shape} connections open`);
    } finally {
      for (const c of held) c.close();
    }
  });
}

Deno.test("http server: heads that never finish are dropped at headerTimeoutMs", async () => {
  await using s = serve({ headerTimeoutMs: 200 });
  const [conn] = await holders(s.addr.port, 1, "GET / HTTP/1.1\r\n");
  try {
    const n = await conn.read(new Uint8Array(16)).catch(() => null);
    assert.equal(n, null, "closed by the server");
  } finally {
    conn.close();
  }
});

Deno.test("http server: a reader that never reads is dropped at writeTimeoutMs", async () => {
  const big = "x".repeat(8 * 1024 * 1024);
  await using s = serve({ writeTimeoutMs: 300, headerTimeoutMs: 60_000 }, () => new Response(big));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port });
  try {
    await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    const deadline = Date.now() + 10_000;
    while (s.connections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.connections, 0, "the stalled write was given up");
  } finally {
    conn.close();
  }
});

Deno.test("http server: admit runs first; a refused peer never reaches the handler or the cap", async () => {
  let handled = 0;
  const refuseAll: Admit = () => Promise.resolve(false);
  await using s = serve({ maxConnections: 2 }, () => {
    handled++;
    return new Response("no");
  }, refuseAll);
  for (let i = 0; i < 5; i++) {
    const text = await raw(s.addr.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1000);
    assert.equal(text, "", "closed without an answer");
  }
  assert.equal(handled, 0);
  assert.equal(s.connections, 0);
});

Deno.test("http server: pending admissions are capped (maxPendingAdmissions)", async () => {
  const { promise: never } = Promise.withResolvers<boolean>();
  await using s = serve({ maxPendingAdmissions: 2 }, ok, () => never);
  const conns = await holders(s.addr.port, 4, "");
  const closedSoon = (c: Deno.Conn) =>
    Promise.race([
      c.read(new Uint8Array(1)).then((n) => n === null, () => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 500)),
    ]);
  try {
    const closed = await Promise.all(conns.map(closedSoon));
    assert.deepEqual(closed, [false, false, true, true], "two wait, the rest are closed");
  } finally {
    for (const c of conns) c.close();
  }
});

Deno.test("http server: preview sees a request during admission; only an admitted one is answered", async () => {
  const previewed: string[] = [];
  let handled = 0;
  const gate = Promise.withResolvers<boolean>();
  const admit: Admit = () => gate.promise;
  const listener = serveHttp({
    hostname: "127.0.0.1",
    port: 0,
    admit,
    preview: (req) => previewed.push(`${req.method} ${new URL(req.url).pathname}`),
  }, () => {
    handled++;
    return new Response("yes");
  });
  try {
    const refused = raw(listener.addr.port, "GET /first HTTP/1.1\r\nHost: a\r\n\r\n", 2000);
    for (let i = 0; i < 2000 && previewed.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(previewed, ["GET /first"], "seen before the check answered");
    assert.equal(handled, 0, "not routed before the check answered");
    gate.resolve(false);
    assert.equal(await refused, "", "a refused peer gets nothing");
    assert.equal(handled, 0);
    // A request announcing a body is never previewed (it will be refused anyway).
    await raw(
      listener.addr.port,
      "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
      500,
    );
    assert.deepEqual(previewed, ["GET /first"]);
  } finally {
    await listener.shutdown();
  }
});

Deno.test("http server: a previewed request is routed once its connection is admitted", async () => {
  const previewed: string[] = [];
  const gate = Promise.withResolvers<boolean>();
  const server = serveHttp({
    hostname: "127.0.0.1",
    port: 0,
    admit: () => gate.promise,
    preview: (req) => previewed.push(new URL(req.url).pathname),
  }, ok);
  try {
    const answer = raw(server.addr.port, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    for (let i = 0; i < 2000 && previewed.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    gate.resolve(true);
    const text = await answer;
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.ok(text.endsWith("hello"));
    assert.deepEqual(previewed, ["/x"], "previewed once");
  } finally {
    await server.shutdown();
  }
});
