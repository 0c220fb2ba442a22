import assert from "node:assert/strict";
import { safeJson, safeLine, safeLines } from "../../lib/base/terminal_safe.ts";

Deno.test("safeLine: escapes, line breaks and bidi controls shown as visible escapes", () => {
  assert.equal(safeLine("you@example.com"), "you@example.com");
  assert.equal(safeLine("a\x1b]52;c;ZXZpbA==\x07b"), "a\\x1b]52;c;ZXZpbA==\\x07b");
  assert.equal(safeLine("x\nError: forged\r"), "x\\x0aError: forged\\x0d");
  assert.equal(safeLine("left\u202eright\u2028"), "left\\u202eright\\u2028");
  assert.equal(safeLine("\u009b2J\u007f"), "\\x9b2J\\x7f");
});

Deno.test("safeLines: our own line breaks kept, each line made safe", () => {
  assert.equal(safeLines("one\ntwo\x1b[2J\nthree\r"), "one\ntwo\\x1b[2J\nthree\\x0d");
});

Deno.test("safeJson: valid JSON that decodes back to the data, with nothing raw on a terminal", () => {
  const data = { email: "a\u009b2J\u007f\ud800@x\u202e", n: 1, line: "a\nb" };
  const text = safeJson(data);
  assert.deepEqual(JSON.parse(text), data);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
});
