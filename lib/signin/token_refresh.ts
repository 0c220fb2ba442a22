/**
 * Keeping a ChatGPT session alive beside a running Codex (0.169): refresh under Codex's two
 * locks, re-reading the store first so a refresh token it already replaced is never sent; at
 * the issuer the session came from (`oauth_provenance`), saying why (`refresh_reason`); keep
 * every field the refresh does not own (`login_owner_id` included); when the issuer says
 * `invalid_grant` (the token was already used, with no family revoked), wait briefly for the
 * other program's save and use its result (OpenAI's `refresh_token_reused` revokes the family:
 * the session has ended); tell a session that has ended from a passing problem; hand a valid
 * token to scripts, refreshing first when Codex would, and not while a running Codex may hold
 * the account (the `holder` check).
 *
 * @module
 */

import { commandLine } from "../base/invocation.ts";
import {
  type AuthData,
  type ChatGptAuth,
  managedRefreshToken,
  provenanceOf,
  recordString,
  rfc3339,
} from "../store/auth_data.ts";
import type { CredentialStore, LockedStore } from "../store/credential_store.ts";
import { errorText, LoginError } from "../base/errors.ts";
import { type IssuerClient, IssuerError, type RefreshReason } from "../issuer/issuer.ts";
import { accountClaims } from "../issuer/jwt.ts";

/** Codex refreshes when the access token expires within this window. */
export const ACCESS_TOKEN_REFRESH_WINDOW_MS = 5 * 60_000;
/** Codex refreshes tokens whose expiry it cannot read after this long. */
export const TOKEN_REFRESH_INTERVAL_MS = 8 * 24 * 3600_000;

/** How long a refresh told "already used" waits for the other program's save. */
export const OTHER_SAVE_WAIT_MS = 3_000;

/** The refresh failures after which the session is over (Codex's words for each). */
const ENDED: Record<string, string> = {
  refresh_token_expired: "your refresh token has expired",
  refresh_token_reused: "your refresh token was already used",
  refresh_token_invalidated: "your refresh token was revoked",
  invalid_grant: "the issuer no longer accepts your refresh token",
};

/** Why a mode has no token to refresh or print, in Codex's words where it has them. */
const NO_BEARER: Record<string, string> = {
  agentIdentity:
    "Signed in with an agent identity, which signs its own requests: there is no bearer token to print or refresh.",
  bedrockApiKey:
    "Signed in with an Amazon Bedrock API key, which does not expose a Codex bearer token: use the key with Amazon Bedrock directly.",
  bedrockAccessKeys:
    "Signed in with Amazon Bedrock AWS access keys, which do not expose a Codex bearer token: use your AWS credentials (an AWS profile or aws sts) instead.",
};

function requireChatGpt(auth: AuthData | undefined): ChatGptAuth {
  if (!auth) {
    throw new LoginError("not_logged_in", {
      what: "Not logged in.",
      next: `Sign in with \`${commandLine(["login"])}\` first.`,
    });
  }
  const noBearer = NO_BEARER[auth.auth_mode];
  if (noBearer) {
    throw new LoginError("not_logged_in", { what: noBearer, code: "not_logged_in.no_bearer" });
  }
  if (auth.auth_mode === "chatgptAuthTokens") {
    throw new LoginError("not_logged_in", {
      what:
        "These ChatGPT tokens were handed to Codex by another application, which refreshes them itself.",
      next: `Sign in with \`${commandLine(["login"])}\` to get tokens of your own.`,
      code: "not_logged_in.external_tokens",
    });
  }
  if (auth.auth_mode !== "chatgpt") {
    const how = auth.auth_mode === "apikey"
      ? "an API key"
      : auth.auth_mode === "personalAccessToken"
      ? "a personal access token"
      : `Codex's ${auth.auth_mode} sign-in`;
    throw new LoginError("not_logged_in", {
      what: `Logged in with ${how}, which does not need refreshing.`,
      next: `Use \`${commandLine(["login"])}\` to sign in with ChatGPT.`,
      code: "not_logged_in.not_chatgpt",
    });
  }
  return auth;
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
  return refreshReason(auth, now) !== undefined;
}

/**
 * Why Codex 0.169 would refresh these tokens now (`proactive_expiry`: the access token
 * expires within 5 minutes; `scheduled`: its expiry cannot be read and the last refresh is
 * over 8 days old), or `undefined` when it would not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refreshReason } from "./token_refresh.ts";
 * const auth = { auth_mode: "chatgpt" as const, OPENAI_API_KEY: null, last_refresh:
 *   "2026-01-01T00:00:00Z", tokens: { id_token: "", access_token: "opaque",
 *   refresh_token: "rt", account_id: null } };
 * assert.equal(refreshReason(auth, new Date("2026-01-10T00:00:00Z")), "scheduled");
 * ```
 */
