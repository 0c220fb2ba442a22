/**
 * The program's version, from deno.json (embedded at build time by a JSON import).
 *
 * @module
 */

import config from "../../deno.json" with { type: "json" };

/** The version in deno.json. */
export const VERSION: string = config.version;
