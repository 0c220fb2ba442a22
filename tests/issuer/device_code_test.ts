import assert from "node:assert/strict";
import { pollDeviceToken, requestDeviceCode } from "../../lib/issuer/device_code.ts";
import { IssuerError } from "../../lib/issuer/issuer.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { issuerClient } from "../support/helpers.ts";

Deno.test("device code: asked for with the client id; the code, its interval and where to enter it", async () => {
  await using issuer = startFakeIssuer({ deviceInterval: "0.5" });
  const device = await requestDeviceCode(issuerClient(issuer.url));
  assert.equal(device.userCode, "ABCD-2345");
  assert.equal(device.intervalSeconds, 0.5);
  assert.equal(device.verificationUrl, `${issuer.url}/codex/device`);
  const [request] = issuer.requestsTo("/api/accounts/deviceauth/usercode");
  assert.deepEqual(request.params, { client_id: issuer.clientId });
});

Deno.test("device code: a 404 is an IssuerError with the status (device sign-in not enabled)", async () => {
  await using issuer = startFakeIssuer({ device: "disabled" });
  const err = await requestDeviceCode(issuerClient(issuer.url)).catch((e) => e);
  assert.ok(err instanceof IssuerError, String(err));
  assert.equal(err.status, 404);
  assert.equal(
    err.message,
    "Could not start device sign-in: the issuer answered 404 without a code.",
  );
});

Deno.test("device poll: nothing while the code is not entered, then the grant", async () => {
  await using issuer = startFakeIssuer({ deviceApproveAfterPolls: 2 });
  const client = issuerClient(issuer.url);
  const device = await requestDeviceCode(client);
  assert.equal(await pollDeviceToken(client, device), undefined, "pending (403)");
  const grant = await pollDeviceToken(client, device);
  assert.ok(grant?.code && grant.verifier, "the authorization code and its verifier");
  const polls = issuer.requestsTo("/api/accounts/deviceauth/token");
  assert.deepEqual(polls[0].params, {
    device_auth_id: device.deviceAuthId,
    user_code: "ABCD-2345",
  });
  const refused = await pollDeviceToken(client, device).catch((e) => e);
  assert.ok(refused instanceof IssuerError, "a used code is refused");
  assert.match(
    refused.message,
    /^Could not check on the device sign-in: the issuer answered 400 \(invalid_request\)\.$/,
  );
});
