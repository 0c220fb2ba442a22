/**
 * Who is signed in (`status`), for every mode the Codex CLI writes, in Codex's words where
 * it has them: a report for scripts (`--json`, never a secret) and its human form.
 *
 * @module
 */

import {
  type AuthData,
  type AuthMode,
  type ChatGptAuth,
  recordString,
  rfc3339,
} from "../store/auth_data.ts";
import { isJsonObject, stringField } from "../base/json.ts";
import type { Settings } from "../store/config.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import { accountClaims } from "../issuer/jwt.ts";
import { policyViolations, storedAccountId } from "./policy.ts";
import { mixedAccounts } from "./account_identity.ts";
import { maskKey } from "../base/redact.ts";
import type { IssuerClient } from "../issuer/issuer.ts";
import {
  ACCESS_TOKEN_VAR,
  checkAccessToken,
  checkWorkload,
  type EnvRead,
  workloadConfig,
} from "./env_credentials.ts";
import { commandLine } from "../base/invocation.ts";
import { safeLine } from "../base/terminal_safe.ts";

/** What `status` reports. Holds no secret: keys are masked. */
export interface StatusReport {
  /** Whether Codex has usable credentials (stored, or from the environment). */
  logged_in: boolean;
  /** How Codex would use them (its `auth_mode`, resolved as Codex does), or null. */
  auth_mode: AuthMode | "workloadIdentity" | null;
  /** Where they come from: the store, or a variable of the environment that takes over. */
  source?: "store" | "environment";
  /** The variable that takes over, when they come from the environment. */
  environment_variable?: string;
  /** Why the credentials Codex would use cannot be used (Codex's words). */
  error?: { code: string; message: string };
  /** Where the credentials are (the auth.json path for the file store). */
  auth_file: string;
  /** The masked API key (first 3 and last 4 characters at most). */
  api_key?: string | null;
  /** The masked personal access token (`personalAccessToken`). */
  personal_access_token?: string | null;
  /** The masked AWS access key id and the region (`bedrockAccessKeys`); never the secret. */
  bedrock_access_key_id?: string | null;
  /** The AWS region of `bedrockAccessKeys`. */
  bedrock_region?: string | null;
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
  /** The ID token's workspace and `tokens.account_id`, when they differ (two accounts mixed). */
  mixed_accounts?: { id_token: string; tokens: string };
  /** The label of the saved account these credentials are (see `accounts`). */
  saved_as?: string;
}

function chatGptReport(auth: ChatGptAuth): Partial<StatusReport> {
  const id = accountClaims(auth.tokens.id_token);
  const access = accountClaims(auth.tokens.access_token);
  const key = auth.OPENAI_API_KEY;
  return {
    api_key: key ? maskKey(key) : null,
    email: id.email ?? null,
    plan: access.planType ?? id.planType ?? null,
    id_token_expires_at: id.expiresAt ? rfc3339(id.expiresAt) : null,
    access_token_expires_at: access.expiresAt ? rfc3339(access.expiresAt) : null,
    last_refresh: auth.last_refresh || null,
  };
}

