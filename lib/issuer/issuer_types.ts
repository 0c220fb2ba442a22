/**
 * What the issuer answers and how its calls fail: the token sets, the device-code grant, and
 * {@linkcode IssuerError}, whose message names the step and the issuer's own error code.
 *
 * @module
 */

import { isJsonObject } from "../base/json.ts";
import { redact } from "../base/redact.ts";
import type { HttpAnswer, HttpFailure } from "./http_client.ts";
import type { AccountClaims } from "./jwt.ts";

/** The step of the sign-in an issuer call belongs to. */
export type IssuerStep =
  | "code_exchange"
  | "api_key_exchange"
  | "refresh"
  | "revoke"
  | "device"
  | "device_poll"
  | "access_token_check";

/** A failed issuer call. The message names the step and says what the issuer said. */
export class IssuerError extends Error {
  /** The HTTP status, when there was an answer. */
  readonly status?: number;
  /** The OAuth `error` code, when the issuer sent one. */
  readonly oauthCode?: string;
  /** The transport failure, when there was no answer. */
  readonly failure?: HttpFailure;

  /** Make an IssuerError; `message` must not carry a secret. */
  constructor(
    message: string,
    details: { status?: number; oauthCode?: string; failure?: HttpFailure } = {},
  ) {
    super(message);
    this.name = "IssuerError";
    this.status = details.status;
    this.oauthCode = details.oauthCode;
    this.failure = details.failure;
  }
}

/** The three tokens the code exchange must return. */
export interface TokenSet {
  /** A JWT with the account claims. */
  idToken: string;
  /** The access token. */
  accessToken: string;
  /** The refresh token. */
  refreshToken: string;
}

/** The code exchange's answer: the tokens and the id_token's claims, decoded once. */
export interface SignInTokens extends TokenSet {
  /** The account facts of `idToken`. */
  idClaims: AccountClaims;
}

/** What a refresh returned: any of the three tokens (the refresh token may rotate). */
export type RefreshedTokens = Partial<TokenSet>;

/** The one-time code the issuer handed out for a device sign-in. */
export interface DeviceCode {
  /** Opaque id for polling. */
  deviceAuthId: string;
  /** The code the person enters. */
  userCode: string;
  /** Seconds between polls. */
  intervalSeconds: number;
  /** Where to enter it: `{issuer}/codex/device`. */
  verificationUrl: string;
}

/** What the device poll returns once the code was entered. */
export interface DeviceGrant {
  /** The authorization code to exchange. */
  code: string;
  /** The PKCE verifier the issuer made for it. */
  verifier: string;
  /** The matching challenge, when the issuer sent it. */
  challenge?: string;
}

/** How each step reads in a message: "Could not {step}: ...". */
export const STEP_NAMES: Record<IssuerStep, string> = {
  code_exchange: "exchange the sign-in code",
  api_key_exchange: "exchange the sign-in for an API key",
  refresh: "refresh the tokens",
  revoke: "revoke the refresh token",
  device: "start device sign-in",
  device_poll: "check on the device sign-in",
  access_token_check: "check the personal access token",
};

/**
 * The OAuth error of an answer, as `error: description`, from either the RFC 6749 shape
 * (`{error, error_description}`) or the OpenAI API shape (`{error: {code, message}}`).
 * Redacted and cut short; `undefined` when the body says nothing usable.
 */
export function describeOAuthError(
  answer: HttpAnswer,
  secrets: readonly string[] = [],
): { code?: string; description?: string } {
  const json = answer.json;
  if (!json) return {};
  let code: string | undefined;
  let description: string | undefined;
  if (typeof json.error === "string") code = json.error;
  if (typeof json.error_description === "string") description = json.error_description;
  if (isJsonObject(json.error)) {
    const inner = json.error;
    if (typeof inner.code === "string") code = inner.code;
    else if (typeof inner.type === "string") code = inner.type;
    if (typeof inner.message === "string") description = inner.message;
  }
  return {
    code: code === undefined ? undefined : redact(code, secrets, 80),
    description: description === undefined ? undefined : redact(description, secrets, 300),
  };
}
