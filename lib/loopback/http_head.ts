/**
 * The HTTP/1.1 wire format the loopback server needs: parsing a request head strictly
 * (tokens, visible-ASCII targets, well-formed header lines) and the reason phrases of the
 * statuses it sends.
 *
 * @module
 */

/** A parsed request head. */
export interface Head {
  /** The method token, e.g. `GET`. */
  method: string;
  /** The origin-form target, e.g. `/auth/callback?code=...`. */
  target: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  /** The header fields. */
  headers: Headers;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** An origin-form request target: visible ASCII only (no controls, no spaces). */
const TARGET = /^\/[\x21-\x7e]*$/;

/**
 * Parse a request head (without its final blank line); `undefined` when malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHead } from "./http_head.ts";
 * const head = parseHead("GET /auth/callback?code=c HTTP/1.1\r\nHost: localhost:1455");
 * assert.equal(head?.headers.get("host"), "localhost:1455");
 * assert.equal(parseHead("GET /\x1b[2J HTTP/1.1"), undefined);
 * ```
 */
export function parseHead(text: string): Head | undefined {
  const lines = text.split("\r\n");
  const [method, target, version, extra] = lines[0].split(" ");
  if (extra !== undefined || !method || !TOKEN.test(method) || !TARGET.test(target ?? "")) {
    return undefined;
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") return undefined;
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    try {
      headers.append(name, line.slice(colon + 1).trim());
    } catch {
      return undefined;
    }
  }
  return { method, target, version, headers };
}

/** Reason phrases of the statuses the server sends. */
export const REASONS: Record<number, string> = {
  200: "OK",
  302: "Found",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  421: "Misdirected Request",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
};
