/**
 * `accounts --usage`: each account's usage windows and credits, from the endpoint Codex reads
 * for `/status`: `<chatgpt_base_url>/wham/usage` when the base contains `/backend-api`, else
 * `<base>/api/codex/usage` (`chatgpt_base_url` is Codex's config key, default
 * `https://chatgpt.com/backend-api/`), with `Authorization: Bearer <access token>` and
 * `ChatGPT-Account-Id`. Every account is asked at once, through the run's one HTTP client; each
 * answer stands alone (a failure is that account's line, never the command's). A copy is never
 * refreshed to read its usage: an expired access token shows "expired" and sends nothing.
 *
 * @module
 */

import { usageError } from "../base/errors.ts";
import { isJsonObject, type JsonObject } from "../base/json.ts";
import { type AuthData, chatGptOf } from "../store/auth_data.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import type { Settings } from "../store/config.ts";
import type { SavedAccounts } from "../store/saved_accounts.ts";
import { type HttpClient, HttpError } from "../issuer/http_client.ts";
import { accountClaims } from "../issuer/jwt.ts";
import { type AccountRow, activeCredentials } from "./accounts.ts";

/** Codex's default `chatgpt_base_url`. */
export const DEFAULT_CHATGPT_BASE_URL = "https://chatgpt.com/backend-api/";

/**
 * The usage endpoint for a `chatgpt_base_url`, as Codex derives it (ChatGPT's own hosts get
 * `/backend-api` added when it is missing). A base that is not an http(s) URL is a usage error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { usageUrl } from "./usage.ts";
 * assert.equal(usageUrl(), "https://chatgpt.com/backend-api/wham/usage");
 * assert.equal(usageUrl("https://chatgpt.com"), "https://chatgpt.com/backend-api/wham/usage");
 * assert.equal(usageUrl("http://127.0.0.1:9/"), "http://127.0.0.1:9/api/codex/usage");
 * ```
 */
export function usageUrl(base: string = DEFAULT_CHATGPT_BASE_URL): string {
  let url = base.trim().replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url)) {
    throw usageError(
      `chatgpt_base_url must be an http(s) URL, got ${JSON.stringify(base)}.`,
      "Fix it in config.toml (or -c chatgpt_base_url=URL), or remove it for ChatGPT's own.",
    );
  }
  const chatgpt = /^https:\/\/(chatgpt\.com|chat\.openai\.com)(\/|$)/i.test(url);
  if (chatgpt && !url.includes("/backend-api")) url = `${url}/backend-api`;
  return url.includes("/backend-api") ? `${url}/wham/usage` : `${url}/api/codex/usage`;
}

/** One usage window. */
export interface UsageWindow {
  /** Percent of the window's allowance used. */
  used_percent: number;
  /** The window's length in seconds (18000: five hours; 604800: a week). */
  window_seconds: number | null;
  /** When it resets (RFC 3339). */
  resets_at: string | null;
}

/** An account's usage, or why there is none. */
export interface AccountUsage {
  /** `ok`; `expired` (its access token is, and nothing was sent); `not_chatgpt`; `failed`. */
  status: "ok" | "expired" | "not_chatgpt" | "failed";
  /** The plan the endpoint reports. */
  plan?: string | null;
  /** The short window (five hours). */
  five_hour?: UsageWindow | null;
  /** The long window (a week). */
  weekly?: UsageWindow | null;
  /** The credits. */
  credits?: { has_credits: boolean; unlimited: boolean; balance: string | null } | null;
  /** The endpoint says a limit is reached. */
  limit_reached?: boolean;
  /** What went wrong (`failed`), one line, no secret. */
  error?: string;
}

