/**
 * The account commands' logic: who is signed in (`status`), signing out with a revoke
 * (`logout`), keeping a session alive (`refresh`, under the auth lock so two refreshes never
 * lose a rotated refresh token), and saving a plain API key (`login --with-api-key`).
 *
 * @module
 */

import { type AuthData, AuthFileError, type ChatGptAuth, rfc3339 } from "./auth_data.ts";
import type { CredentialStore } from "./credential_store.ts";
import { LoginError } from "./errors.ts";
import { type IssuerClient, IssuerError } from "./issuer.ts";
import { accountClaims } from "./jwt.ts";
import { maskKey } from "./redact.ts";

/** What `status` reports. Holds no secret: the API key is masked. */
export interface StatusReport {
  /** Whether auth.json holds usable credentials. */
  logged_in: boolean;
  /** `chatgpt`, `apikey`, or null when not logged in. */
  auth_mode: "chatgpt" | "apikey" | null;
  /** Where the credentials are (the auth.json path for the file store). */
  auth_file: string;
  /** The masked API key (first 3 and last 4 characters at most). */
  api_key?: string | null;
  /** From the id_token. */
  email?: string | null;
  /** From the access token (else the id_token). */
  plan?: string | null;
  /** `tokens.account_id`. */
  account_id?: string | null;
  /** RFC 3339, from the id_token's `exp`. */
  id_token_expires_at?: string | null;
  /** RFC 3339, from the access token's `exp` (null when it is not a JWT). */
  access_token_expires_at?: string | null;
  /** `last_refresh`. */
  last_refresh?: string | null;
}

/**
 * Read auth.json and report on it. Never writes. Throws {@linkcode AuthFileError} for a
 * corrupt file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getStatus } from "./account.ts";
 * import { FileCredentialStore } from "./file_store.ts";
 * const report = await getStatus(new FileCredentialStore(await Deno.makeTempDir()));
 * assert.equal(report.logged_in, false);
 * ```
 */
export async function getStatus(store: CredentialStore): Promise<StatusReport> {
  const auth = await store.load();
  const auth_file = store.describe();
  if (!auth) return { logged_in: false, auth_mode: null, auth_file };
  if (auth.auth_mode === "apikey") {
    return {
      logged_in: true,
      auth_mode: "apikey",
      auth_file,
      api_key: maskKey(auth.OPENAI_API_KEY),
    };
  }
  const id = accountClaims(auth.tokens.id_token);
  const access = accountClaims(auth.tokens.access_token);
  return {
    logged_in: true,
    auth_mode: "chatgpt",
    auth_file,
    api_key: auth.OPENAI_API_KEY ? maskKey(auth.OPENAI_API_KEY) : null,
    email: id.email ?? null,
    plan: access.planType ?? id.planType ?? null,
    account_id: auth.tokens.account_id || id.accountId || null,
    id_token_expires_at: id.expiresAt ? rfc3339(id.expiresAt) : null,
    access_token_expires_at: access.expiresAt ? rfc3339(access.expiresAt) : null,
    last_refresh: auth.last_refresh || null,
  };
}

function when(iso: string | null | undefined, now: Date): string {
  if (!iso) return "unknown";
  const ms = Date.parse(iso) - now.getTime();
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const span = minutes < 120
    ? `${minutes} min`
    : minutes < 2880
    ? `${Math.round(minutes / 60)} h`
    : `${Math.round(minutes / 1440)} days`;
  return `${iso} (${ms >= 0 ? `in ${span}` : `${span} ago`})`;
}

/**
 * The human form of a status report, one fact a line.
 *
 * @example
 * ```ts
 * import { formatStatus } from "./account.ts";
 * import assert from "node:assert/strict";
 * const text = formatStatus({ logged_in: false, auth_mode: null, auth_file: "/x" }, new Date());
 * assert.equal(text, "Not logged in");
 * ```
 */
export function formatStatus(report: StatusReport, now: Date): string {
  if (!report.logged_in) return "Not logged in";
  if (report.auth_mode === "apikey") return `Logged in using an API key - ${report.api_key}`;
  const lines = ["Logged in using ChatGPT"];
  lines.push(`  Email:           ${report.email ?? "unknown"}`);
  lines.push(`  Plan:            ${report.plan ?? "unknown"}`);
  lines.push(`  Account:         ${report.account_id ?? "unknown"}`);
  lines.push(`  ID token:        expires ${when(report.id_token_expires_at, now)}`);
  lines.push(`  Access token:    expires ${when(report.access_token_expires_at, now)}`);
  lines.push(`  Last refreshed:  ${when(report.last_refresh, now)}`);
  if (report.api_key) lines.push(`  API key:         ${report.api_key}`);
  return lines.join("\n");
}

/** What `logout` did. */
export interface LogoutOutcome {
  /** auth.json existed and was removed. */
  removed: boolean;
  /** `revoked`, `skipped` (--no-revoke or nothing to revoke), or the revoke error message. */
  revoke: "revoked" | "skipped" | { failed: string };
}

/**
 * Revoke the refresh token (unless `revoke` is false), then remove auth.json. A failed revoke
 * still removes the local credentials. A corrupt auth.json is removed without a revoke.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logout, saveApiKey } from "./account.ts";
 * import { FileCredentialStore } from "./file_store.ts";
 * import { IssuerClient } from "./issuer.ts";
 * const store = new FileCredentialStore(await Deno.makeTempDir());
 * await saveApiKey(store, "sk-proj-0123456789abcdefghij");
 * // An API key has no refresh token: nothing to revoke, the file is removed.
 * const outcome = await logout({ store, client: new IssuerClient(), revoke: true });
 * assert.deepEqual(outcome, { removed: true, revoke: "skipped" });
 * ```
 */
