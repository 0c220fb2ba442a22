import assert from "node:assert/strict";
import { timingSafeEqual } from "../../lib/base/timing_safe_equal.ts";

Deno.test("timingSafeEqual compares whole strings", () => {
  assert.ok(timingSafeEqual("abc", "abc"));
  assert.ok(!timingSafeEqual("abc", "abd"));
  assert.ok(!timingSafeEqual("abc", "abcd"));
  assert.ok(!timingSafeEqual("", "a"));
  assert.ok(timingSafeEqual("", ""));
});
