import assert from "node:assert/strict";
import { isJsonObject, stringField } from "../../lib/base/json.ts";

Deno.test("isJsonObject: plain objects only, never arrays, null or primitives", () => {
  assert.equal(isJsonObject(JSON.parse('{"a":1}')), true);
  assert.equal(isJsonObject({}), true);
  for (const value of [[], null, undefined, "x", 1, true]) {
    assert.equal(isJsonObject(value), false, String(value));
  }
});

Deno.test("stringField: a non-empty string, else undefined (empty, missing, other types)", () => {
  const obj = { s: "x", empty: "", n: 1, o: {}, nul: null };
  assert.equal(stringField(obj, "s"), "x");
  for (const key of ["empty", "n", "o", "nul", "missing"]) {
    assert.equal(stringField(obj, key), undefined, key);
  }
});
