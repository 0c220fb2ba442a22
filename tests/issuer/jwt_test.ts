import assert from "node:assert/strict";
import { accountClaims, decodeJwtClaims, isExpired } from "../../lib/issuer/jwt.ts";
import { makeJwt } from "../support/fake_issuer.ts";

function seg(value: string): string {
  return new TextEncoder().encode(value).toBase64({ alphabet: "base64url", omitPadding: true });
}

Deno.test("decodes claims with and without base64 padding", () => {
  // {"a":1} encodes to eyJhIjoxfQ (padding "==" omitted).
  assert.deepEqual(decodeJwtClaims("x.eyJhIjoxfQ.y"), { a: 1 });
  assert.deepEqual(decodeJwtClaims("x.eyJhIjoxfQ==.y"), { a: 1 });
  assert.deepEqual(decodeJwtClaims(`h.${seg('{"sub":"ü-ß"}')}.s`), { sub: "ü-ß" });
  // URL-safe alphabet: "?>" encodes with '_' and '-'.
  assert.deepEqual(decodeJwtClaims(`h.${seg('{"k":"??>>"}')}.s`), { k: "??>>" });
});

Deno.test("bad input decodes to undefined, never throws", () => {
  for (
    const bad of [
      "",
      "a.b",
      "a.b.c.d",
      "a..c",
      "a.!!!.c",
      `a.${seg("[1,2]")}.c`,
      `a.${seg("null")}.c`,
      `a.${seg("not json")}.c`,
      `a.${new Uint8Array([0xff, 0xfe]).toBase64({ alphabet: "base64url" })}.c`,
    ]
  ) {
    assert.equal(decodeJwtClaims(bad), undefined, bad);
  }
});

Deno.test("account claims are typed; absent or mistyped ones are left out", () => {
  const token = makeJwt({
    email: "a@b.c",
    exp: 2000000000,
    "https://api.openai.com/auth": {
      chatgpt_account_id: "acc",
      organization_id: 7,
      is_org_owner: "yes",
      completed_platform_onboarding: true,
      chatgpt_plan_type: "pro",
    },
  });
  const c = accountClaims(token);
  assert.equal(c.accountId, "acc");
  assert.equal(c.organizationId, undefined);
  assert.equal(c.isOrgOwner, false);
  assert.equal(c.completedPlatformOnboarding, true);
  assert.equal(c.planType, "pro");
  assert.equal(c.email, "a@b.c");
  assert.equal(c.expiresAt?.toISOString(), "2033-05-18T03:33:20.000Z");
  assert.deepEqual(accountClaims("garbage"), {
    accountId: undefined,
    organizationId: undefined,
    projectId: undefined,
    planType: undefined,
    completedPlatformOnboarding: false,
    isOrgOwner: false,
    subscriptionActiveStart: undefined,
    email: undefined,
    expiresAt: undefined,
  });
});

Deno.test("expiry: past exp, missing exp and non-integer exp count as expired", () => {
  const now = new Date("2030-01-01T00:00:00Z");
  assert.ok(!isExpired(makeJwt({ exp: now.getTime() / 1000 + 60 }), now));
  assert.ok(isExpired(makeJwt({ exp: now.getTime() / 1000 - 1 }), now));
  assert.ok(isExpired(makeJwt({}), now));
  assert.ok(isExpired(makeJwt({ exp: "soon" }), now));
  assert.ok(isExpired(makeJwt({ exp: 1.5 }), now));
});
