/**
 * The loopback HTTP/1.1 server. It owns its accept loop, which `Deno.serve` does not let us
 * do: an accept error (out of file descriptors) never ends the process, idle and half-sent
 * requests time out within seconds, and connections are capped, closing the oldest idle ones
 * first so that a real callback still gets through. Requests are handed to a plain
 * `(Request) => Response` handler, so the routes know nothing of this layer.
 *
 * The surface is deliberately small: GET and bodiless POST requests, keep-alive and
 * pipelining, heads of at most 16 KiB. Our routes take no request body, so none is ever read:
 * a request that announces one is answered 413 (a `Content-Length` above 0) or 501 (a
 * `Transfer-Encoding`) and the connection closed, and nothing waits on a promised body. Every
 * read (the head) and every write has a deadline. An optional `admit` check runs on each
 * accepted connection before it counts toward the cap or reaches a route (the sign-in server
 * uses it to turn away other users' connections).
 *
 * @module
 */

/** Limits of one server. */
export interface ServerLimits {
  /** Time to receive a request's whole head (and, kept alive, to start the next one). */
  headerTimeoutMs: number;
  /** Time to write a response before the connection is dropped. */
  writeTimeoutMs: number;
  /** Connections held at once; past it the oldest idle one is closed. */
  maxConnections: number;
  /** Largest request head (request line and headers), in bytes. */
  maxHeadBytes: number;
  /** Connections waiting for the `admit` check at once; past it new ones are closed. */
  maxPendingAdmissions: number;
}

/** The limits a sign-in server runs with. */
export const DEFAULT_LIMITS: ServerLimits = {
  headerTimeoutMs: 5_000,
  writeTimeoutMs: 5_000,
  maxConnections: 128,
  maxHeadBytes: 16 * 1024,
  maxPendingAdmissions: 64,
};

/**
 * Whether to serve a connection from `remote` (checked once, at accept). `false` closes it
 * before it counts toward the cap or reaches a route.
 */
export type Admit = (remote: Deno.NetAddr) => boolean | Promise<boolean>;

/** A running server. */
export interface HttpServer {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** Connections open now. */
  readonly connections: number;
  /** Stop accepting, let in-flight requests finish, close every connection. */
  shutdown(): Promise<void>;
}

/**
 * What a handler gets: the parts of a `Request` the routes read. A plain object, not a
 * `Request`: building one per request costs more than the whole rest of the request.
 */
export type ServerRequest = Pick<Request, "method" | "url" | "headers">;

/** Answers one request. */
export type Handler = (req: ServerRequest) => Response | Promise<Response>;

import { type Head, parseHead, REASONS } from "./http_head.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEAD_END = new Uint8Array([13, 10, 13, 10]);

