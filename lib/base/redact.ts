/**
 * Keeps secrets out of anything shown to a person: messages, error pages, logs.
 *
 * @module
 */

import { safeLine } from "./terminal_safe.ts";

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
/** A URL's credentials: everything between `scheme://` and the last `@` before the host. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/**
 * Remove the credentials (`user:password@`) of every URL in `text`, leaving `***@` so that
 * their presence still shows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stripUserinfo } from "./redact.ts";
 * assert.equal(
 *   stripUserinfo("via http://me:p@ss@proxy.corp:3128 failed"),
 *   "via http://***@proxy.corp:3128 failed",
 * );
 * assert.equal(stripUserinfo("https://auth.openai.com/x?a=b@c"), "https://auth.openai.com/x?a=b@c");
 * ```
 */
export function stripUserinfo(text: string): string {
  return text.replace(USERINFO, "$1***@");
}
const API_KEY_LIKE = /\bsk-[A-Za-z0-9_-]{8,}/g;

/**
 * Replace every given secret, anything shaped like a JWT or an API key, and the credentials
 * of any URL in `text`, show
 * control characters (escapes, line breaks) as visible escapes so that the text stays one
 * inert line, then cut it to `maxLength` characters.
 *
 * @example
 * ```ts
 * import { redact } from "./redact.ts";
 * import assert from "node:assert/strict";
 * assert.equal(redact("code abc123 was bad", ["abc123"]), "code [redacted] was bad");
 * ```
 */
export function redact(text: string, secrets: readonly string[] = [], maxLength = 500): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  out = stripUserinfo(out.replace(JWT_LIKE, "[redacted]").replace(API_KEY_LIKE, "sk-[redacted]"));
  out = safeLine(out);
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
}

/**
 * Mask an API key (or a similar credential) for display as Codex's `login status` does: the
 * first 8 and the last 5 characters around `***`; `***` alone for 13 characters or fewer.
 *
 * @example
 * ```ts
 * import { maskKey } from "./redact.ts";
 * import assert from "node:assert/strict";
 * assert.equal(maskKey("sk-proj-fixture0123456789abcd"), "sk-proj-***9abcd");
 * assert.equal(maskKey("short1234"), "***");
 * ```
 */
export function maskKey(key: string): string {
  if (key.length <= 13) return "***";
  return `${key.slice(0, 8)}***${key.slice(-5)}`;
}

/**
 * Mask a token for display: its length and last 4 characters only.
 *
 * @example
 * ```ts
 * import { maskToken } from "./redact.ts";
 * import assert from "node:assert/strict";
 * assert.equal(maskToken("eyJabc.def.ghijklmn"), "…(19 chars)…klmn");
 * ```
 */
export function maskToken(token: string): string {
  if (token.length <= 8) return "*".repeat(token.length);
  return `…(${token.length} chars)…${token.slice(-4)}`;
}