export function refreshReason(auth: ChatGptAuth, now: Date): RefreshReason | undefined {
  const expiresAt = accountClaims(auth.tokens.access_token).expiresAt;
  if (expiresAt) {
    return expiresAt.getTime() <= now.getTime() + ACCESS_TOKEN_REFRESH_WINDOW_MS
      ? "proactive_expiry"
      : undefined;
  }
  const last = Date.parse(auth.last_refresh);
  return Number.isFinite(last) && last < now.getTime() - TOKEN_REFRESH_INTERVAL_MS
    ? "scheduled"
    : undefined;
}

/** The issuer's way of saying another program already spent this refresh token. */
function alreadyUsed(err: unknown): boolean {
  // Not `refresh_token_reused`: OpenAI then revokes the whole family, the other program's new
  // tokens included, so there is no save to wait for; the session has ended.
  return err instanceof IssuerError && err.oauthCode === "invalid_grant";
}

/** A refresh that lost the race: the token it sent had already been used. */
class RefreshRaceLost extends Error {
  constructor(readonly sent: string, readonly failure: unknown) {
    super("refresh token already used");
  }
}

function refreshFailure(err: unknown, where: string): LoginError {
  if (err instanceof IssuerError && (err.status === 401 || ENDED[err.oauthCode ?? ""])) {
    const why = ENDED[err.oauthCode ?? ""] ?? `the issuer refused it (HTTP ${err.status})`;
    return new LoginError("session_ended", {
      what: `Your session has ended (${why}): sign in again with \`${commandLine(["login"])}\`.`,
      next: `${where} was left unchanged.`,
      oauthCode: err.oauthCode,
      cause: err,
    });
  }
  const notGranted = err instanceof IssuerError && err.failureClass === "not_granted";
  return new LoginError("refresh_failed", {
    what: `${errorText(err)} ${where} was left unchanged.`,
    next: notGranted ? undefined : "Try again in a moment; a failure like this is usually brief.",
    code: err instanceof IssuerError ? `refresh_failed.${err.failureClass}` : "refresh_failed",
    cause: err,
  });
}

/** What a refresh needs: the store, a client (the session's own issuer is used), a clock. */
export interface RefreshOptions {
  /** Where the credentials are. */
  store: CredentialStore;
  /** The issuer client; a session with `oauth_provenance` refreshes at its own issuer. */
  client: IssuerClient;
  /** The clock. */
  now: () => Date;
  /** How long a refresh told "already used" waits for the other program's save, ms. */
  waitMs?: number;
  /**
   * Asked before any refresh is sent: why not now (a running Codex may hold the account in
   * memory and refreshes it itself), or `undefined` to go ahead. A refused `token` still hands
   * out an access token that has not expired.
   */
  holder?: () => Promise<LoginError | undefined>;
}

/**
 * Refresh while holding the lock: the credentials were re-read under it, so the refresh
 * token sent is the one stored now; write back keeping every field we do not own.
 */