export async function logout(options: {
  store: CredentialStore;
  client: IssuerClient;
  revoke: boolean;
}): Promise<LogoutOutcome> {
  const { store } = options;
  let auth: AuthData | undefined;
  try {
    auth = await store.load();
  } catch (err) {
    if (!(err instanceof AuthFileError)) throw err;
    return { removed: await store.remove(), revoke: "skipped" };
  }
  if (!auth) return { removed: false, revoke: "skipped" };
  let revoke: LogoutOutcome["revoke"] = "skipped";
  if (options.revoke && auth.auth_mode === "chatgpt") {
    try {
      await options.client.revoke(auth.tokens.refresh_token);
      revoke = "revoked";
    } catch (err) {
      revoke = { failed: err instanceof Error ? err.message : String(err) };
    }
  }
  return { removed: await store.remove(), revoke };
}

function requireChatGpt(auth: AuthData | undefined): ChatGptAuth {
  if (!auth) {
    throw new LoginError("not_logged_in", "Not logged in: sign in with `codex-login login` first.");
  }
  if (auth.auth_mode !== "chatgpt") {
    throw new LoginError(
      "not_logged_in",
      "Logged in with an API key, which does not need refreshing. Use `codex-login login` to sign in with ChatGPT.",
    );
  }
  return auth;
}

/**
 * Refresh the stored tokens. Holds the auth lock for the whole exchange and re-reads
 * auth.json under it, so a concurrent refresh (another process) never makes us send a
 * refresh token that was already rotated. Stores every token the issuer returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refreshAuth } from "./account.ts";
 * import { FileCredentialStore } from "./file_store.ts";
 * import { IssuerClient } from "./issuer.ts";
 * const store = new FileCredentialStore(await Deno.makeTempDir());
 * await assert.rejects(
 *   refreshAuth({ store, client: new IssuerClient(), now: () => new Date() }),
 *   /Not logged in/,
 * );
 * ```
 */
export async function refreshAuth(options: {
  store: CredentialStore;
  client: IssuerClient;
  now: () => Date;
}): Promise<ChatGptAuth> {
  // Checked before the lock too, so that refreshing while not logged in creates nothing.
  requireChatGpt(await options.store.load());
  return await options.store.withLock(async (locked) => {
    const auth = requireChatGpt(await locked.load());
    let fresh;
    try {
      fresh = await options.client.refresh(auth.tokens.refresh_token);
    } catch (err) {
      if (
        err instanceof IssuerError &&
        (err.status === 401 || err.oauthCode === "invalid_grant" ||
          err.oauthCode === "refresh_token_expired" || err.oauthCode === "refresh_token_reused")
      ) {
        throw new LoginError(
          "refresh_failed",
          `Your sign-in has expired or was revoked (${
            err.oauthCode ?? `HTTP ${err.status}`
          }): sign in again with \`codex-login login\`. auth.json was left unchanged.`,
          { oauthCode: err.oauthCode, cause: err },
        );
      }
      const message = err instanceof Error ? err.message : String(err);
      throw new LoginError(
        "refresh_failed",
        `${message} auth.json was left unchanged; try again later.`,
        { cause: err },
      );
    }
    if (!fresh.idToken && !fresh.accessToken && !fresh.refreshToken) {
      throw new LoginError(
        "refresh_failed",
        "The issuer's refresh answer had no tokens. auth.json was left unchanged; try again later.",
      );
    }
    const idToken = fresh.idToken ?? auth.tokens.id_token;
    const updated: ChatGptAuth = {
      ...auth,
      tokens: {
        id_token: idToken,
        access_token: fresh.accessToken ?? auth.tokens.access_token,
        refresh_token: fresh.refreshToken ?? auth.tokens.refresh_token,
        account_id: accountClaims(idToken).accountId ?? auth.tokens.account_id,
      },
      last_refresh: rfc3339(options.now()),
    };
    await locked.save(updated);
    return updated;
  });
}

/**
 * Check a pasted API key: trimmed, non-empty, one printable word starting with `sk-`.
 * Throws a LoginError whose message never repeats the input.
 *
 * @example
 * ```ts
 * import { validateApiKey } from "./account.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   validateApiKey("  sk-proj-abcdefghijklmnopqrstuvwx\n"),
 *   "sk-proj-abcdefghijklmnopqrstuvwx",
 * );
 * ```
 */
export function validateApiKey(raw: string): string {
  const key = raw.trim();
  if (key.length === 0) {
    throw new LoginError(
      "invalid_input",
      "No API key was given: pipe it in (`printenv OPENAI_API_KEY | codex-login login --with-api-key`) or paste it at the prompt.",
    );
  }
  if (!/^sk-[A-Za-z0-9_-]{16,}$/.test(key) || key.length > 512) {
    throw new LoginError(
      "invalid_input",
      "That does not look like an OpenAI API key (one word starting with sk-); nothing was saved. Copy it again from the API keys page.",
    );
  }
  return key;
}

/** Save an API key as `{"auth_mode":"apikey","OPENAI_API_KEY":...}` (atomic, 0600). */
export async function saveApiKey(store: CredentialStore, key: string): Promise<void> {
  await store.save({ auth_mode: "apikey", OPENAI_API_KEY: validateApiKey(key) });
}
