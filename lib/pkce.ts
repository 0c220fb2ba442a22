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
 * const c = await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
 * console.assert(c === "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
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
 * import { generatePkce } from "./pkce.ts";
 * const { verifier, challenge } = await generatePkce();
 * console.assert(verifier.length === 86 && challenge.length === 43);
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
 * console.assert(generateState().length === 43);
 * ```
 */
export function generateState(): string {
  return randomBase64Url(32);
}

/**
 * Compare two strings in time that depends only on their lengths, not on where they differ.
 *
 * @example
 * ```ts
 * import { timingSafeEqual } from "./pkce.ts";
 * console.assert(timingSafeEqual("abc", "abc") && !timingSafeEqual("abc", "abd"));
 * ```
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  const length = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
