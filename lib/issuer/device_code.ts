/**
 * Device sign-in's two issuer steps, as Codex sends them: ask for a one-time code
 * (`POST {issuer}/api/accounts/deviceauth/usercode`), then poll for its grant
 * (`POST {issuer}/api/accounts/deviceauth/token`). The code exchange that follows is
 * `IssuerClient.exchangeCode`.
 *
 * @module
 */

import { stringField } from "../base/json.ts";
import { redact } from "../base/redact.ts";
import type { IssuerClient } from "./issuer.ts";
import { type DeviceCode, type DeviceGrant, IssuerError } from "./issuer_types.ts";

function parseInterval(value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) return 5;
  return Math.min(60, Math.max(0.2, n));
}

/**
 * Ask for a one-time device code (`POST {issuer}/api/accounts/deviceauth/usercode`). A 404
 * means device sign-in is not enabled: an IssuerError with `status` 404.
 */
export async function requestDeviceCode(
  client: IssuerClient,
  signal?: AbortSignal,
): Promise<DeviceCode> {
  const answer = await client.send({
    step: "device",
    url: `${client.issuer}/api/accounts/deviceauth/usercode`,
    body: { json: { client_id: client.clientId } },
    secrets: [],
    signal,
  });
  const json = answer.json ?? {};
  const deviceAuthId = stringField(json, "device_auth_id");
  const userCode = stringField(json, "user_code") ?? stringField(json, "usercode");
  if (answer.status !== 200 || !deviceAuthId || !userCode) {
    throw new IssuerError("device", `the issuer answered ${answer.status} without a code`, {
      status: answer.status,
    });
  }
  return {
    deviceAuthId,
    userCode,
    intervalSeconds: parseInterval(json.interval),
    verificationUrl: `${client.issuer}/codex/device`,
  };
}

/**
 * Poll for a device code's grant. `undefined` while the code has not been entered (403,
 * 404) or the issuer is briefly failing (5xx); an IssuerError for a refusal.
 */
export async function pollDeviceToken(
  client: IssuerClient,
  device: DeviceCode,
  signal?: AbortSignal,
): Promise<DeviceGrant | undefined> {
  const answer = await client.send({
    step: "device_poll",
    url: `${client.issuer}/api/accounts/deviceauth/token`,
    body: { json: { device_auth_id: device.deviceAuthId, user_code: device.userCode } },
    secrets: [],
    signal,
  });
  if (answer.status === 403 || answer.status === 404 || answer.status >= 500) return undefined;
  const json = answer.json ?? {};
  const code = stringField(json, "authorization_code");
  const verifier = stringField(json, "code_verifier");
  if (answer.status !== 200 || !code || !verifier) {
    const raw = stringField(json, "error");
    const error = raw === undefined ? undefined : redact(raw, [], 80);
    throw new IssuerError(
      "device_poll",
      `the issuer answered ${answer.status}${error ? ` (${error})` : ""}`,
      { status: answer.status, oauthCode: error },
    );
  }
  return { code, verifier, challenge: stringField(json, "code_challenge") };
}
