/**
 * The account commands' logic: signing out with a revoke (`logout`), and saving an API key
 * (`login --with-api-key`) or a personal access token (`login --with-access-token`). Who is
 * signed in is `status_report.ts`; refreshing is `token_refresh.ts`.
 *
 * @module
 */

import { commandLine } from "../base/invocation.ts";
import {
  type AuthData,
  AuthFileError,
  personalAccessTokenRecord,
  provenanceOf,
} from "../store/auth_data.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import { type IssuerClient, IssuerError, issuerFailure } from "../issuer/issuer.ts";
import { type TokenIdentity, whoAmI } from "../issuer/access_token.ts";
import { errorText, LoginError } from "../base/errors.ts";

/** What `logout` did. */
export interface LogoutOutcome {
  /** Credentials existed and were removed. */
  removed: boolean;
  /** `revoked`, `skipped` (--no-revoke or nothing to revoke), or the revoke error message. */
  revoke: "revoked" | "skipped" | { failed: string };
}

/**
 * The token Codex revokes at logout: the refresh token of a Codex-managed ChatGPT sign-in,
 * else its access token. Tokens a host application handed in, and other modes, are not ours.
 */
export function revocable(
  auth: AuthData,
): { token: string; kind: "refresh_token" | "access_token" } | undefined {
  if (auth.auth_mode !== "chatgpt") return undefined;
  const tokens = auth.tokens;
  if (tokens.refresh_token) return { token: tokens.refresh_token, kind: "refresh_token" };
  if (tokens.access_token) return { token: tokens.access_token, kind: "access_token" };
  return undefined;
}

/**
 * Remove the credentials, whatever their mode, then revoke what can be revoked (unless
 * `revoke` is false) at the issuer the session came from (its `oauth_provenance`, else
 * `client`'s). The read and the removal happen under the auth lock (Codex's two locks), so a
 * refresh running beside us either finishes first (and we revoke its new token) or finds the
 * credentials gone. A failed revoke still removes the local credentials. Corrupt credentials
 * are removed without a revoke.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logout, saveApiKey } from "./account.ts";
 * import { FileCredentialStore } from "../store/file_store.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * import { HttpClient } from "../issuer/http_client.ts";
 * import { IssuerClient } from "../issuer/issuer.ts";
 * import { resolveIssuer } from "../issuer/issuer_config.ts";
 * const store = new FileCredentialStore(new CodexHome(await Deno.makeTempDir()));
 * await saveApiKey(store, "sk-proj-0123456789abcdefghij");
 * // An API key has no refresh token: nothing to revoke, the file is removed.
 * const client = new IssuerClient({ endpoints: resolveIssuer(), http: new HttpClient() });
 * const outcome = await logout({ store, client, revoke: true });
 * assert.deepEqual(outcome, { removed: true, revoke: "skipped" });
 * ```
 */
export async function logout(options: {
  store: CredentialStore;
  client: IssuerClient;
  revoke: boolean;
}): Promise<LogoutOutcome> {
  const { store } = options;
  // Nothing stored: nothing to lock (and no codex home is created).
  if (await store.load().then((a) => a === undefined, () => false)) {
    return { removed: false, revoke: "skipped" };
  }
  const removed = await store.withLock(async (locked) => {
    let auth: AuthData | undefined;
    try {
      auth = await locked.load();
    } catch (err) {
      if (!(err instanceof AuthFileError)) throw err;
    }
    return { auth, removed: await locked.remove() };
  });
  const auth = removed.auth;
  const target = options.revoke && auth ? revocable(auth) : undefined;
  if (!auth || !target) return { removed: removed.removed, revoke: "skipped" };
  try {
    const client = options.client.at(provenanceOf(auth));
    await client.revoke(target.token, undefined, target.kind);
    return { removed: removed.removed, revoke: "revoked" };
  } catch (err) {
    return { removed: removed.removed, revoke: { failed: errorText(err) } };
  }
}

/** A key's shape: what an OpenAI key looks like (a warning otherwise, never a refusal). */
const OPENAI_KEY = /^sk-[A-Za-z0-9_-]{16,}$/;

/**
 * A pasted secret, trimmed: non-empty, one line without control characters (it must fit an
 * HTTP header). Messages never repeat the input.
 */
