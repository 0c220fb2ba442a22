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
 * uses it to turn away other users' connections). While that check runs, an optional
 * `preview` sees the connection's first request, so a route can start slow work (the sign-in
 * server starts the code exchange) whose result only an admitted request will receive.
 *
 * @module
 */

import type { Head } from "./http_head.ts";
import {
  closeQuietly,
  Connection,
  type ConnectionOwner,
  DEFAULT_LIMITS,
  type ServerLimits,
  type Tracked,
} from "./http_connection.ts";

import { textResponse } from "./responses.ts";

export { DEFAULT_LIMITS, type ServerLimits };

/**
 * Whether to serve a connection between `local` (the server's end) and `remote` (checked once,
 * at accept). `false` closes it before it counts toward the cap or reaches a route.
 */
export type Admit = (local: Deno.NetAddr, remote: Deno.NetAddr) => boolean | Promise<boolean>;

/**
 * Sees a request whose connection is still being admitted. It must not answer, save or
 * reveal anything: the connection may yet be closed. Errors are ignored.
 */
export type Preview = (req: ServerRequest) => void;

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

function toRequest(head: Head): ServerRequest {
  return { method: head.method, url: `http://localhost${head.target}`, headers: head.headers };
}

/** The server behind {@linkcode serveHttp}. */
class LoopbackHttpServer implements HttpServer, ConnectionOwner {
  readonly addr: Deno.NetAddr;
  readonly limits: ServerLimits;
  readonly #listener: Deno.TcpListener;
  readonly #handler: Handler;
  readonly #admit?: Admit;
  readonly #preview?: Preview;
  readonly #pending = new Set<Tracked>();
  readonly #tracked = new Set<Tracked>();
  readonly #running = new Set<Promise<void>>();
  closing = false;
  #loop: Promise<void>;
  #sweeper?: ReturnType<typeof setInterval>;

  constructor(
    listener: Deno.TcpListener,
    handler: Handler,
    limits: ServerLimits,
    admission: { admit?: Admit; preview?: Preview },
  ) {
    this.#listener = listener;
    this.#handler = handler;
    this.#admit = admission.admit;
    this.#preview = admission.preview;
    this.limits = limits;
    this.addr = listener.addr;
    this.#loop = this.#acceptLoop();
  }

