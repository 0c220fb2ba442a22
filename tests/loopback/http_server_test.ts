/**
 * The loopback HTTP/1.1 server on its own: every status it sends by itself (400, 413, 431,
 * 501, 500), every limit through the `limits` option, and every connection shape that could
 * hold a slot (idle, half a head, a promised body, pipelined requests, a stalled write)
 * against the connection cap; the admission check.
 */
import assert from "node:assert/strict";
import { raw, status } from "../support/raw_http.ts";
import { browse, rawGet } from "../support/helpers.ts";
import { fixture } from "../support/login_fixture.ts";
import {
  type Admit,
  type Handler,
  type HttpServer,
  serveHttp,
  type ServerLimits,
} from "../../lib/loopback/http_server.ts";

const ok: Handler = () => new Response("hello");

function serve(
  limits: Partial<ServerLimits> = {},
  handler: Handler = ok,
  admit?: Admit,
): HttpServer & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = serveHttp(listener, handler, { limits, admit });
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.shutdown() });
}

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
  const listener = serveHttp(Deno.listen({ hostname: "127.0.0.1", port: 0 }), () => {
    handled++;
    return new Response("yes");
  }, {
    admit,
    preview: (req) => previewed.push(`${req.method} ${new URL(req.url).pathname}`),
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
  const server = serveHttp(Deno.listen({ hostname: "127.0.0.1", port: 0 }), ok, {
    admit: () => gate.promise,
    preview: (req) => previewed.push(new URL(req.url).pathname),
  });
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

Deno.test("http server, signing in: idle and half-sent requests are dropped within seconds; the callback still works", async () => {
  await using f = await fixture();
  const port = f.session.port;
  const idle = await Deno.connect({ hostname: "127.0.0.1", port });
  const half = await Deno.connect({ hostname: "127.0.0.1", port });
  await half.write(
    new TextEncoder().encode(`GET /auth/callback HTTP/1.1\r\nHost: localhost:${port}\r\n`),
  );
  // The server closes both (the header timeout): a read that returns at all is the test.
  for (const conn of [idle, half]) {
    assert.equal(
      await conn.read(new Uint8Array(64)).catch(() => null),
      null,
      "closed by the server",
    );
    conn.close();
  }
  await browse(f.session.authUrl);
  await f.session.result;
});

Deno.test("http server, signing in: past the connection cap the oldest idle connection is closed, a new request is answered", async () => {
  await using f = await fixture();
  const port = f.session.port;
  const held: Deno.Conn[] = [];
  for (let i = 0; i < 140; i++) held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  const first = held[0];
  assert.equal(await first.read(new Uint8Array(8)).catch(() => null), null, "oldest idle closed");
  assert.equal((await rawGet(port, "/nope")).status, 404);
  for (const c of held) c.close();
  await browse(f.session.authUrl);
  await f.session.result;
});
