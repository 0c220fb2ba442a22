/**
 * What the Codex CLI keeps in auth.json (or its keyring entry): the shapes, reading and
 * validating them, and the JSON text written back.
 *
 * @module
 */

import { commandLine } from "../base/invocation.ts";
import { LoginError } from "../base/errors.ts";
import { isJsonObject, type JsonObject } from "../base/json.ts";

/**
 * How Codex names the way a person is signed in (`auth_mode` in auth.json). `headers` exists
 * only in memory in Codex and is never stored.
 */
export type AuthMode =
  | "apikey"
  | "chatgpt"
  | "chatgptAuthTokens"
  | "agentIdentity"
  | "personalAccessToken"
  | "bedrockApiKey"
  | "bedrockAccessKeys";

/** Where a ChatGPT sign-in's tokens came from (Codex 0.169 refreshes at this issuer). */
export interface OAuthProvenance {
  /** The issuer's base URL. */
  issuer: string;
  /** The OAuth client the tokens were issued to. */
  client_id: string;
}

/** The tokens of a ChatGPT sign-in, as the Codex CLI reads them. */
export interface StoredTokens {
  /** JWT with the account claims. */
  id_token: string;
  /** Access token. */
  access_token: string;
  /** Refresh token ("" for tokens handed in by a host application). */
  refresh_token: string;
  /** Where the tokens came from (written by every sign-in since Codex 0.169). */
  oauth_provenance?: OAuthProvenance;
  /**
   * A random id of the sign-in that obtained these tokens: new at every sign-in, kept by
   * every refresh, so a program can tell "refreshed" from "replaced by another sign-in".
   */
  login_owner_id?: string;
  /** `chatgpt_account_id` from the id_token, or null when the issuer sent none (as Codex). */
  account_id: string | null;
  /** Fields a newer Codex may add: kept as they are on every rewrite. */
  [field: string]: unknown;
}

/** auth.json after a ChatGPT sign-in (or tokens a host application handed to Codex). */
export interface ChatGptAuth {
  /** `chatgpt` (managed by Codex), or `chatgptAuthTokens` (a host's, never refreshed here). */
  auth_mode: "chatgpt" | "chatgptAuthTokens";
  /** The API key from the token exchange, or null when there is none. */
  OPENAI_API_KEY: string | null;
  /** The OAuth tokens. */
  tokens: StoredTokens;
  /** When the tokens were last obtained, RFC 3339 UTC with `Z`. */
  last_refresh: string;
  /** Fields we do not own (`agent_identity`, anything unknown): kept on every rewrite. */
  [field: string]: unknown;
}

/** auth.json after `login --with-api-key`. */
export interface ApiKeyAuth {
  /** Always `apikey`. */
  auth_mode: "apikey";
  /** The API key. */
  OPENAI_API_KEY: string;
  /** Fields we do not own: kept on every rewrite. */
  [field: string]: unknown;
}

/** auth.json written by Codex's other sign-ins, which codex-login reports and removes. */
export interface OtherAuth {
  /** How Codex signed in. */
  auth_mode: "agentIdentity" | "personalAccessToken" | "bedrockApiKey" | "bedrockAccessKeys";
  /** Everything else, as Codex wrote it. */
  [field: string]: unknown;
}

/** What auth.json holds. */
export type AuthData = ChatGptAuth | ApiKeyAuth | OtherAuth;

/** Stored credentials exist but cannot be used: not JSON, wrong shape, a directory, unreadable. */
export class AuthFileError extends LoginError {
  /** Where they are (the file's path, or the store's description). */
  readonly path: string;
  /** Make an AuthFileError for `path`; `next` when signing in again would not mend it. */
  constructor(path: string, problem: string, next?: string) {
    super("corrupt_auth", {
      what: `${path} ${problem}.`,
      next: next ??
        `Sign in again with \`${commandLine(["login"])}\` (it replaces the file), or remove it.`,
    });
    this.name = "AuthFileError";
    this.path = path;
  }
}

/**
 * The mode of a stored record as Codex resolves it: `auth_mode` when present, else a personal
 * access token, then a Bedrock API key, then Bedrock AWS access keys, then an API key, then
 * ChatGPT.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveAuthMode } from "./auth_data.ts";
 * assert.equal(resolveAuthMode({ OPENAI_API_KEY: "sk-x", tokens: {} }), "apikey");
 * assert.equal(resolveAuthMode({ OPENAI_API_KEY: null, tokens: {} }), "chatgpt");
 * assert.equal(resolveAuthMode({ personal_access_token: "p", OPENAI_API_KEY: "k" }),
 *   "personalAccessToken");
 * ```
 */