function number(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function windowOf(value: unknown, now: Date): UsageWindow | null {
  if (!isJsonObject(value)) return null;
  const used = number(value.used_percent);
  if (used === null) return null;
  const resetAt = number(value.reset_at);
  const after = number(value.reset_after_seconds);
  const resets = resetAt !== null
    ? new Date(resetAt * 1000)
    : after !== null
    ? new Date(now.getTime() + after * 1000)
    : undefined;
  return {
    used_percent: used,
    window_seconds: number(value.limit_window_seconds),
    resets_at: resets && Number.isFinite(resets.getTime()) ? resets.toISOString() : null,
  };
}

/**
 * The usage answer (`plan_type`, `rate_limit.{primary,secondary}_window`, `credits`) as an
 * {@linkcode AccountUsage}; the windows are told apart by their length when it is given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUsage } from "./usage.ts";
 * const usage = parseUsage({ plan_type: "plus", rate_limit: { allowed: true, limit_reached: false,
 *   primary_window: { used_percent: 42, limit_window_seconds: 18000, reset_after_seconds: 60,
 *   reset_at: 1767225600 } }, credits: { has_credits: true, unlimited: false, balance: "5" } },
 *   new Date(0));
 * assert.equal(usage.five_hour?.used_percent, 42);
 * assert.equal(usage.five_hour?.resets_at, "2026-01-01T00:00:00.000Z");
 * assert.equal(usage.credits?.balance, "5");
 * ```
 */
export function parseUsage(json: JsonObject, now: Date): AccountUsage {
  const limits = isJsonObject(json.rate_limit) ? json.rate_limit : {};
  const windows = [windowOf(limits.primary_window, now), windowOf(limits.secondary_window, now)];
  const long = (w: UsageWindow | null) => w !== null && (w.window_seconds ?? 0) > 86_400;
  const weekly = windows.find(long) ?? null;
  const short = windows.find((w) => w !== null && !long(w)) ?? null;
  const credits = isJsonObject(json.credits) ? json.credits : undefined;
  return {
    status: "ok",
    plan: typeof json.plan_type === "string" ? json.plan_type : null,
    five_hour: short,
    weekly,
    credits: credits
      ? {
        has_credits: credits.has_credits === true,
        unlimited: credits.unlimited === true,
        balance: typeof credits.balance === "string" || typeof credits.balance === "number"
          ? String(credits.balance)
          : null,
      }
      : null,
    limit_reached: limits.limit_reached === true,
  };
}

/** How usage is fetched. */
export interface UsageOptions {
  /** The run's outbound client. */
  http: HttpClient;
  /** The endpoint ({@linkcode usageUrl}). */
  url: string;
  /** The clock. */
  now: Date;
  /** Each request's timeout, ms. */
  timeoutMs?: number;
}

/** The usage of the account `auth` signs in (never refreshed: expired is said, not fixed). */
export async function fetchUsage(auth: AuthData, options: UsageOptions): Promise<AccountUsage> {
  const chatgpt = chatGptOf(auth);
  if (!chatgpt) return { status: "not_chatgpt" };
  const token = chatgpt.tokens.access_token;
  const expiresAt = accountClaims(token).expiresAt;
  if (expiresAt && expiresAt.getTime() <= options.now.getTime()) return { status: "expired" };
  const account = chatgpt.tokens.account_id;
  try {
    const answer = await options.http.send(options.url, { bearer: token }, {
      secrets: [token],
      timeoutMs: options.timeoutMs ?? 15_000,
      headers: account ? { "ChatGPT-Account-Id": account } : {},
    });
    if (answer.status === 200 && answer.json) return parseUsage(answer.json, options.now);
    const why = answer.status === 401 || answer.status === 403
      ? `the ChatGPT backend refused this account's access token (HTTP ${answer.status})`
      : `the ChatGPT backend answered HTTP ${answer.status}`;
    return { status: "failed", error: why };
  } catch (err) {
    if (err instanceof HttpError) return { status: "failed", error: err.message };
    throw err;
  }
}

/** What usage is read with: Codex's store, the saved copies, the settings. */
export interface UsageSources {
  /** Where Codex reads its credentials (the active account's tokens). */
  store: CredentialStore;
  /** The saved accounts. */
  saved: SavedAccounts;
  /** config.toml with `-c`. */
  settings: Settings;
}

/**
 * The usage of every row, asked all at once: the active account with Codex's own tokens, the
 * others with their saved copies'.
 */
export async function usageOfRows(
  rows: readonly AccountRow[],
  sources: UsageSources,
  options: UsageOptions,
): Promise<AccountUsage[]> {
  const entries = await sources.saved.list();
  return await Promise.all(rows.map(async (row) => {
    try {
      const entry = entries.find((e) => e.label === row.label);
      const auth = row.active
        ? await activeCredentials(sources.store, sources.settings)
        : entry
        ? await sources.saved.load(entry)
        : undefined;
      if (!auth) return { status: "failed" as const, error: "its credentials are gone" };
      return await fetchUsage(auth, options);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      return { status: "failed" as const, error: text.split("\n")[0] };
    }
  }));
}
