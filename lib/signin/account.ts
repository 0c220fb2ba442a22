/**
 * The account commands' logic: signing out with a revoke (`logout`), and saving an API key
 * (`login --with-api-key`) or a personal access token (`login --with-access-token`). Who is
 * signed in is `status_report.ts`; refreshing is `token_refresh.ts`.
 *
 * @module
 */

import { type AuthData, AuthFileError, provenanceOf } from "../store/auth_data.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import type { IssuerClient } from "../issuer/issuer.ts";
import { LoginError } from "../base/errors.ts";

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
function revocable(
  auth: AuthData,
): { token: string; kind: "refresh_token" | "access_token" } | undefined {
  if (auth.auth_mode !== "chatgpt") return undefined;
  const tokens = auth.tokens as { refresh_token: string; access_token: string };
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
 * import { IssuerClient } from "../issuer/issuer.ts";
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
  const target = options.revoke && removed.auth ? revocable(removed.auth) : undefined;
  if (!target) return { removed: removed.removed, revoke: "skipped" };
  try {
    const client = options.client.at(provenanceOf(removed.auth as AuthData));
    await client.revoke(target.token, undefined, target.kind);
    return { removed: removed.removed, revoke: "revoked" };
  } catch (err) {
    return {
      removed: removed.removed,
      revoke: { failed: err instanceof Error ? err.message : String(err) },
    };
  }
}

/** A key's shape: what an OpenAI key looks like (a warning otherwise, never a refusal). */
const OPENAI_KEY = /^sk-[A-Za-z0-9_-]{16,}$/;

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
  const key = raw.trim();
  if (key.length === 0) {
    throw new LoginError(
      "invalid_input",
      "No API key was given: pipe it in (`printenv OPENAI_API_KEY | codex-login login --with-api-key`) or paste it at the prompt.",
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    throw new LoginError(
      "invalid_input",
      "That API key spans several lines or holds control characters, so no request could carry it; nothing was saved. Paste the key alone on one line.",
    );
  }
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
