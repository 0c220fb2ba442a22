/**
 * Reads the claims of a JWT without verifying it (the tokens come straight from the issuer
 * over TLS; we only read what they say about the account). Every function here is total:
 * it never throws, whatever string it is given.
 *
 * @module
 */

import { isJsonObject, type JsonObject, stringField } from "../base/json.ts";

export type { JsonObject };

/** The claim namespace the OpenAI issuer puts its account facts under. */
export const OPENAI_AUTH_CLAIM = "https://api.openai.com/auth";
/** The claim namespace the OpenAI issuer puts the profile (email) under. */
export const OPENAI_PROFILE_CLAIM = "https://api.openai.com/profile";

/**
 * The payload of a three-part JWT as an object, or `undefined` when the string is not a JWT
 * whose payload is base64url-encoded JSON object (padding optional).
 *
 * @example
 * ```ts
 * import { decodeJwtClaims } from "./jwt.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decodeJwtClaims("e30.eyJzdWIiOiJ1In0.sig")?.sub, "u");
 * assert.equal(decodeJwtClaims("not a jwt"), undefined);
 * ```
 */
export function decodeJwtClaims(token: string): JsonObject | undefined {
  if (typeof token !== "string") return undefined;
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const segment = parts[1];
  if (segment.length === 0 || !/^[A-Za-z0-9_-]+={0,2}$/.test(segment)) return undefined;
  try {
    const bytes = Uint8Array.fromBase64(segment.replace(/=+$/, ""), {
      alphabet: "base64url",
      lastChunkHandling: "loose",
    });
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The account facts the issuer puts in its tokens, with absent or mistyped claims left out. */
export interface AccountClaims {
  /** `chatgpt_account_id`. */
  accountId?: string;
  /** `organization_id` (newer issuers may omit it). */
  organizationId?: string;
  /** `project_id` (newer issuers may omit it). */
  projectId?: string;
  /** `chatgpt_plan_type`, e.g. `plus`, `pro`, `free`. */
  planType?: string;
  /** `completed_platform_onboarding === true`. */
  completedPlatformOnboarding: boolean;
  /** `is_org_owner === true`. */
  isOrgOwner: boolean;
  /** `chatgpt_subscription_active_start`. */
  subscriptionActiveStart?: string;
  /** `email`, at the top level or in the profile claim. */
  email?: string;
  /** `exp` as a Date, when it is a whole number of seconds. */
  expiresAt?: Date;
}

function objectAt(root: JsonObject, key: string): JsonObject {
  const value = root[key];
  return isJsonObject(value) ? value : {};
}

/**
 * Typed account facts from decoded claims (or from a token string).
 *
 * @example
 * ```ts
 * import { accountClaims } from "./jwt.ts";
 * const facts = accountClaims({
 *   "https://api.openai.com/auth": { chatgpt_account_id: "acc", is_org_owner: true },
 * });
 * import assert from "node:assert/strict";
 * assert.equal(facts.accountId, "acc");
 * assert.equal(facts.isOrgOwner, true);
 * ```
 */
export function accountClaims(claimsOrToken: JsonObject | string | undefined): AccountClaims {
  const claims = typeof claimsOrToken === "string" ? decodeJwtClaims(claimsOrToken) : claimsOrToken;
  const root = claims ?? {};
  const auth = objectAt(root, OPENAI_AUTH_CLAIM);
  const profile = objectAt(root, OPENAI_PROFILE_CLAIM);
  const exp = root.exp;
  return {
    accountId: stringField(auth, "chatgpt_account_id"),
    organizationId: stringField(auth, "organization_id"),
    projectId: stringField(auth, "project_id"),
    planType: stringField(auth, "chatgpt_plan_type"),
    completedPlatformOnboarding: auth.completed_platform_onboarding === true,
    isOrgOwner: auth.is_org_owner === true,
    subscriptionActiveStart: stringField(auth, "chatgpt_subscription_active_start"),
    email: stringField(root, "email") ?? stringField(profile, "email"),
    expiresAt: typeof exp === "number" && Number.isSafeInteger(exp) && Math.abs(exp) < 8.64e12
      ? new Date(exp * 1000)
      : undefined,
  };
}

/**
 * Whether a token has expired at `now`. A token without a readable `exp` counts as expired,
 * as in the seed.
 *
 * @example
 * ```ts
 * import { isExpired } from "./jwt.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isExpired("garbage", new Date()), true);
 * ```
 */
export function isExpired(token: string, now: Date): boolean {
  const expiresAt = accountClaims(token).expiresAt;
  return expiresAt === undefined || now.getTime() >= expiresAt.getTime();
}
