import assert from "node:assert/strict";
import { MAX_PASTE_CHARS, parsePastedRedirect } from "../../lib/signin/paste.ts";

Deno.test("paste parser: whole URL, query string, quotes and junk; never throws", () => {
  const full = parsePastedRedirect("'http://localhost:1455/auth/callback?code=c1&state=s1'\n");
  assert.equal(full?.get("code"), "c1");
  assert.equal(parsePastedRedirect("?code=c2&state=s2")?.get("state"), "s2");
  assert.equal(parsePastedRedirect("code=c3&state=s3")?.get("code"), "c3");
  assert.equal(
    parsePastedRedirect("localhost:1455/auth/callback?code=c4&state=s")?.get("code"),
    "c4",
  );
  assert.equal(parsePastedRedirect("error=access_denied&state=s")?.get("error"), "access_denied");
  for (const junk of ["", "   ", "hello world", "http://[bad", "%%%", "x".repeat(20000)]) {
    assert.equal(parsePastedRedirect(junk), undefined, junk.slice(0, 20));
  }
});

Deno.test("paste parser: a fragment, an error callback, and a paste at the size limit", () => {
  assert.equal(
    parsePastedRedirect("http://127.0.0.1:1455/auth/callback#code=c5&state=s")?.get("code"),
    "c5",
  );
  const url = "http://127.0.0.1:1455/auth/callback?code=c6&state=s&x=";
  assert.equal(parsePastedRedirect(url.padEnd(MAX_PASTE_CHARS, "y"))?.get("code"), "c6");
  assert.equal(parsePastedRedirect(url.padEnd(MAX_PASTE_CHARS + 1, "y")), undefined);
  assert.equal(
    parsePastedRedirect("?state=s&foo=bar")?.has("code"),
    false,
    "a state alone is a callback",
  );
});
