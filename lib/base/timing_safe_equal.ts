/**
 * Comparing secrets (the OAuth `state`, the cancel secret) without leaking where they differ.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Compare two strings in time that depends only on their lengths, not on where they differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timingSafeEqual } from "./timing_safe_equal.ts";
 * assert.equal(timingSafeEqual("abc", "abc"), true);
 * assert.equal(timingSafeEqual("abc", "abd"), false);
 * ```
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const length = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