async function refreshLocked(
  locked: LockedStore,
  auth: ChatGptAuth,
  reason: RefreshReason,
  options: RefreshOptions,
): Promise<ChatGptAuth> {
  const where = options.store.describe();
  let fresh;
  try {
    fresh = await options.client.at(provenanceOf(auth)).refresh(auth.tokens.refresh_token, {
      reason,
    });
  } catch (err) {
    if (alreadyUsed(err)) throw new RefreshRaceLost(auth.tokens.refresh_token, err);
    throw refreshFailure(err, where);
  }
  if (!fresh.idToken && !fresh.accessToken && !fresh.refreshToken) {
    throw new LoginError("refresh_failed", {
      what: `The issuer's refresh answer had no tokens. ${where} was left unchanged.`,
      next: "Try again later.",
      code: "refresh_failed.no_tokens",
    });
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
 * The other program's save after it won the race for `sent`: the store is polled (without
 * the lock, which the other program needs) until its refresh token is no longer `sent`.
 */
async function otherSave(
  lost: RefreshRaceLost,
  options: RefreshOptions,
  waitMs: number,
): Promise<ChatGptAuth> {
  const deadline = Date.now() + waitMs;
  while (true) {
    const current = await options.store.load().catch(() => undefined);
    const token = managedRefreshToken(current);
    if (current?.auth_mode === "chatgpt" && token && token !== lost.sent) return current;
    if (Date.now() >= deadline) throw refreshFailure(lost.failure, options.store.describe());
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Refresh under the lock when `reasonFor` (given the credentials re-read under it) says so;
 * a lost race is settled by the other program's save.
 */
async function lockedRefresh(
  options: RefreshOptions,
  reasonFor: (auth: ChatGptAuth) => RefreshReason | undefined,
): Promise<{ auth: ChatGptAuth; refreshed: boolean }> {
  try {
    return await options.store.withLock(async (locked) => {
      const auth = requireChatGpt(await locked.load());
      const reason = reasonFor(auth);
      if (!reason) return { auth, refreshed: false };
      return { auth: await refreshLocked(locked, auth, reason, options), refreshed: true };
    });
  } catch (err) {
    if (!(err instanceof RefreshRaceLost)) throw err;
    const auth = await otherSave(err, options, options.waitMs ?? OTHER_SAVE_WAIT_MS);
    return { auth, refreshed: true };
  }
}

/**
 * Refresh the stored tokens now (`refresh_reason: forced`). Holds Codex's locks for the whole
 * exchange and re-reads the credentials under them, so a concurrent refresh never makes us
 * send a refresh token that was already rotated; a Codex that sent the same token first (it
 * refreshes without a lock) wins, and its save is used. Stores every token the issuer
 * returns and keeps every field it does not own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refreshAuth } from "./token_refresh.ts";
 * import { FileCredentialStore } from "../store/file_store.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * import { HttpClient } from "../issuer/http_client.ts";
 * import { IssuerClient } from "../issuer/issuer.ts";
 * import { resolveIssuer } from "../issuer/issuer_config.ts";
 * const store = new FileCredentialStore(new CodexHome(await Deno.makeTempDir()));
 * const client = new IssuerClient({ endpoints: resolveIssuer(), http: new HttpClient() });
 * await assert.rejects(refreshAuth({ store, client, now: () => new Date() }), /Not logged in/);
 * ```
 */
export async function refreshAuth(
  options: RefreshOptions,
): Promise<ChatGptAuth> {
  // Checked before the lock too, so that refreshing while not logged in creates nothing.
  requireChatGpt(await options.store.load());
  const held = await options.holder?.();
  if (held) throw held;
  return (await lockedRefresh(options, () => "forced")).auth;
}

/** What `codex-login token` hands a script. */
export interface CurrentToken {
  /** The token (a bearer credential: never log it). */
  token: string;
  /** What it is. */
  kind: "access_token" | "api_key" | "personal_access_token";
  /** Whether it was refreshed (by us, or by another program we waited for). */
  refreshed: boolean;
  /** The credentials it came from. */
  auth: AuthData;
}

/**
 * A valid token for scripts (`codex-login token`): the stored access token, refreshed first
 * (under the lock, with Codex's `refresh_reason`) when Codex would refresh it. API-key and
 * personal-access-token sign-ins give the key or token itself.
 */
export async function currentToken(options: RefreshOptions): Promise<CurrentToken> {
  const auth = await options.store.load();
  if (auth?.auth_mode === "apikey") {
    return { token: auth.OPENAI_API_KEY, kind: "api_key", refreshed: false, auth };
  }
  const pat = auth?.auth_mode === "personalAccessToken"
    ? recordString(auth, "personal_access_token")
    : undefined;
  if (auth && pat) return { token: pat, kind: "personal_access_token", refreshed: false, auth };
  const chatgpt = auth?.auth_mode === "chatgptAuthTokens" ? auth : requireChatGpt(auth);
  if (chatgpt.auth_mode === "chatgpt" && shouldRefresh(chatgpt, options.now())) {
    const held = await options.holder?.();
    if (held) {
      const expiresAt = accountClaims(chatgpt.tokens.access_token).expiresAt;
      if (expiresAt && expiresAt.getTime() <= options.now().getTime()) throw held;
      return {
        token: chatgpt.tokens.access_token,
        kind: "access_token",
        refreshed: false,
        auth: chatgpt,
      };
    }
    // Another process may have refreshed while we waited for the lock: asked again under it.
    const got = await lockedRefresh(options, (current) => refreshReason(current, options.now()));
    return { token: got.auth.tokens.access_token, kind: "access_token", ...got };
  }
  return {
    token: chatgpt.tokens.access_token,
    kind: "access_token",
    refreshed: false,
    auth: chatgpt,
  };
}
