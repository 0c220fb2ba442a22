import assert from "node:assert/strict";
import { whoAmI } from "../../lib/issuer/access_token.ts";
import { IssuerError } from "../../lib/issuer/issuer.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { issuerClient } from "../support/helpers.ts";

Deno.test("whoami: the token as a bearer; the answer names the account it belongs to", async () => {
  await using issuer = startFakeIssuer({
    account: { email: "p@example.com", accountId: "ws-1", planType: "pro" },
  });
  issuer.accessTokens.add("at-valid-0123456789");
  const who = await whoAmI(issuerClient(issuer.url), "at-valid-0123456789");
  assert.deepEqual(who, { email: "p@example.com", accountId: "ws-1", planType: "pro" });
  const [request] = issuer.requestsTo("/api/accounts/v1/user-auth-credential/whoami");
  assert.equal(request.method, "GET");
  assert.equal(request.headers.get("authorization"), "Bearer at-valid-0123456789");
});

Deno.test("whoami: a refused token is an IssuerError naming the status and code, never the token", async () => {
  await using issuer = startFakeIssuer();
  const err = await whoAmI(issuerClient(issuer.url), "at-revoked-0123456789").catch((e) => e);
  assert.ok(err instanceof IssuerError, String(err));
  assert.equal(err.status, 401);
  assert.equal(err.oauthCode, "invalid_token");
  assert.equal(
    err.message,
    "Could not check the personal access token: the issuer refused it (HTTP 401, invalid_token).",
  );
  assert.ok(!err.message.includes("at-revoked"));
});
