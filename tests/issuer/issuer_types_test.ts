import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import {
  CHECK_CONNECTION,
  describeOAuthError,
  IssuerError,
  issuerFailure,
  STEP_NAMES,
} from "../../lib/issuer/issuer_types.ts";

Deno.test("IssuerError: 'Could not <step>: <reason>.', with the reason kept apart", () => {
  const err = new IssuerError(
    "access_token_check",
    "the issuer refused it (HTTP 401, invalid_token)",
    {
      status: 401,
      oauthCode: "invalid_token",
    },
  );
  assert.equal(
    err.message,
    "Could not check the personal access token: the issuer refused it (HTTP 401, invalid_token).",
  );
  assert.equal(err.reason, "the issuer refused it (HTTP 401, invalid_token)");
  assert.equal(err.oauthCode, "invalid_token");
  assert.equal(
    new IssuerError("device", "the issuer answered 404 without a code", { status: 404 }).message,
    "Could not start device sign-in: the issuer answered 404 without a code.",
  );
  for (const [step, name] of Object.entries(STEP_NAMES)) {
    assert.match(name, /^[a-z]/, step);
  }
});

Deno.test("failure classes: no answer is unreachable, 4xx refused, 5xx failed, anything else invalid", () => {
  assert.equal(new IssuerError("refresh", "x", { failure: "timeout" }).failureClass, "unreachable");
  // Never sent: not the network's fault, and trying again cannot help.
  assert.equal(
    new IssuerError("refresh", "x", { failure: "permission" }).failureClass,
    "not_granted",
  );
  assert.equal(new IssuerError("refresh", "x", { status: 400 }).failureClass, "refused");
  assert.equal(new IssuerError("refresh", "x", { status: 503 }).failureClass, "failed");
  assert.equal(new IssuerError("refresh", "x", { status: 200 }).failureClass, "invalid");
  assert.equal(new IssuerError("refresh", "x").failureClass, "invalid");
});

Deno.test("issuerFailure: one conversion; the connection is the next step when there was no answer", () => {
  const refused = issuerFailure(
    new IssuerError("code_exchange", "the issuer answered 400 (invalid_grant)", {
      status: 400,
      oauthCode: "invalid_grant",
    }),
    "code_exchange",
    "Run codex-login again.",
  );
  assert.ok(refused instanceof LoginError);
  assert.equal(refused.kind, "code_exchange");
  assert.equal(refused.code, "code_exchange.refused");
  assert.equal(refused.oauthCode, "invalid_grant");
  assert.equal(
    refused.message,
    "Could not exchange the sign-in code: the issuer answered 400 (invalid_grant). Run codex-login again.",
  );
  const offline = issuerFailure(
    new IssuerError("code_exchange", "could not find auth.example.com", { failure: "network" }),
    "code_exchange",
    "Run codex-login again.",
  );
  assert.ok(offline instanceof LoginError);
  assert.equal(offline.code, "code_exchange.unreachable");
  assert.equal(offline.next, CHECK_CONNECTION);
  const other = new Error("not the issuer's");
  assert.equal(issuerFailure(other, "code_exchange", "x"), other, "anything else passes through");
});

Deno.test("the issuer's OAuth error from either shape, redacted and cut", () => {
  const rfc = describeOAuthError({
    status: 400,
    json: { error: "invalid_grant", error_description: "code abc123secret expired" },
    excerpt: "",
  }, ["abc123secret"]);
  assert.deepEqual(rfc, { code: "invalid_grant", description: "code [redacted] expired" });
  const api = describeOAuthError({
    status: 401,
    json: { error: { code: "invalid_api_key", message: "bad key" } },
    excerpt: "",
  });
  assert.deepEqual(api, { code: "invalid_api_key", description: "bad key" });
  assert.deepEqual(describeOAuthError({ status: 500, excerpt: "<html>" }), {});
});