function cleanSecret(raw: string, what: string, flag: string): string {
  const secret = raw.trim();
  if (secret.length === 0) {
    throw new LoginError("invalid_input", {
      what: `No ${what} was given.`,
      next: `Pipe it in (\`printenv ${
        flag === "--with-api-key" ? "OPENAI_API_KEY" : "CODEX_ACCESS_TOKEN"
      } | ${commandLine(["login", flag])}\`) or paste it at the prompt.`,
      code: "invalid_input.empty",
    });
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(secret)) {
    throw new LoginError("invalid_input", {
      what:
        `That ${what} spans several lines or holds control characters, so no request could carry it; nothing was saved.`,
      next: "Paste it alone on one line.",
      code: "invalid_input.multiline",
    });
  }
  return secret;
}

/**
 * Check a pasted API key: trimmed and non-empty, without control characters (it must fit
 * an HTTP header). Any format is accepted, as Codex does (gateways and proxies issue their
 * own); `warning` says when it does not look like an OpenAI key. Messages never repeat the
 * input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateApiKey } from "./account.ts";
 * assert.deepEqual(validateApiKey("  sk-proj-abcdefghijklmnopqrstuvwx\n"), {
 *   key: "sk-proj-abcdefghijklmnopqrstuvwx",
 * });
 * assert.match(validateApiKey("gateway-key-1").warning ?? "", /does not look like an OpenAI/);
 * ```
 */
export function validateApiKey(raw: string): { key: string; warning?: string } {
  const key = cleanSecret(raw, "API key", "--with-api-key");
  return OPENAI_KEY.test(key) ? { key } : {
    key,
    warning:
      "Note: that key does not look like an OpenAI API key (sk-...); saved anyway, as Codex does (gateways and proxies issue other formats).",
  };
}

/**
 * Save an API key as `{"auth_mode":"apikey","OPENAI_API_KEY":...}` (atomic, 0600). Resolves
 * to the format warning, if any.
 */
export async function saveApiKey(
  store: CredentialStore,
  raw: string,
): Promise<string | undefined> {
  const { key, warning } = validateApiKey(raw);
  await store.save({ auth_mode: "apikey", OPENAI_API_KEY: key });
  return warning;
}

/** A JWT's shape: three base64url parts (an agent identity, not a personal access token). */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Save a personal access token as `codex login --with-access-token` (0.169) does: checked
 * first with the issuer (`whoami`), then written as `{"OPENAI_API_KEY": null,
 * "personal_access_token": "at-..."}`. An agent identity (a JWT) is refused: Codex checks
 * those against OpenAI's published keys, which codex-login cannot do. Nothing is written
 * unless the issuer accepts the token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { saveAccessToken } from "./account.ts";
 * import { FileCredentialStore } from "../store/file_store.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * import { HttpClient } from "../issuer/http_client.ts";
 * import { IssuerClient } from "../issuer/issuer.ts";
 * import { resolveIssuer } from "../issuer/issuer_config.ts";
 * const store = new FileCredentialStore(new CodexHome(await Deno.makeTempDir()));
 * const endpoints = resolveIssuer({ issuer: "http://127.0.0.1:9" });
 * const client = new IssuerClient({ endpoints, http: new HttpClient() });
 * await assert.rejects(saveAccessToken(store, client, "sk-not-a-token"), /start with at-/);
 * assert.equal(await store.load(), undefined);
 * ```
 */
export async function saveAccessToken(
  store: CredentialStore,
  client: IssuerClient,
  raw: string,
): Promise<TokenIdentity> {
  const token = cleanSecret(raw, "access token", "--with-access-token");
  if (JWT.test(token)) {
    throw new LoginError("invalid_input", {
      what:
        "That is an agent identity token: Codex checks those against OpenAI's published keys, which codex-login cannot do.",
      next: "Save it with `codex login --with-access-token`; nothing was saved.",
      code: "invalid_input.agent_identity",
    });
  }
  if (!token.startsWith("at-")) {
    throw new LoginError("invalid_input", {
      what: "That is not a personal access token (they start with at-); nothing was saved.",
      next: `For an API key use \`${commandLine(["login", "--with-api-key"])}\`.`,
      code: "invalid_input.not_access_token",
    });
  }
  let who: TokenIdentity;
  try {
    who = await whoAmI(client, token);
  } catch (err) {
    if (!(err instanceof IssuerError)) throw err;
    throw issuerFailure(
      err,
      "access_token_refused",
      "Check that you copied the whole token and that it has not expired or been revoked; nothing was saved.",
    );
  }
  await store.save(personalAccessTokenRecord(token));
  return who;
}
