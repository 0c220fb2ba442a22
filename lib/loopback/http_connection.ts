/**
 * One connection of the loopback HTTP/1.1 server (`http_server.ts`): read a head within its
 * deadline, refuse any body, wait for the admission check, route, write within its deadline;
 * repeat while kept alive.
 *
 * @module
 */

import { type Head, parseHead, REASONS } from "./http_head.ts";
import { textResponse } from "./responses.ts";

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
  /** Connections being admitted at once; past it new ones wait in the kernel's queue. */
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

/** What a connection needs from its server. */
export interface ConnectionOwner {
  /** The server's limits. */
  readonly limits: ServerLimits;
  /** The server is shutting down: no keep-alive. */
  readonly closing: boolean;
  /** Route one request. */
  respond(head: Head): Promise<Response>;
  /** Show a request to the routes while its connection's admission check still runs. */
  preview(head: Head): void;
  /** Close and forget a connection. */
  drop(tracked: Tracked): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEAD_END = new Uint8Array([13, 10, 13, 10]);

/** A connection as the server tracks it. */
export interface Tracked {
  conn: Deno.TcpConn;
  /** Still waiting for the admission check: not yet counted toward the cap. */
  admission?: Promise<boolean>;
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

/** Close a connection, whatever state it is in. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** One connection: read requests, answer them, until it closes, idles out or errs. */
export class Connection {
  readonly #server: ConnectionOwner;
  readonly #tracked: Tracked;
  #buffer = new Uint8Array(4096);
  #length = 0;

  constructor(server: ConnectionOwner, tracked: Tracked) {
    this.#server = server;
    this.#tracked = tracked;
  }

  get conn(): Deno.TcpConn {
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
        if (end > limits.maxHeadBytes) return "too_large"; // arrived whole, still too big
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
    const head = got === "too_large" ? undefined : parseHead(got.head);
    // The admission check ran while the head arrived; nothing is routed before it says yes.
    // Meanwhile the routes may preview a well-formed request (to start work that only an
    // admitted request will see the result of).
    if (this.#tracked.admission) {
      const bodiless = head && !head.headers.has("transfer-encoding") &&
        /^0*$/.test(head.headers.get("content-length") ?? "");
      if (head && bodiless) this.#server.preview(head);
      if (!(await this.#tracked.admission)) return false;
    }
    if (got === "too_large") {
      await this.#write(textResponse(431, "Request header fields too large."), false);
      return false;
    }
    this.#consume(got.rest);
    if (!head) {
      await this.#write(textResponse(400, "Bad request."), false);
      return false;
    }
    if (head.headers.has("transfer-encoding")) {
      await this.#write(textResponse(501, "Request bodies are not supported."), false, head.method);
      return false;
    }
    const length = head.headers.get("content-length");
    if (length !== null && !/^\d{1,15}$/.test(length)) {
      await this.#write(textResponse(400, "Bad content-length."), false, head.method);
      return false;
    }
    if (length !== null && Number(length) > 0) {
      // No route takes a body: refuse at once rather than wait for bytes that may never come.
      await this.#write(textResponse(413, "Request bodies are not accepted."), false, head.method);
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
