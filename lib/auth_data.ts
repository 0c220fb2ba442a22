/**
 * What the Codex CLI keeps in auth.json (or its keyring entry): the shapes, reading and
 * validating them, and the JSON text written back.
 *
 * @module
 */

import { LoginError } from "./errors.ts";
import { isJsonObject } from "./json.ts";

/** The tokens of a ChatGPT sign-in, as the Codex CLI reads them. */
export interface StoredTokens {
  /** JWT with the account claims. */
  id_token: string;
  /** Access token. */
  access_token: string;
  /** Refresh token. */
  refresh_token: string;
  /** `chatgpt_account_id` from the id_token, or "" when the issuer sent none (as the seed). */
  account_id: string;
}

/** auth.json after a ChatGPT sign-in. */
export interface ChatGptAuth {
  /** Always `chatgpt`. */
  auth_mode: "chatgpt";
  /** The API key from the token exchange, or null when there is none. */
  OPENAI_API_KEY: string | null;
  /** The OAuth tokens. */
  tokens: StoredTokens;
  /** When the tokens were last obtained, RFC 3339 UTC with `Z`. */
  last_refresh: string;
}

/** auth.json after `login --with-api-key`. */
export interface ApiKeyAuth {
  /** Always `apikey`. */
  auth_mode: "apikey";
  /** The API key. */
  OPENAI_API_KEY: string;
}

/** What auth.json holds. */
export type AuthData = ChatGptAuth | ApiKeyAuth;

/** Stored credentials exist but cannot be used: not JSON, wrong shape, a directory, unreadable. */
export class AuthFileError extends LoginError {
  /** Where they are (the file's path, or the store's description). */
  readonly path: string;
  /** Make an AuthFileError for `path`. */
  constructor(path: string, problem: string) {
    super(
      "corrupt_auth",
      `${path} ${problem}. Sign in again with \`codex-login login\` (it replaces the file), or remove it.`,
    );
    this.name = "AuthFileError";
    this.path = path;
  }
}

/**
 * Validate stored credentials (already parsed from JSON). `where` names them in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthFileError, parseAuthData } from "./auth_data.ts";
 * const auth = parseAuthData("auth.json", { OPENAI_API_KEY: "sk-x" });
 * assert.equal(auth.auth_mode, "apikey");
 * assert.throws(() => parseAuthData("auth.json", []), AuthFileError);
 * ```
 */
export function parseAuthData(where: string, value: unknown): AuthData {
  if (!isJsonObject(value)) throw new AuthFileError(where, "is not a JSON object");
  const key = value.OPENAI_API_KEY;
  const tokens = value.tokens;
  const mode = value.auth_mode;
  if (isJsonObject(tokens) && mode !== "apikey") {
    for (const field of ["id_token", "access_token", "refresh_token"]) {
      if (typeof tokens[field] !== "string") {
        throw new AuthFileError(where, `has no valid tokens.${field}`);
      }
    }
    return {
      auth_mode: "chatgpt",
      OPENAI_API_KEY: typeof key === "string" ? key : null,
      tokens: {
        id_token: tokens.id_token as string,
        access_token: tokens.access_token as string,
        refresh_token: tokens.refresh_token as string,
        account_id: typeof tokens.account_id === "string" ? tokens.account_id : "",
      },
      last_refresh: typeof value.last_refresh === "string" ? value.last_refresh : "",
    };
  }
  if (typeof key === "string" && key.length > 0) {
    return { auth_mode: "apikey", OPENAI_API_KEY: key };
  }
  throw new AuthFileError(where, "holds neither tokens nor an API key");
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
