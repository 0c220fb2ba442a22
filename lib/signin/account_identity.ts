/**
 * Who a credentials document belongs to, for the saved accounts: a ChatGPT sign-in is its
 * id_token's user (`chatgpt_user_id` in the auth claim, else `sub`) in its workspace
 * (`chatgpt_account_id`: members of one team share it); an API key, a personal access token or
 * another kind of credentials is a fingerprint of its secret (the first 16 hex digits of a
 * SHA-256, never the secret). Also the one check that a document does not mix two accounts:
 * its id_token's workspace must be its `tokens.account_id`.
 *
 * @module
 */

import { commandLine } from "../base/invocation.ts";
import { LoginError } from "../base/errors.ts";
import { isJsonObject, stringField } from "../base/json.ts";
import { safeLine } from "../base/terminal_safe.ts";
import { type AuthData, chatGptOf, recordString, serializeAuth } from "../store/auth_data.ts";
import { accountClaims, decodeJwtClaims, OPENAI_AUTH_CLAIM } from "../issuer/jwt.ts";

/** What identifies a document and what the list shows of it (never a secret). */
export interface AccountFacts {
  /** `chatgpt:<user>:<workspace>`, or `<kind>:<fingerprint>` for a key or token. */
  key: string;
  /** The document's `auth_mode`. */
  kind: string;
  /** The id_token's email. */
  email?: string;
  /** The workspace (`chatgpt_account_id`, else `tokens.account_id`). */
  accountId?: string;
  /** The id_token's user id. */
  userId?: string;
  /** The plan (access token's claim, else the id_token's). */
  plan?: string;
  /** `last_refresh`. */
  lastRefresh?: string;
  /** The label it gets when the person gives none (made unique by the list). */
  defaultLabel: string;
}

/** A document whose id_token is for one workspace and whose `tokens.account_id` names another. */
export interface MixedAccounts {
  /** The workspace the id_token is for. */
  idToken: string;
  /** `tokens.account_id`. */
  stored: string;
}

async function fingerprint(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return new Uint8Array(digest).toHex().slice(0, 16);
}

/** A label made from an email or a name: the characters a label may hold, at most 64. */
function labelFrom(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._@+-]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return cleaned.slice(0, 64) || "account";
}

/**
 * The user id of an id_token: `chatgpt_user_id` (or `user_id`) in the auth claim, else `sub`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { idTokenUser } from "./account_identity.ts";
 * const part = btoa(JSON.stringify({ sub: "auth0|x",
 *   "https://api.openai.com/auth": { chatgpt_user_id: "user-1" } })).replace(/=+$/, "");
 * assert.equal(idTokenUser(`e30.${part}.sig`), "user-1");
 * ```
 */
export function idTokenUser(idToken: string): string | undefined {
  const claims = decodeJwtClaims(idToken) ?? {};
  const auth = isJsonObject(claims[OPENAI_AUTH_CLAIM]) ? claims[OPENAI_AUTH_CLAIM] : {};
  return stringField(auth, "chatgpt_user_id") ?? stringField(auth, "user_id") ??
    stringField(claims, "sub");
}

/**
 * The two workspaces of a document that mixes two accounts, else `undefined` (a document
 * without an id_token workspace or without `tokens.account_id` mixes nothing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mixedAccounts } from "./account_identity.ts";
 * const id = `e30.${btoa(JSON.stringify({ "https://api.openai.com/auth":
 *   { chatgpt_account_id: "acct_A" } })).replace(/=+$/, "")}.sig`;
 * const doc = { auth_mode: "chatgpt" as const, OPENAI_API_KEY: null, last_refresh: "",
 *   tokens: { id_token: id, access_token: "a", refresh_token: "r", account_id: "acct_B" } };
 * assert.deepEqual(mixedAccounts(doc), { idToken: "acct_A", stored: "acct_B" });
 * ```
 */
export function mixedAccounts(auth: AuthData): MixedAccounts | undefined {
  const chatgpt = chatGptOf(auth);
  if (!chatgpt) return undefined;
  const fromToken = accountClaims(chatgpt.tokens.id_token).accountId;
  const stored = chatgpt.tokens.account_id;
  if (!fromToken || !stored || fromToken === stored) return undefined;
  return { idToken: fromToken, stored };
}

/** The refusal to save or switch a document that mixes two accounts (nothing is changed). */
export function mixedError(where: string, mixed: MixedAccounts): LoginError {
  return new LoginError("corrupt_auth", {
    what: `${where} mixes two accounts: its ID token is for workspace ${
      safeLine(mixed.idToken)
    } but tokens.account_id says ${safeLine(mixed.stored)}, so it was neither saved nor switched.`,
    next: `Sign that account in again with \`${commandLine(["login", "--add"])}\`.`,
    code: "corrupt_auth.mixed_accounts",
  });
}

async function chatGptFacts(auth: AuthData, kind: string): Promise<AccountFacts | undefined> {
  const chatgpt = chatGptOf(auth);
  if (!chatgpt) return undefined;
  const id = accountClaims(chatgpt.tokens.id_token);
  const access = accountClaims(chatgpt.tokens.access_token);
  const userId = idTokenUser(chatgpt.tokens.id_token);
  const accountId = id.accountId ?? (chatgpt.tokens.account_id || undefined);
  // A refresh keeps the user, the email and `login_owner_id`: the key must not change with it.
  const owner = typeof chatgpt.tokens.login_owner_id === "string"
    ? `owner:${chatgpt.tokens.login_owner_id}`
    : undefined;
  const who = userId ?? (id.email ? `email:${id.email}` : undefined) ?? owner ?? "";
  const key = who || accountId
    ? `chatgpt:${who}:${accountId ?? ""}`
    : `${kind}:${await fingerprint(chatgpt.tokens.id_token)}`;
  return {
    key,
    kind,
    email: id.email,
    accountId,
    userId,
    plan: access.planType ?? id.planType,
    lastRefresh: chatgpt.last_refresh || undefined,
    defaultLabel: labelFrom(id.email ?? accountId ?? "chatgpt"),
  };
}

/** The secret a non-ChatGPT document is known by (its fingerprint, never shown). */
function secretOf(auth: AuthData): string {
  if (auth.auth_mode === "apikey") return auth.OPENAI_API_KEY;
  return recordString(auth, "personal_access_token") ?? serializeAuth(auth);
}

const KIND_LABELS: Record<string, string> = {
  apikey: "api-key",
  personalAccessToken: "access-token",
};

/**
 * Who `auth` belongs to and what the list shows of it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accountFacts } from "./account_identity.ts";
 * const facts = await accountFacts({ auth_mode: "apikey", OPENAI_API_KEY: "sk-proj-x" });
 * assert.match(facts.key, /^apikey:[0-9a-f]{16}$/);
 * assert.match(facts.defaultLabel, /^api-key-[0-9a-f]{8}$/);
 * ```
 */
export async function accountFacts(auth: AuthData): Promise<AccountFacts> {
  const kind = auth.auth_mode;
  const chatgpt = await chatGptFacts(auth, kind);
  if (chatgpt) return chatgpt;
  const print = await fingerprint(secretOf(auth));
  return {
    key: `${kind}:${print}`,
    kind,
    defaultLabel: `${KIND_LABELS[kind] ?? labelFrom(kind)}-${print.slice(0, 8)}`,
  };
}
