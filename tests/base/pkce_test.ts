import assert from "node:assert/strict";
import { generatePkce, generateState, s256Challenge } from "../../lib/base/pkce.ts";

Deno.test("S256 challenge matches RFC 7636 Appendix B", async () => {
  assert.equal(
    await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  );
});

Deno.test("verifier has >= 256 bits in the RFC 7636 charset and matches its challenge", async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const { verifier, challenge } = await generatePkce();
    assert.match(verifier, /^[A-Za-z0-9\-._~]{43,128}$/);
    assert.ok(verifier.length * 6 >= 256);
    assert.equal(challenge, await s256Challenge(verifier));
    assert.match(challenge, /^[A-Za-z0-9_-]{43}$/);
    seen.add(verifier);
  }
  assert.equal(seen.size, 50);
});

Deno.test("state is 256 random bits, URL-safe, and never repeats", () => {
  const states = new Set(Array.from({ length: 200 }, generateState));
  assert.equal(states.size, 200);
  for (const s of states) assert.match(s, /^[A-Za-z0-9_-]{43}$/);
});
