/**
 * What the issuer answers and how its calls fail: the token sets, the device-code grant, and
 * {@linkcode IssuerError}, whose message names the step and the issuer's own error code.
 *
 * @module
 */

import { LoginError, type LoginErrorKind } from "../base/errors.ts";
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
  | "access_token_check"
  | "workload_identity";

/** What the issuer's failure was, as far as a person can act on it. */
export type IssuerFailureClass =
  /** No answer at all (network, DNS, TLS, proxy, timeout): check the connection. */
  | "unreachable"
  /** Never sent: this process may not reach the host (the message says how to grant it). */
  | "not_granted"
  /** The issuer answered with a refusal (4xx). */
  | "refused"
  /** The issuer answered with a server error (5xx). */
  | "failed"
  /** The issuer answered, but not with what the step needs. */
  | "invalid";

/**
 * A failed issuer call, in parts: the step, why (`reason`, a phrase that a caller may place in
 * its own sentence), the HTTP status and OAuth code when there was an answer, the transport
 * failure when there was none. `message` is the whole sentence: "Could not {step}: {reason}."
 */
export class IssuerError extends Error {
  /** The step that failed. */
  readonly step: IssuerStep;
  /** Why, as a phrase without a final period (never a secret). */
  readonly reason: string;
  /** The HTTP status, when there was an answer. */
  readonly status?: number;
  /** The OAuth `error` code, when the issuer sent one. */
  readonly oauthCode?: string;
  /** The transport failure, when there was no answer. */
  readonly failure?: HttpFailure;

  /** Make an IssuerError; `reason` must not carry a secret. */
  constructor(
    step: IssuerStep,
    reason: string,
    details: { status?: number; oauthCode?: string; failure?: HttpFailure } = {},
  ) {
    super(`Could not ${STEP_NAMES[step]}: ${reason}.`);
    this.name = "IssuerError";
    this.step = step;
    this.reason = reason;
    this.status = details.status;
    this.oauthCode = details.oauthCode;
    this.failure = details.failure;
  }

  /** How a person can act on it: the one place that tells "was it the network". */
  get failureClass(): IssuerFailureClass {
    if (this.failure === "permission") return "not_granted";
    if (this.failure !== undefined) return "unreachable";
    if (this.status === undefined || (this.status >= 200 && this.status < 300)) return "invalid";
    return this.status >= 500 ? "failed" : "refused";
  }
}

/** The next step when the issuer could not be reached at all. */
export const CHECK_CONNECTION = "Check your connection (and any proxy), then try again.";

/**
 * The one conversion of an issuer failure into a {@linkcode LoginError} of `kind`: what happened
 * is the issuer error's sentence; the next step is {@linkcode CHECK_CONNECTION} when the
 * issuer could not be reached, else `next`; the code is `kind.failureClass`. Anything that is
 * not an {@linkcode IssuerError} is returned as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IssuerError, issuerFailure } from "./issuer_types.ts";
 * const err = issuerFailure(
 *   new IssuerError("code_exchange", "the issuer answered 400 (invalid_grant)", {
 *     status: 400,
 *     oauthCode: "invalid_grant",
 *   }),
 *   "code_exchange",
 *   "Run codex-login again.",
 * );
 * assert.equal(err instanceof Error && "code" in err ? err.code : "", "code_exchange.refused");
 * ```
 */
export function issuerFailure(err: unknown, kind: LoginErrorKind, next: string): unknown {
  if (!(err instanceof IssuerError)) return err;
  const unreachable = err.failureClass === "unreachable";
  return new LoginError(kind, {
    what: err.message,
    next: unreachable ? CHECK_CONNECTION : next,
    code: `${kind}.${err.failureClass}`,
    oauthCode: err.oauthCode,
    cause: err,
  });
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
  workload_identity: "exchange the workload identity's assertion",
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
