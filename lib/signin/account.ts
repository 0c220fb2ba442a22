/**
 * The account commands' logic: who is signed in (`status`, for every mode Codex writes),
 * signing out with a revoke (`logout`), and saving a plain API key (`login --with-api-key`).
 * Refreshing lives in `token_refresh.ts`.
 *
 * @module
 */

import { type AuthData, AuthFileError, type AuthMode, rfc3339 } from "../store/auth_data.ts";
import type { Settings } from "../store/config.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import type { IssuerClient } from "../issuer/issuer.ts";
import { accountClaims } from "../issuer/jwt.ts";
import { policyViolations, storedAccountId } from "./policy.ts";
import { maskKey } from "../base/redact.ts";
import { safeLine } from "../base/terminal_safe.ts";
import { LoginError } from "../base/errors.ts";

/** What `status` reports. Holds no secret: keys are masked. */
export interface StatusReport {
  /** Whether usable credentials are stored. */
  logged_in: boolean;
  /** How Codex would use them (its `auth_mode`, resolved as Codex does), or null. */
  auth_mode: AuthMode | null;
  /** Where the credentials are (the auth.json path for the file store). */
  auth_file: string;
  /** The masked API key (first 3 and last 4 characters at most). */
  api_key?: string | null;
  /** From the id_token. */
  email?: string | null;
  /** From the access token (else the id_token). */
  plan?: string | null;
  /** The ChatGPT workspace (account) the credentials belong to. */
  account_id?: string | null;
  /** RFC 3339, from the id_token's `exp`. */
  id_token_expires_at?: string | null;
  /** RFC 3339, from the access token's `exp` (null when it is not a JWT). */
  access_token_expires_at?: string | null;
  /** `last_refresh`. */
  last_refresh?: string | null;
  /** What breaks config.toml's policy (Codex would log these credentials out). */
  policy_violations?: string[];
}

function chatGptReport(auth: AuthData): Partial<StatusReport> {
  const tokens = auth.tokens as { id_token: string; access_token: string };
  const id = accountClaims(tokens.id_token);
  const access = accountClaims(tokens.access_token);
  const key = auth.OPENAI_API_KEY;
  return {
    api_key: typeof key === "string" && key ? maskKey(key) : null,
    email: id.email ?? null,
    plan: access.planType ?? id.planType ?? null,
    id_token_expires_at: id.expiresAt ? rfc3339(id.expiresAt) : null,
    access_token_expires_at: access.expiresAt ? rfc3339(access.expiresAt) : null,
    last_refresh: typeof auth.last_refresh === "string" && auth.last_refresh
      ? auth.last_refresh
      : null,
  };
}

function modeReport(auth: AuthData): Partial<StatusReport> {
  switch (auth.auth_mode) {
    case "apikey":
      return { api_key: maskKey(auth.OPENAI_API_KEY as string) };
    case "chatgpt":
    case "chatgptAuthTokens":
      return chatGptReport(auth);
    case "personalAccessToken":
      return { api_key: maskKey(String(auth.personal_access_token)) };
    default:
      return {};
  }
}

/**
 * Read the stored credentials and report on them, with what breaks `settings`' policy.
 * Never writes. Throws {@linkcode AuthFileError} for a corrupt file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getStatus } from "./account.ts";
 * import { FileCredentialStore } from "../store/file_store.ts";
 * const report = await getStatus(new FileCredentialStore(await Deno.makeTempDir()));
 * assert.equal(report.logged_in, false);
 * ```
 */
export async function getStatus(
  store: CredentialStore,
  settings: Settings = {},
): Promise<StatusReport> {
  const auth = await store.load();
  const auth_file = store.describe();
  if (!auth) return { logged_in: false, auth_mode: null, auth_file };
  return {
    logged_in: true,
    auth_mode: auth.auth_mode,
    auth_file,
    ...modeReport(auth),
    account_id: auth.auth_mode === "apikey" ? undefined : storedAccountId(auth) ?? null,
    policy_violations: policyViolations(settings, auth),
  };
}

/** A value from the credentials (so from an issuer or a file) as one inert line. */
function field(value: string | null | undefined): string {
  return value ? safeLine(value) : "unknown";
}

function when(iso: string | null | undefined, now: Date): string {
  if (!iso) return "unknown";
  const ms = Date.parse(iso) - now.getTime();
  if (!Number.isFinite(ms)) return field(iso);
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const span = minutes < 120
    ? `${minutes} min`
    : minutes < 2880
    ? `${Math.round(minutes / 60)} h`
    : `${Math.round(minutes / 1440)} days`;
  return `${field(iso)} (${ms >= 0 ? `in ${span}` : `${span} ago`})`;
}

const MODE_TITLES: Record<AuthMode, string> = {
  chatgpt: "Logged in using ChatGPT",
  chatgptAuthTokens: "Logged in using ChatGPT tokens handed to Codex by another application",
  apikey: "Logged in using an API key",
  agentIdentity: "Logged in using an agent identity",
  personalAccessToken: "Logged in using a personal access token",
  bedrockApiKey: "Logged in using an Amazon Bedrock API key",
};

function chatGptLines(report: StatusReport, now: Date): string[] {
  const lines = [
    `  Email:           ${field(report.email)}`,
    `  Plan:            ${field(report.plan)}`,
    `  Account:         ${field(report.account_id)}`,
    `  ID token:        expires ${when(report.id_token_expires_at, now)}`,
    `  Access token:    expires ${when(report.access_token_expires_at, now)}`,
    `  Last refreshed:  ${when(report.last_refresh, now)}`,
  ];
  if (report.api_key) lines.push(`  API key:         ${field(report.api_key)}`);
  else lines.push("  API key:         none (Codex works with the ChatGPT sign-in alone)");
  return lines;
}

/**
 * The human form of a status report, one fact a line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatStatus } from "./account.ts";
 * const text = formatStatus({ logged_in: false, auth_mode: null, auth_file: "/x" }, new Date());
 * assert.equal(text, "Not logged in");
 * ```
 */
export function formatStatus(report: StatusReport, now: Date): string {
  if (!report.logged_in || !report.auth_mode) return "Not logged in";
  const title = MODE_TITLES[report.auth_mode];
  const lines = report.auth_mode === "apikey"
    ? [`${title} - ${field(report.api_key)}`]
    : report.auth_mode === "chatgpt" || report.auth_mode === "chatgptAuthTokens"
    ? [title, ...chatGptLines(report, now)]
    : [title, ...(report.account_id ? [`  Account:         ${field(report.account_id)}`] : [])];
  for (const problem of report.policy_violations ?? []) {
    lines.push(
      `Warning: ${problem} Codex will log these credentials out when it starts; sign in again as config.toml requires.`,
    );
  }
  return lines.join("\n");
}

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
 * Revoke what can be revoked (unless `revoke` is false), then remove the credentials,
 * whatever their mode. A failed revoke still removes the local credentials. Corrupt
 * credentials are removed without a revoke.
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
  let auth: AuthData | undefined;
  try {
    auth = await store.load();
  } catch (err) {
    if (!(err instanceof AuthFileError)) throw err;
    return { removed: await store.remove(), revoke: "skipped" };
  }
  if (!auth) return { removed: false, revoke: "skipped" };
  let revoke: LogoutOutcome["revoke"] = "skipped";
  const target = options.revoke ? revocable(auth) : undefined;
  if (target) {
    try {
      await options.client.revoke(target.token, undefined, target.kind);
      revoke = "revoked";
    } catch (err) {
      revoke = { failed: err instanceof Error ? err.message : String(err) };
    }
  }
  return { removed: await store.remove(), revoke };
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
