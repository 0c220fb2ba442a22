import assert from "node:assert/strict";
import { maskKey, maskToken, redact, stripUserinfo } from "../../lib/base/redact.ts";

Deno.test("redact: given secrets, JWTs, API keys and URL credentials are cut; short secrets ignored", () => {
  const jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln";
  assert.equal(
    redact(`code abc123 then ${jwt} and sk-proj-abcdefgh1234 via http://u:pw@proxy:3128/`, [
      "abc123",
      "xy",
    ]),
    "code [redacted] then [redacted] and sk-[redacted] via http://***@proxy:3128/",
  );
  assert.equal(redact("xy stays", ["xy"]), "xy stays", "secrets under 4 characters are not cut");
});

Deno.test("redact: one inert line, cut to the length asked for", () => {
  assert.equal(redact("a\nb\x1b[2J"), "a\\x0ab\\x1b[2J");
  assert.equal(redact("x".repeat(20), [], 5), "xxxxx…");
});

Deno.test("stripUserinfo: every URL's user and password, and nothing else", () => {
  assert.equal(
    stripUserinfo("http://me:p@ss@proxy.corp:3128 and https://u@h/x"),
    "http://***@proxy.corp:3128 and https://***@h/x",
  );
  assert.equal(stripUserinfo("mail me@example.com"), "mail me@example.com");
  assert.equal(stripUserinfo("https://a.example/x?y=b@c"), "https://a.example/x?y=b@c");
});

Deno.test("masks: a key keeps at most 3 + 4 characters, a token its length and last 4", () => {
  assert.equal(maskKey("sk-proj-abcdefghijkl1234"), "sk-...1234");
  assert.equal(maskKey("short"), "*****");
  assert.equal(maskToken("eyJabc.def.ghijklmn"), "…(19 chars)…klmn");
  assert.equal(maskToken("abcd"), "****");
});