function modeReport(auth: AuthData): Partial<StatusReport> {
  switch (auth.auth_mode) {
    case "apikey":
      return { api_key: maskKey(auth.OPENAI_API_KEY) };
    case "chatgpt":
    case "chatgptAuthTokens":
      return chatGptReport(auth);
    case "personalAccessToken": {
      const token = recordString(auth, "personal_access_token");
      return { personal_access_token: token ? maskKey(token) : null };
    }
    case "bedrockAccessKeys": {
      const keys = isJsonObject(auth.bedrock_access_keys) ? auth.bedrock_access_keys : {};
      const id = stringField(keys, "access_key_id");
      return {
        bedrock_access_key_id: id ? maskKey(id) : null,
        bedrock_region: stringField(keys, "region") ?? null,
      };
    }
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
 * import { getStatus } from "./status_report.ts";
 * import { FileCredentialStore } from "../store/file_store.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * const report = await getStatus(new FileCredentialStore(home));
 * assert.equal(report.logged_in, false);
 * ```
 */
export async function getStatus(
  store: CredentialStore,
  settings: Settings = {},
): Promise<StatusReport> {
  return statusOf(await store.load(), store.describe(), settings);
}

/**
 * The report on credentials read already (`where` names them): see {@linkcode getStatus}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusOf } from "./status_report.ts";
 * const report = statusOf({ auth_mode: "apikey", OPENAI_API_KEY: "sk-proj-abcdefgh" }, "copy");
 * assert.equal(report.api_key, "sk-proj-***defgh");
 * ```
 */
export function statusOf(
  auth: AuthData | undefined,
  where: string,
  settings: Settings = {},
): StatusReport {
  if (!auth) return { logged_in: false, auth_mode: null, auth_file: where };
  const mixed = mixedAccounts(auth);
  return {
    logged_in: true,
    auth_mode: auth.auth_mode,
    auth_file: where,
    ...modeReport(auth),
    account_id: auth.auth_mode === "apikey" ? undefined : storedAccountId(auth) ?? null,
    policy_violations: policyViolations(settings, auth),
    ...(mixed ? { mixed_accounts: { id_token: mixed.idToken, tokens: mixed.stored } } : {}),
  };
}

/** What `status` needs to check credentials the environment gives Codex. */
export interface StatusEnvironment {
  /** Reads a variable (unset: `undefined`). */
  read: EnvRead;
  /** The issuer client (whoami, the workload identity's exchange). */
  client: IssuerClient;
}

/**
 * What Codex 0.171's `login status` reports, environment first: a workload identity (checked,
 * and exchanged when it is a file identity), then `CODEX_ACCESS_TOKEN` (checked with whoami),
 * else the stored credentials (see {@linkcode getStatus}).
 */
export async function statusWithEnvironment(
  store: CredentialStore,
  settings: Settings,
  env: StatusEnvironment,
): Promise<StatusReport> {
  const auth_file = store.describe();
  const workload = workloadConfig(env.read);
  const token = env.read(ACCESS_TOKEN_VAR);
  if (!workload && !token) return { ...(await getStatus(store, settings)), source: "store" };
  const check = workload
    ? workload.kind === "invalid"
      ? { kind: "error", problem: workload.problem, variable: "OPENAI_FEDERATION_RULE_ID" } as const
      : await checkWorkload(workload, env.client)
    : await checkAccessToken(token ?? "", env.client);
  const variable = workload ? "OPENAI_FEDERATION_RULE_ID" : ACCESS_TOKEN_VAR;
  if (check.kind === "error") {
    return {
      logged_in: false,
      auth_mode: workload ? "workloadIdentity" : "personalAccessToken",
      auth_file,
      source: "environment",
      environment_variable: check.variable,
      error: { code: workload ? "workload_identity" : "access_token", message: check.problem },
    };
  }
  return {
    logged_in: true,
    auth_mode: check.mode,
    auth_file,
    source: "environment",
    environment_variable: variable,
    ...(check.email ? { email: check.email } : {}),
  };
}

/** The longest value shown on a status line (claims come from the issuer, unbounded). */
const MAX_FIELD = 120;

/** A value from the credentials (so from an issuer or a file) as one inert line, cut short. */
function field(value: string | null | undefined): string {
  if (!value) return "unknown";
  const line = safeLine(value);
  return line.length > MAX_FIELD ? `${line.slice(0, MAX_FIELD)}…` : line;
}

/**
 * How far the time `iso` is from `now`, in words (`in 2 h`, `3 days ago`); undefined when
 * `iso` is missing or not a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromNow } from "./status_report.ts";
 * const now = new Date("2026-06-01T12:00:00Z");
 * assert.equal(fromNow("2026-06-01T11:30:00Z", now), "30 min ago");
 * assert.equal(fromNow("2026-06-04T12:00:00Z", now), "in 3 days");
 * assert.equal(fromNow("soon", now), undefined);
 * ```
 */
export function fromNow(iso: string | null | undefined, now: Date): string | undefined {
  const ms = iso ? Date.parse(iso) - now.getTime() : NaN;
  if (!Number.isFinite(ms)) return undefined;
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const span = minutes < 120
    ? `${minutes} min`
    : minutes < 2880
    ? `${Math.round(minutes / 60)} h`
    : `${Math.round(minutes / 1440)} days`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/** `expires … (in 2 h)`, or `expired … (3 days ago)` once past. */
function expiry(iso: string | null | undefined, now: Date): string {
  const past = iso ? Date.parse(iso) <= now.getTime() : false;
  return `${past ? "expired" : "expires"} ${when(iso, now)}`;
}

function when(iso: string | null | undefined, now: Date): string {
  if (!iso) return "unknown";
  const span = fromNow(iso, now);
  return span ? `${field(iso)} (${span})` : field(iso);
}

/** Each mode's first line, in Codex 0.171's words where `codex login status` has them. */
const MODE_TITLES: Record<AuthMode | "workloadIdentity", string> = {
  workloadIdentity: "Logged in using workload identity",
  chatgpt: "Logged in using ChatGPT",
  chatgptAuthTokens: "Logged in using ChatGPT (tokens handed to Codex by another application)",
  apikey: "API key configured",
  agentIdentity: "Logged in using an agent identity",
  personalAccessToken: "Logged in using personal access token",
  bedrockApiKey: "Logged in using Amazon Bedrock API key",
  bedrockAccessKeys: "Logged in using Amazon Bedrock AWS access keys",
};

function otherLines(report: StatusReport): string[] {
  const lines: string[] = [];
  if (report.personal_access_token) {
    lines.push(`  Token:           ${field(report.personal_access_token)}`);
  }
  if (report.bedrock_access_key_id) {
    lines.push(`  Access key id:   ${field(report.bedrock_access_key_id)}`);
    lines.push(`  Region:          ${field(report.bedrock_region)}`);
  }
  if (report.account_id) lines.push(`  Account:         ${field(report.account_id)}`);
  return lines;
}

function chatGptLines(report: StatusReport, now: Date): string[] {
  const lines = [
    `  Email:           ${field(report.email)}`,
    `  Plan:            ${field(report.plan)}`,
    `  Account:         ${field(report.account_id)}`,
    `  ID token:        ${expiry(report.id_token_expires_at, now)}`,
    `  Access token:    ${expiry(report.access_token_expires_at, now)}`,
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
 * import { formatStatus } from "./status_report.ts";
 * const text = formatStatus({ logged_in: false, auth_mode: null, auth_file: "/x" }, new Date());
 * assert.equal(text, "Not logged in");
 * ```
 */
export function formatStatus(report: StatusReport, now: Date): string {
  if (!report.logged_in || !report.auth_mode) return "Not logged in";
  const title = MODE_TITLES[report.auth_mode];
  const lines = report.source === "environment"
    ? [
      title,
      `  From:            ${report.environment_variable} (the stored credentials are not used)`,
    ]
    : report.auth_mode === "apikey"
    ? [`${title} - ${field(report.api_key)}`, "Authentication is checked when you send a request."]
    : report.auth_mode === "chatgpt" || report.auth_mode === "chatgptAuthTokens"
    ? [title, ...chatGptLines(report, now)]
    : [title, ...otherLines(report)];
  if (report.saved_as) lines.push(`  Saved as:        ${field(report.saved_as)}`);
  const mixed = report.mixed_accounts;
  if (mixed) {
    lines.push(
      `Warning: these credentials mix two accounts: the ID token is for workspace ${
        field(mixed.id_token)
      } but tokens.account_id says ${field(mixed.tokens)}. Sign in again with \`${
        commandLine(["login"])
      }\`.`,
    );
  }
  for (const problem of report.policy_violations ?? []) {
    lines.push(
      `Warning: ${problem} Codex will log these credentials out when it starts; sign in again as config.toml requires.`,
    );
  }
  return lines.join("\n");
}
