import assert from "node:assert/strict";
import { OneTimeLink } from "../../lib/signin/one_time_link.ts";

Deno.test("a one-time link: 256 random bits, first use, then again, never for a wrong value", () => {
  const link = new OneTimeLink();
  assert.match(link.value, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(new OneTimeLink().value, link.value);
  assert.equal(link.use(""), "wrong");
  assert.equal(link.use(link.value.slice(0, -1)), "wrong");
  assert.equal(link.use(`${link.value}x`), "wrong");
  assert.equal(link.use(link.value), "first");
  assert.equal(link.use(link.value), "again");
  assert.equal(link.use(link.value), "again");
  assert.equal(link.use("guess"), "wrong", "still wrong after use");
});
