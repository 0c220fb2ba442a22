/**
 * Reads the address a browser ended on, pasted into the terminal: a whole callback URL
 * (`http://127.0.0.1:1455/auth/callback?code=...&state=...`), or just its query string.
 * Total: never throws.
 *
 * @module
 */

/** The longest pasted address read (16 KiB); anything longer is not a sign-in address. */
export const MAX_PASTE_CHARS = 16 * 1024;

/**
 * The callback parameters in a pasted text, or `undefined` when it holds neither a `code`,
 * a `state` nor an `error`.
 *
 * @example
 * ```ts
 * import { parsePastedRedirect } from "./paste.ts";
 * const p = parsePastedRedirect(" http://127.0.0.1:1455/auth/callback?code=c&state=s \n");
 * import assert from "node:assert/strict";
 * assert.equal(p?.get("code"), "c");
 * assert.equal(p?.get("state"), "s");
 * assert.equal(parsePastedRedirect("?code=c&state=s")?.get("code"), "c");
 * assert.equal(parsePastedRedirect("hello"), undefined);
 * ```
 */
export function parsePastedRedirect(text: string): URLSearchParams | undefined {
  if (typeof text !== "string") return undefined;
  let t = text.trim().replace(/^["'<]+|["'>]+$/g, "").trim();
  if (t.length === 0 || t.length > MAX_PASTE_CHARS) return undefined;
  let query: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    try {
      const url = new URL(t);
      query = url.search.slice(1) || url.hash.slice(1);
    } catch {
      return undefined;
    }
  } else {
    const q = t.indexOf("?");
    if (q >= 0) t = t.slice(q + 1);
    query = t.replace(/^#/, "");
  }
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    return undefined;
  }
  return params.has("code") || params.has("state") || params.has("error") ? params : undefined;
}
