import assert from "node:assert/strict";
import { redirect, textResponse } from "../../lib/loopback/responses.ts";

const SAFETY = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

Deno.test("a text response: the line and a line break, plain text, the safety headers", async () => {
  const res = textResponse(405, "Method not allowed.", {
    allow: "GET",
    "cache-control": "max-age=60",
  });
  assert.equal(res.status, 405);
  assert.equal(await res.text(), "Method not allowed.\n");
  assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(res.headers.get("allow"), "GET");
  for (const [name, value] of Object.entries(SAFETY)) {
    assert.equal(res.headers.get(name), value, `${name} cannot be overridden`);
  }
});

Deno.test("a redirect: 302 to the location, no body, no trace in caches or referrers", async () => {
  const res = redirect("/success?v=abc");
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), "/success?v=abc");
  assert.equal(await res.text(), "");
  for (const [name, value] of Object.entries(SAFETY)) assert.equal(res.headers.get(name), value);
});