export function resolveAuthMode(record: JsonObject): string {
  if (record.auth_mode !== undefined && record.auth_mode !== null) return String(record.auth_mode);
  if (record.personal_access_token !== undefined && record.personal_access_token !== null) {
    return "personalAccessToken";
  }
  if (record.bedrock_api_key !== undefined && record.bedrock_api_key !== null) {
    return "bedrockApiKey";
  }
  if (record.bedrock_access_keys !== undefined && record.bedrock_access_keys !== null) {
    return "bedrockAccessKeys";
  }
  if (typeof record.OPENAI_API_KEY === "string") return "apikey";
  return "chatgpt";
}

function chatGptAuth(
  where: string,
  value: JsonObject,
  mode: ChatGptAuth["auth_mode"],
): ChatGptAuth {
  const tokens = value.tokens;
  if (!isJsonObject(tokens)) throw new AuthFileError(where, "has no tokens");
  for (const field of ["id_token", "access_token", "refresh_token"]) {
    if (typeof tokens[field] !== "string") {
      throw new AuthFileError(where, `has no valid tokens.${field}`);
    }
  }
  const key = value.OPENAI_API_KEY;
  return {
    ...value,
    auth_mode: mode,
    OPENAI_API_KEY: typeof key === "string" ? key : null,
    tokens: {
      ...tokens,
      id_token: String(tokens.id_token),
      access_token: String(tokens.access_token),
      refresh_token: String(tokens.refresh_token),
      account_id: typeof tokens.account_id === "string" ? tokens.account_id : null,
    },
    last_refresh: typeof value.last_refresh === "string" ? value.last_refresh : "",
  };
}

const MATERIAL: Record<OtherAuth["auth_mode"], string> = {
  agentIdentity: "agent_identity",
  personalAccessToken: "personal_access_token",
  bedrockApiKey: "bedrock_api_key",
  bedrockAccessKeys: "bedrock_access_keys",
};

/**
 * Validate stored credentials (already parsed from JSON), the way Codex reads them. Every
 * field is kept, known or not. `where` names them in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthFileError, parseAuthData } from "./auth_data.ts";
 * const auth = parseAuthData("auth.json", { OPENAI_API_KEY: "sk-x", future_field: 1 });
 * assert.equal(auth.auth_mode, "apikey");
 * assert.equal(auth.future_field, 1);
 * assert.throws(() => parseAuthData("auth.json", []), AuthFileError);
 * ```
 */
export function parseAuthData(where: string, value: unknown): AuthData {
  if (!isJsonObject(value)) throw new AuthFileError(where, "is not a JSON object");
  const mode = resolveAuthMode(value);
  switch (mode) {
    case "chatgpt":
    case "chatgptAuthTokens":
      if (value.tokens === undefined && typeof value.OPENAI_API_KEY !== "string") {
        throw new AuthFileError(where, "holds neither tokens nor an API key");
      }
      return chatGptAuth(where, value, mode);
    case "apikey":
      if (typeof value.OPENAI_API_KEY !== "string" || value.OPENAI_API_KEY.length === 0) {
        throw new AuthFileError(where, "says apikey but holds no OPENAI_API_KEY");
      }
      return { ...value, auth_mode: "apikey", OPENAI_API_KEY: value.OPENAI_API_KEY };
    case "agentIdentity":
    case "personalAccessToken":
    case "bedrockApiKey":
    case "bedrockAccessKeys":
      if (value[MATERIAL[mode]] === undefined || value[MATERIAL[mode]] === null) {
        throw new AuthFileError(where, `says ${mode} but holds no ${MATERIAL[mode]}`);
      }
      return { ...value, auth_mode: mode };
    default:
      throw new AuthFileError(where, `has an auth_mode codex-login does not know (${mode})`);
  }
}

/**
 * Parse stored JSON text, see {@linkcode parseAuthData}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthFileError, parseAuthText } from "./auth_data.ts";
 * assert.throws(() => parseAuthText("auth.json", "{"), AuthFileError);
 * ```
 */
export function parseAuthText(where: string, text: string): AuthData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AuthFileError(where, "is not valid JSON");
  }
  return parseAuthData(where, value);
}

