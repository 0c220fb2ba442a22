/**
 * A managed workspace's sign-in policy from Codex's config.toml: `forced_login_method` and
 * `forced_chatgpt_workspace_id`. The same checks refuse a sign-in before it starts, refuse
 * a workspace after the code exchange, and let `status` flag stored credentials that Codex
 * would log out at start. Words are Codex's where Codex has them.
 *
 * @module
 */

import { commandLine } from "../base/invocation.ts";
import type { AuthData } from "../store/auth_data.ts";
import type { Settings } from "../store/config.ts";
import { LoginError } from "../base/errors.ts";
import { accountClaims } from "../issuer/jwt.ts";
import { isJsonObject } from "../base/json.ts";
import { safeLine } from "../base/terminal_safe.ts";

/**
 * The ways of signing in a policy can allow: `forced_login_method` is `chatgpt` or `api`; a
 * personal access token (`access_token`) is a ChatGPT account's, so only `api` refuses it.
 */
export type SignInMethod = "chatgpt" | "api" | "access_token";

/**
 * The refusal for a sign-in the policy does not allow, before anything is opened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { methodRefusal } from "./policy.ts";
 * const refusal = methodRefusal({ forcedLoginMethod: "api" }, "chatgpt");
 * assert.equal(refusal?.message.startsWith("ChatGPT login is disabled. Use API key login instead."), true);
 * assert.equal(methodRefusal({}, "chatgpt"), undefined);
 * ```
 */
export function methodRefusal(settings: Settings, method: SignInMethod): LoginError | undefined {
  const forced = settings.forcedLoginMethod;
  const kind = method === "access_token" ? "chatgpt" : method;
  if (forced === undefined || forced === kind) return undefined;
  const words = method === "chatgpt"
    ? "ChatGPT login is disabled. Use API key login instead."
    : method === "access_token"
    ? "Access token login is disabled. Use API key login instead."
    : "API key login is disabled. Use ChatGPT login instead.";
  const how = kind === "chatgpt"
    ? commandLine(["login", "--with-api-key"])
    : commandLine(["login"]);
  return new LoginError("policy", {
    what: `${words} (forced_login_method = "${forced}" in ${
      settings.configFile ?? "config.toml"
    }; run \`${how}\`.)`,
    next: "Nothing was changed.",
  });
}

/** Whether an account id is allowed by `forced_chatgpt_workspace_id` (no policy: yes). */
export function workspaceAllowed(settings: Settings, accountId: string | undefined): boolean {
  const allowed = settings.forcedWorkspaceIds;
  return allowed === undefined || (accountId !== undefined && allowed.includes(accountId));
}

/**
 * The refusal for a sign-in into a workspace the policy does not allow (after the code
 * exchange: nothing was saved, and the new tokens are revoked by the caller).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workspaceRefusal } from "./policy.ts";
 * const err = workspaceRefusal({ forcedWorkspaceIds: ["ws-a"] }, "ws-b");
 * assert.match(err.message, /restricted to workspace\(s\) ws-a, but you chose ws-b/);
 * ```
 */
export function workspaceRefusal(settings: Settings, accountId: string | undefined): LoginError {
  const expected = (settings.forcedWorkspaceIds ?? []).join(", ");
  const chosen = accountId === undefined
    ? "but the sign-in carried no workspace identifier"
    : `but you chose ${safeLine(accountId)}`;
  return new LoginError("workspace_restricted", {
    what: `Login is restricted to workspace(s) ${expected}, ${chosen}.`,
    next: "Nothing was saved; run codex-login again and pick an allowed workspace.",
  });
}

/** The modes that sign in with a ChatGPT account (what `forced_login_method` calls chatgpt). */
const CHATGPT_FAMILY: readonly string[] = [
  "chatgpt",
  "chatgptAuthTokens",
  "agentIdentity",
  "personalAccessToken",
];

/**
 * What in stored credentials breaks the current policy (Codex logs such credentials out when
 * it starts). Empty when nothing does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyViolations } from "./policy.ts";
 * const auth = { auth_mode: "apikey" as const, OPENAI_API_KEY: "sk-x" };
 * assert.deepEqual(policyViolations({ forcedLoginMethod: "chatgpt" }, auth), [
 *   "ChatGPT login is required, but an API key is currently being used.",
 * ]);
 * ```
 */
export function policyViolations(settings: Settings, auth: AuthData): string[] {
  const out: string[] = [];
  const chatgpt = CHATGPT_FAMILY.includes(auth.auth_mode);
  if (settings.forcedLoginMethod === "api" && chatgpt) {
    out.push("API key login is required, but ChatGPT is currently being used.");
  }
  if (settings.forcedLoginMethod === "chatgpt" && !chatgpt) {
    out.push("ChatGPT login is required, but an API key is currently being used.");
  }
  const expected = settings.forcedWorkspaceIds;
  if (expected && chatgpt) {
    const actual = storedAccountId(auth);
    if (!workspaceAllowed(settings, actual)) {
      out.push(
        actual === undefined
          ? `Login is restricted to workspace(s) ${
            expected.join(", ")
          }, but current credentials lack a workspace identifier.`
          : `Login is restricted to workspace(s) ${
            expected.join(", ")
          }, but current credentials belong to ${safeLine(actual)}.`,
      );
    }
  }
  return out;
}

/**
 * The workspace (ChatGPT account) stored credentials belong to: the id_token's claim, else
 * `tokens.account_id`, else an agent identity's `account_id`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storedAccountId } from "./policy.ts";
 * const auth = { auth_mode: "chatgpt" as const, OPENAI_API_KEY: null, last_refresh: "",
 *   tokens: { id_token: "not-a-jwt", access_token: "a", refresh_token: "r", account_id: "ws-1" } };
 * assert.equal(storedAccountId(auth), "ws-1");
 * ```
 */
export function storedAccountId(auth: AuthData): string | undefined {
  const tokens = auth.tokens;
  if (isJsonObject(tokens)) {
    const fromToken = typeof tokens.id_token === "string"
      ? accountClaims(tokens.id_token).accountId
      : undefined;
    if (fromToken) return fromToken;
    if (typeof tokens.account_id === "string" && tokens.account_id) return tokens.account_id;
  }
  const record = auth.agent_identity;
  return isJsonObject(record) && typeof record.account_id === "string"
    ? record.account_id
    : undefined;
}
