/**
 * Keeping a ChatGPT session alive, as Codex does: refresh under the cross-process lock (two
 * refreshes never lose a rotated refresh token), keep every field the refresh does not own,
 * tell a session that has ended (permanent failures) from a passing problem, and hand a
 * valid access token to scripts, refreshing first when Codex would.
 *
 * @module
 */

import { type AuthData, type ChatGptAuth, rfc3339 } from "../store/auth_data.ts";
import type { CredentialStore, LockedStore } from "../store/credential_store.ts";
import { LoginError } from "../base/errors.ts";
import { type IssuerClient, IssuerError } from "../issuer/issuer.ts";
import { accountClaims } from "../issuer/jwt.ts";

/** Codex refreshes when the access token expires within this window. */
export const ACCESS_TOKEN_REFRESH_WINDOW_MS = 5 * 60_000;
/** Codex refreshes tokens whose expiry it cannot read after this long. */
export const TOKEN_REFRESH_INTERVAL_MS = 8 * 24 * 3600_000;

/** The refresh failures after which the session is over (Codex's words for each). */
const ENDED: Record<string, string> = {
  refresh_token_expired: "your refresh token has expired",
  refresh_token_reused: "your refresh token was already used",
  refresh_token_invalidated: "your refresh token was revoked",
  invalid_grant: "the issuer no longer accepts your refresh token",
};

function requireChatGpt(auth: AuthData | undefined): ChatGptAuth {
  if (!auth) {
    throw new LoginError("not_logged_in", "Not logged in: sign in with `codex-login login` first.");
  }
  if (auth.auth_mode === "chatgptAuthTokens") {
    throw new LoginError(
      "not_logged_in",
      "These ChatGPT tokens were handed to Codex by another application, which refreshes them itself. Sign in with `codex-login login` to get tokens of your own.",
    );
  }
  if (auth.auth_mode !== "chatgpt") {
    throw new LoginError(
      "not_logged_in",
      `Logged in with ${
        auth.auth_mode === "apikey" ? "an API key" : `Codex's ${auth.auth_mode} sign-in`
      }, which does not need refreshing. Use \`codex-login login\` to sign in with ChatGPT.`,
    );
  }
  return auth as ChatGptAuth;
}

/**
 * Whether Codex would refresh these tokens now: the access token expires within 5 minutes,
 * or (when its expiry cannot be read) the last refresh is more than 8 days old.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shouldRefresh } from "./token_refresh.ts";
 * const auth = { auth_mode: "chatgpt" as const, OPENAI_API_KEY: null, last_refresh:
 *   "2026-01-01T00:00:00Z", tokens: { id_token: "", access_token: "opaque",
 *   refresh_token: "rt", account_id: null } };
 * assert.equal(shouldRefresh(auth, new Date("2026-01-02T00:00:00Z")), false);
 * assert.equal(shouldRefresh(auth, new Date("2026-01-10T00:00:00Z")), true);
 * ```
 */
export function shouldRefresh(auth: ChatGptAuth, now: Date): boolean {
  const expiresAt = accountClaims(auth.tokens.access_token).expiresAt;
  if (expiresAt) return expiresAt.getTime() <= now.getTime() + ACCESS_TOKEN_REFRESH_WINDOW_MS;
  const last = Date.parse(auth.last_refresh);
  return Number.isFinite(last) && last < now.getTime() - TOKEN_REFRESH_INTERVAL_MS;
}

function refreshFailure(err: unknown, where: string): LoginError {
  if (err instanceof IssuerError && (err.status === 401 || ENDED[err.oauthCode ?? ""])) {
    const why = ENDED[err.oauthCode ?? ""] ?? `the issuer refused it (HTTP ${err.status})`;
    return new LoginError(
      "session_ended",
      `Your session has ended (${why}): sign in again with \`codex-login login\`. ${where} was left unchanged.`,
      { oauthCode: err.oauthCode, cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new LoginError(
    "refresh_failed",
    `${message} ${where} was left unchanged; this is usually passing, so try again in a moment.`,
    { cause: err },
  );
}

/** Refresh while holding the lock: re-read, exchange, write back keeping unknown fields. */
async function refreshLocked(
  locked: LockedStore,
  options: { store: CredentialStore; client: IssuerClient; now: () => Date },
): Promise<ChatGptAuth> {
  const auth = requireChatGpt(await locked.load());
  const where = options.store.describe();
  let fresh;
  try {
    fresh = await options.client.refresh(auth.tokens.refresh_token);
  } catch (err) {
    throw refreshFailure(err, where);
  }
  if (!fresh.idToken && !fresh.accessToken && !fresh.refreshToken) {
    throw new LoginError(
      "refresh_failed",
      `The issuer's refresh answer had no tokens. ${where} was left unchanged; try again later.`,
    );
  }
  const idToken = fresh.idToken ?? auth.tokens.id_token;
  const updated: ChatGptAuth = {
    ...auth,
    tokens: {
      ...auth.tokens,
      id_token: idToken,
      access_token: fresh.accessToken ?? auth.tokens.access_token,
      refresh_token: fresh.refreshToken ?? auth.tokens.refresh_token,
      account_id: accountClaims(idToken).accountId ?? auth.tokens.account_id,
    },
    last_refresh: rfc3339(options.now()),
  };
  await locked.save(updated);
  return updated;
}

/**
 * Refresh the stored tokens now. Holds the lock for the whole exchange and re-reads the
 * credentials under it, so a concurrent refresh (another process) never makes us send a
 * refresh token that was already rotated. Stores every token the issuer returns and keeps
 * every field it does not own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refreshAuth } from "./token_refresh.ts";
 * import { FileCredentialStore } from "../store/file_store.ts";
 * import { IssuerClient } from "../issuer/issuer.ts";
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
  return await options.store.withLock((locked) => refreshLocked(locked, options));
}

/**
 * A valid access token for scripts (`codex-login token`): the stored one, refreshed first
 * (under the lock) when Codex would refresh it. API-key sign-ins give the API key.
 */
export async function currentToken(options: {
  store: CredentialStore;
  client: IssuerClient;
  now: () => Date;
}): Promise<
  { token: string; kind: "access_token" | "api_key"; refreshed: boolean; auth: AuthData }
> {
  const auth = await options.store.load();
  if (auth?.auth_mode === "apikey") {
    return { token: auth.OPENAI_API_KEY as string, kind: "api_key", refreshed: false, auth };
  }
  const chatgpt = auth?.auth_mode === "chatgptAuthTokens"
    ? auth as ChatGptAuth
    : requireChatGpt(auth);
  if (chatgpt.auth_mode === "chatgpt" && shouldRefresh(chatgpt, options.now())) {
    const fresh = await options.store.withLock(async (locked) => {
      // Another process may have refreshed while we waited for the lock.
      const current = requireChatGpt(await locked.load());
      return shouldRefresh(current, options.now()) ? await refreshLocked(locked, options) : current;
    });
    return { token: fresh.tokens.access_token, kind: "access_token", refreshed: true, auth: fresh };
  }
  return {
    token: chatgpt.tokens.access_token,
    kind: "access_token",
    refreshed: false,
    auth: chatgpt,
  };
}