  /**
   * One timer for every connection: drop heads that take too long, and stuck writes. Started
   * with the first connection, not at listen: a process's first timer costs Deno about 13 ms,
   * which must not delay the moment the sign-in URL is shown.
   */
  #startSweeper(): void {
    if (this.#sweeper !== undefined || this.closing) return;
    const tick = Math.min(this.limits.headerTimeoutMs, this.limits.writeTimeoutMs, 1000) / 2;
    this.#sweeper = setInterval(() => this.#sweep(), tick);
    Deno.unrefTimer(Number(this.#sweeper));
  }

  #sweep(): void {
    const now = performance.now();
    for (const t of [...this.#tracked, ...this.#pending]) {
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
    if (!this.#tracked.delete(tracked) && !this.#endAdmission(tracked)) return;
    try {
      tracked.conn.close();
    } catch {
      // already closed
    }
  }

  /** Close the connection idle the longest; false when none is idle. */
  #evictOldestIdle(): boolean {
    let oldest: Tracked | undefined;
    let oldestSince = Infinity;
    for (const t of this.#tracked) {
      if (t.idleSince !== undefined && t.idleSince < oldestSince) {
        oldest = t;
        oldestSince = t.idleSince;
      }
    }
    if (oldest) this.drop(oldest);
    return oldest !== undefined;
  }

  preview(head: Head): void {
    try {
      this.#preview?.(toRequest(head));
    } catch {
      // a preview is only a head start
    }
  }

  async respond(head: Head): Promise<Response> {
    try {
      return await this.#handler(toRequest(head));
    } catch {
      return textResponse(500, "Internal error.");
    }
  }

  /** Wakes the accept loop when an admission ends (see {@linkcode #roomToAdmit}). */
  #admissionEnded?: () => void;

  /**
   * Wait while `maxPendingAdmissions` connections are being admitted: newer ones wait in the
   * kernel's queue (not accepted, not closed) until a check ends, so a burst is slowed, never
   * turned away.
   */
  async #roomToAdmit(): Promise<void> {
    while (this.#pending.size >= this.limits.maxPendingAdmissions && !this.closing) {
      await new Promise<void>((resolve) => this.#admissionEnded = resolve);
    }
  }

  #endAdmission(tracked: Tracked): boolean {
    const was = this.#pending.delete(tracked);
    this.#admissionEnded?.();
    this.#admissionEnded = undefined;
    return was;
  }

  async #acceptLoop(): Promise<void> {
    while (!this.closing) {
      if (this.#admit) await this.#roomToAdmit();
      if (this.closing) return;
      let conn: Deno.TcpConn;
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

  /**
   * Start serving a connection. With an admission check that needs time, the head is read
   * meanwhile (the check stays off the request's critical path) but the connection neither
   * counts toward the cap nor reaches a route until the check says yes; at most
   * `maxPendingAdmissions` wait at once (the accept loop waits for room).
   */
  #admitThenServe(conn: Deno.TcpConn): void {
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = this.#admit ? this.#admit(conn.localAddr, conn.remoteAddr) : true;
    } catch {
      verdict = false;
    }
    if (verdict === false) return closeQuietly(conn);
    if (verdict === true) {
      if (!this.#makeRoom()) return closeQuietly(conn);
      return this.#run({ conn, idleSince: performance.now() }, this.#tracked);
    }
    const admission = verdict.then((ok) => {
      if (!this.#endAdmission(tracked)) return false; // dropped meanwhile
      if (ok && !this.closing && this.#makeRoom()) {
        this.#tracked.add(tracked);
        tracked.admission = undefined;
        return true;
      }
      closeQuietly(conn);
      return false;
    }, () => {
      this.drop(tracked);
      return false;
    });
    const tracked: Tracked = { conn, idleSince: performance.now(), admission };
    this.#run(tracked, this.#pending);
  }

  /** Whether one more connection fits under the cap (closing the oldest idle if needed). */
  #makeRoom(): boolean {
    return this.#tracked.size < this.limits.maxConnections || this.#evictOldestIdle();
  }

  #run(tracked: Tracked, set: Set<Tracked>): void {
    this.#startSweeper();
    set.add(tracked);
    const running = new Connection(this, tracked).run();
    this.#running.add(running);
    running.finally(() => this.#running.delete(running));
  }

  async shutdown(): Promise<void> {
    if (this.closing) return await this.#loop;
    this.closing = true;
    this.#admissionEnded?.();
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    try {
      this.#listener.close();
    } catch {
      // closed already
    }
    await this.#loop;
    for (const t of [...this.#pending]) this.drop(t);
    for (const t of [...this.#tracked]) if (t.idleSince !== undefined) this.drop(t);
    const grace = new Promise((r) => setTimeout(r, 2000));
    await Promise.race([Promise.all(this.#running), grace]);
    for (const t of [...this.#tracked]) this.drop(t);
  }
}

/** How a server admits and limits its connections. */
export interface ServeOptions {
  /** Limits other than the defaults. */
  limits?: Partial<ServerLimits>;
  /** Checked once per accepted connection, see {@linkcode Admit}. */
  admit?: Admit;
  /** Sees requests whose connection is still being admitted, see {@linkcode Preview}. */
  preview?: Preview;
}

/**
 * Serve `handler` on a listener that is already bound (so the caller knows its port, and
 * builds what the handler needs, before the first request can arrive).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveHttp } from "./http_server.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = serveHttp(listener, () => new Response("hi"));
 * const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(await res.text(), "hi");
 * await server.shutdown();
 * ```
 */
export function serveHttp(
  listener: Deno.TcpListener,
  handler: Handler,
  options: ServeOptions = {},
): HttpServer {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  return new LoopbackHttpServer(listener, handler, limits, options);
}