interface Tracked {
  conn: Deno.Conn;
  /** When it started waiting for a request; undefined while a request is being handled. */
  idleSince?: number;
  /** When it started writing a response; undefined when not writing. */
  writingSince?: number;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, end: number, from: number): number {
  outer: for (let i = from; i + needle.length <= end; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

function plain(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** One connection: read requests, answer them, until it closes, idles out or errs. */
class Connection {
  readonly #server: LoopbackHttpServer;
  readonly #tracked: Tracked;
  #buffer = new Uint8Array(4096);
  #length = 0;

  constructor(server: LoopbackHttpServer, tracked: Tracked) {
    this.#server = server;
    this.#tracked = tracked;
  }

  get conn(): Deno.Conn {
    return this.#tracked.conn;
  }

  /** Read until the head is complete; `null` when the peer closed, timed out or overflowed. */
  async #readHead(): Promise<{ head: string; rest: number } | "too_large" | null> {
    const limits = this.#server.limits;
    let searched = 0;
    try {
      while (true) {
        const end = indexOf(this.#buffer, HEAD_END, this.#length, searched);
        searched = Math.max(0, this.#length - 3);
        if (end >= 0) {
          return { head: decoder.decode(this.#buffer.subarray(0, end)), rest: end + 4 };
        }
        if (this.#length >= limits.maxHeadBytes) return "too_large";
        if (this.#length === this.#buffer.length) {
          const bigger = new Uint8Array(Math.min(this.#buffer.length * 2, limits.maxHeadBytes + 4));
          bigger.set(this.#buffer);
          this.#buffer = bigger;
        }
        const n = await this.conn.read(this.#buffer.subarray(this.#length));
        if (n === null) return null;
        this.#length += n;
      }
    } catch {
      return null;
    }
  }

  /** Drop `count` bytes from the front of the buffer. */
  #consume(count: number): void {
    this.#buffer.copyWithin(0, count, this.#length);
    this.#length -= count;
  }

  /** Write a response: its head sized in bytes; no body for a HEAD request (RFC 9110 9.3.2). */
  async #write(response: Response, keepAlive: boolean, method = "GET"): Promise<void> {
    const body = new Uint8Array(await response.arrayBuffer());
    let text = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? "Status"}\r\n`;
    for (const [name, value] of response.headers) {
      if (name === "content-length" || name === "connection") continue;
      text += `${name}: ${value}\r\n`;
    }
    text += `content-length: ${body.length}\r\nconnection: ${
      keepAlive ? "keep-alive" : "close"
    }\r\n\r\n`;
    const head = encoder.encode(text);
    const sent = method === "HEAD" ? new Uint8Array(0) : body;
    const bytes = new Uint8Array(head.length + sent.length);
    bytes.set(head);
    bytes.set(sent, head.length);
    this.#tracked.writingSince = performance.now();
    try {
      let written = 0;
      while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
    } finally {
      this.#tracked.writingSince = undefined;
    }
  }

  /** Answer one request; false when the connection must close. */
  async #answerOne(): Promise<boolean> {
    this.#tracked.idleSince = performance.now();
    const got = await this.#readHead();
    this.#tracked.idleSince = undefined;
    if (got === null) return false;
    if (got === "too_large") {
      await this.#write(plain(431, "Request header fields too large."), false);
      return false;
    }
    this.#consume(got.rest);
    const head = parseHead(got.head);
    if (!head) {
      await this.#write(plain(400, "Bad request."), false);
      return false;
    }
    if (head.headers.has("transfer-encoding")) {
      await this.#write(plain(501, "Request bodies are not supported."), false, head.method);
      return false;
    }
    const length = head.headers.get("content-length");
    if (length !== null && !/^\d{1,15}$/.test(length)) {
      await this.#write(plain(400, "Bad content-length."), false, head.method);
      return false;
    }
    if (length !== null && Number(length) > 0) {
      // No route takes a body: refuse at once rather than wait for bytes that may never come.
      await this.#write(plain(413, "Request bodies are not accepted."), false, head.method);
      return false;
    }
    const connection = head.headers.get("connection")?.toLowerCase() ?? "";
    const keepAlive = !this.#server.closing &&
      (head.version === "HTTP/1.1"
        ? !connection.includes("close")
        : connection.includes("keep-alive"));
    const response = await this.#server.respond(head);
    await this.#write(response, keepAlive, head.method);
    return keepAlive;
  }

  async run(): Promise<void> {
    try {
      while (await this.#answerOne());
    } catch {
      // the peer went away, or the server dropped the connection
    } finally {
      this.#server.drop(this.#tracked);
    }
  }
}

/** The server behind {@linkcode serveHttp}. */
class LoopbackHttpServer implements HttpServer {
  readonly addr: Deno.NetAddr;
  readonly limits: ServerLimits;
  readonly #listener: Deno.Listener;
  readonly #handler: Handler;
  readonly #admit?: Admit;
  #pendingAdmissions = 0;
  readonly #tracked = new Set<Tracked>();
  readonly #running = new Set<Promise<void>>();
  closing = false;
  #loop: Promise<void>;
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(listener: Deno.Listener, handler: Handler, limits: ServerLimits, admit?: Admit) {
    this.#listener = listener;
    this.#handler = handler;
    this.#admit = admit;
    this.limits = limits;
    this.addr = listener.addr as Deno.NetAddr;
    this.#loop = this.#acceptLoop();
    // One timer for every connection: drop heads that take too long, and stuck writes.
    const tick = Math.min(limits.headerTimeoutMs, limits.writeTimeoutMs, 1000) / 2;
    this.#sweeper = setInterval(() => this.#sweep(), tick);
    Deno.unrefTimer(Number(this.#sweeper));
  }

  #sweep(): void {
    const now = performance.now();
    for (const t of [...this.#tracked]) {
      const idle = t.idleSince !== undefined && now - t.idleSince > this.limits.headerTimeoutMs;
      const stuck = t.writingSince !== undefined &&
        now - t.writingSince > this.limits.writeTimeoutMs;
      if (idle || stuck) this.drop(t);
    }
  }

  get connections(): number {
    return this.#tracked.size;
  }

  /** Close a connection (idempotent). */
  drop(tracked: Tracked): void {
    if (!this.#tracked.delete(tracked)) return;
    try {
      tracked.conn.close();
    } catch {
      // already closed
    }
  }

  /** Close the connection idle the longest; false when none is idle. */
  #evictOldestIdle(): boolean {
    let oldest: Tracked | undefined;
    for (const t of this.#tracked) {
      if (t.idleSince !== undefined && (!oldest || t.idleSince < (oldest.idleSince as number))) {
        oldest = t;
      }
    }
    if (oldest) this.drop(oldest);
    return oldest !== undefined;
  }

  async respond(head: Head): Promise<Response> {
    const request = {
      method: head.method,
      url: `http://localhost${head.target}`,
      headers: head.headers,
    };
    try {
      return await this.#handler(request);
    } catch {
      return plain(500, "Internal error.");
    }
  }

  async #acceptLoop(): Promise<void> {
    while (!this.closing) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        if (this.closing || err instanceof Deno.errors.BadResource) return;
        // Out of descriptors (or a passing error): free the oldest idle connection, pause.
        this.#evictOldestIdle();
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      this.#admitThenServe(conn);
    }
  }

  /** Run the admission check (when there is one), then serve the connection or close it. */
  #admitThenServe(conn: Deno.Conn): void {
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = this.#admit ? this.#admit(conn.remoteAddr as Deno.NetAddr) : true;
    } catch {
      verdict = false;
    }
    if (verdict === true) return this.#serve(conn);
    if (verdict === false) return closeQuietly(conn);
    if (this.#pendingAdmissions >= this.limits.maxPendingAdmissions) return closeQuietly(conn);
    this.#pendingAdmissions += 1;
    verdict.then((ok) => ok && !this.closing ? this.#serve(conn) : closeQuietly(conn), () => {
      closeQuietly(conn);
    }).finally(() => this.#pendingAdmissions -= 1);
  }

  #serve(conn: Deno.Conn): void {
    if (this.#tracked.size >= this.limits.maxConnections && !this.#evictOldestIdle()) {
      return closeQuietly(conn);
    }
    const tracked: Tracked = { conn, idleSince: performance.now() };
    this.#tracked.add(tracked);
    const running = new Connection(this, tracked).run();
    this.#running.add(running);
    running.finally(() => this.#running.delete(running));
  }

  async shutdown(): Promise<void> {
    if (this.closing) return await this.#loop;
    this.closing = true;
    clearInterval(this.#sweeper);
    try {
      this.#listener.close();
    } catch {
      // closed already
    }
    await this.#loop;
    for (const t of [...this.#tracked]) if (t.idleSince !== undefined) this.drop(t);
    const grace = new Promise((r) => setTimeout(r, 2000));
    await Promise.race([Promise.all(this.#running), grace]);
    for (const t of [...this.#tracked]) this.drop(t);
  }
}

/**
 * Listen on `hostname:port` and serve `handler`. Throws as `Deno.listen` does
 * (`Deno.errors.AddrInUse`, `Deno.errors.NotCapable`, ...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveHttp } from "./http_server.ts";
 * const server = serveHttp({ hostname: "127.0.0.1", port: 0 }, () => new Response("hi"));
 * const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(await res.text(), "hi");
 * await server.shutdown();
 * ```
 */
export function serveHttp(
  options: { hostname: string; port: number; limits?: Partial<ServerLimits>; admit?: Admit },
  handler: Handler,
): HttpServer {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  return new LoopbackHttpServer(listener, handler, limits, options.admit);
}
