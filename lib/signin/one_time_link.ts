/**
 * One-time values in loopback links: the `/start/<random>` link handed to the browser
 * opener (so the authorize URL, with its `state`, never sits in the process table), and the
 * `/success?v=<random>` redirect that ties the success page (which may carry the org-setup
 * link) to the browser that finished the sign-in.
 *
 * @module
 */

import { generateState } from "../base/pkce.ts";
import { timingSafeEqual } from "../base/timing_safe_equal.ts";

/** How a presented value compares with the link's. */
export type LinkUse = "first" | "again" | "wrong";

/**
 * A random value that may be used once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OneTimeLink } from "./one_time_link.ts";
 * const link = new OneTimeLink();
 * assert.equal(link.use("nope"), "wrong");
 * assert.equal(link.use(link.value), "first");
 * assert.equal(link.use(link.value), "again");
 * ```
 */
export class OneTimeLink {
  /** The value (256 random bits, base64url). */
  readonly value: string = generateState();
  #used = false;

  /** Compare in constant time; the first matching use is `first`, later ones `again`. */
  use(candidate: string): LinkUse {
    if (!timingSafeEqual(candidate, this.value)) return "wrong";
    if (this.#used) return "again";
    this.#used = true;
    return "first";
  }
}
