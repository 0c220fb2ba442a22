/**
 * JSON helpers shared by every module that reads an answer or a file.
 *
 * @module
 */

/** A decoded JSON object. */
export type JsonObject = Record<string, unknown>;

/**
 * Is `value` a plain JSON object (not an array, not null)?
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isJsonObject } from "./json.ts";
 * assert.equal(isJsonObject({ a: 1 }), true);
 * assert.equal(isJsonObject([1]), false);
 * assert.equal(isJsonObject(null), false);
 * ```
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A non-empty string field of an object, else `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stringField } from "./json.ts";
 * assert.equal(stringField({ a: "x", b: "" }, "a"), "x");
 * assert.equal(stringField({ a: "x", b: "" }, "b"), undefined);
 * ```
 */
export function stringField(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