/**
 * The JSON text written to auth.json: 2-space indentation, a final newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serializeAuth } from "./auth_data.ts";
 * assert.equal(serializeAuth({ auth_mode: "apikey", OPENAI_API_KEY: "k" }).at(-1), "\n");
 * ```
 */
export function serializeAuth(data: AuthData): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * RFC 3339 UTC with a `Z`, as the seed writes `last_refresh`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rfc3339 } from "./auth_data.ts";
 * assert.equal(rfc3339(new Date(0)), "1970-01-01T00:00:00.000Z");
 * ```
 */
export function rfc3339(now: Date): string {
  return now.toISOString();
}

/**
 * The provenance of a ChatGPT sign-in, when it has a well-formed one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { provenanceOf } from "./auth_data.ts";
 * const tokens = { oauth_provenance: { issuer: "https://auth.openai.com", client_id: "app_x" } };
 * assert.deepEqual(provenanceOf({ tokens }), { issuer: "https://auth.openai.com", client_id: "app_x" });
 * assert.equal(provenanceOf({ tokens: {} }), undefined);
 * ```
 */
export function provenanceOf(auth: AuthData | JsonObject): OAuthProvenance | undefined {
  const tokens = auth.tokens;
  if (!isJsonObject(tokens)) return undefined;
  const p = tokens.oauth_provenance;
  if (!isJsonObject(p) || typeof p.issuer !== "string" || typeof p.client_id !== "string") {
    return undefined;
  }
  return { issuer: p.issuer, client_id: p.client_id };
}

/**
 * A personal access token as `codex login --with-access-token` (0.169) writes it:
 * `{"OPENAI_API_KEY": null, "personal_access_token": "at-..."}`, without `auth_mode`. In
 * memory the record still says `auth_mode: "personalAccessToken"` (as a read would), but
 * that field is not enumerable, so the JSON written is exactly Codex's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { personalAccessTokenRecord, serializeAuth } from "./auth_data.ts";
 * const record = personalAccessTokenRecord("at-example");
 * assert.equal(record.auth_mode, "personalAccessToken");
 * assert.deepEqual(JSON.parse(serializeAuth(record)), {
 *   OPENAI_API_KEY: null,
 *   personal_access_token: "at-example",
 * });
 * ```
 */
export function personalAccessTokenRecord(token: string): OtherAuth {
  const record = { OPENAI_API_KEY: null, personal_access_token: token };
  Object.defineProperty(record, "auth_mode", { value: "personalAccessToken", enumerable: false });
  return record as typeof record & { auth_mode: "personalAccessToken" };
}

/**
 * The ChatGPT sign-in of stored credentials (Codex's own, or tokens a host application handed
 * to Codex), else `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chatGptOf } from "./auth_data.ts";
 * assert.equal(chatGptOf({ auth_mode: "apikey", OPENAI_API_KEY: "sk-x" }), undefined);
 * ```
 */
export function chatGptOf(auth: AuthData | undefined): ChatGptAuth | undefined {
  return auth?.auth_mode === "chatgpt" || auth?.auth_mode === "chatgptAuthTokens"
    ? auth
    : undefined;
}

/**
 * The refresh token of a Codex-managed ChatGPT sign-in (the session codex-login may refresh,
 * retire or revoke), else `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { managedRefreshToken } from "./auth_data.ts";
 * const auth = { auth_mode: "chatgpt" as const, OPENAI_API_KEY: null, last_refresh: "",
 *   tokens: { id_token: "i", access_token: "a", refresh_token: "r", account_id: null } };
 * assert.equal(managedRefreshToken(auth), "r");
 * assert.equal(managedRefreshToken({ ...auth, auth_mode: "chatgptAuthTokens" }), undefined);
 * ```
 */
export function managedRefreshToken(auth: AuthData | undefined): string | undefined {
  return auth?.auth_mode === "chatgpt" ? auth.tokens.refresh_token || undefined : undefined;
}

/**
 * A string field of a stored record that Codex owns (`personal_access_token`, ...), when it is
 * a non-empty string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { personalAccessTokenRecord, recordString } from "./auth_data.ts";
 * const record = personalAccessTokenRecord("at-x");
 * assert.equal(recordString(record, "personal_access_token"), "at-x");
 * assert.equal(recordString(record, "missing"), undefined);
 * ```
 */
export function recordString(auth: AuthData, field: string): string | undefined {
  const value = auth[field];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
