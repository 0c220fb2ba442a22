/**
 * PKCE (RFC 7636, S256) and the OAuth `state`, from Web Crypto.
 *
 * @module
 */

/** A PKCE verifier and its S256 challenge. */
export interface Pkce {
  /** 86 characters of the RFC 7636 unreserved set (512 random bits). */
  verifier: string;
  /** BASE64URL(SHA-256(verifier)) without padding. */
  challenge: string;
}

function randomBase64Url(bytes: number): string {
  return crypto.getRandomValues(new Uint8Array(bytes)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/**
 * The S256 code challenge of a verifier.
 *
 * @example RFC 7636 Appendix B
 * ```ts
 * import { s256Challenge } from "./pkce.ts";
 * import assert from "node:assert/strict";
 * const c = await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
 * assert.equal(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
 * ```
 */
export async function s256Challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return new Uint8Array(digest).toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * A fresh verifier (512 random bits) and its S256 challenge.
 *
 * @example
 * ```ts
 * import { generatePkce, s256Challenge } from "./pkce.ts";
 * import assert from "node:assert/strict";
 * const { verifier, challenge } = await generatePkce();
 * assert.equal(verifier.length, 86);
 * assert.equal(challenge, await s256Challenge(verifier));
 * ```
 */
export async function generatePkce(): Promise<Pkce> {
  const verifier = randomBase64Url(64);
  return { verifier, challenge: await s256Challenge(verifier) };
}

/**
 * A fresh OAuth `state`: 256 random bits, base64url.
 *
 * @example
 * ```ts
 * import { generateState } from "./pkce.ts";
 * import assert from "node:assert/strict";
 * assert.match(generateState(), /^[A-Za-z0-9_-]{43}$/);
 * ```
 */
export function generateState(): string {
  return randomBase64Url(32);
}
