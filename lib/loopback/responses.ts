/**
 * The small responses the loopback server and its routes send by themselves: plain text and
 * redirects, each with the same safety headers (never cached, never a referrer, never sniffed).
 *
 * @module
 */

function safetyHeaders(extra: HeadersInit): Headers {
  const headers = new Headers(extra);
  headers.set("cache-control", "no-store");
  headers.set("referrer-policy", "no-referrer");
  headers.set("x-content-type-options", "nosniff");
  return headers;
}

/**
 * A plain-text response: `text` and a line break, with the safety headers and `extra`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textResponse } from "./responses.ts";
 * const res = textResponse(405, "Method not allowed.", { allow: "GET" });
 * assert.equal(res.status, 405);
 * assert.equal(res.headers.get("allow"), "GET");
 * assert.equal(res.headers.get("cache-control"), "no-store");
 * assert.equal(await res.text(), "Method not allowed.\n");
 * ```
 */
export function textResponse(status: number, text: string, extra: HeadersInit = {}): Response {
  const headers = safetyHeaders(extra);
  headers.set("content-type", "text/plain; charset=utf-8");
  return new Response(`${text}\n`, { status, headers });
}

/**
 * A 302 redirect that leaves no trace in caches or referrers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redirect } from "./responses.ts";
 * const res = redirect("/success?v=x");
 * assert.equal(res.status, 302);
 * assert.equal(res.headers.get("location"), "/success?v=x");
 * assert.equal(res.headers.get("referrer-policy"), "no-referrer");
 * ```
 */
export function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: safetyHeaders({ location }) });
}
