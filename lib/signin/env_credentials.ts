/**
 * Credentials Codex takes from the environment before anything stored, as Codex 0.171's
 * `login status` reads them: a workload identity (`OPENAI_IDENTITY_TOKEN_SOURCE`,
 * `OPENAI_FEDERATION_RULE_ID`, `OPENAI_IDENTITY_TOKEN_FILE`, `OPENAI_SPIFFE_AUDIENCE`,
 * `OPENAI_SPIFFE_ID`, `SPIFFE_ENDPOINT_SOCKET`), checked in Codex's order with Codex's words,
 * then `CODEX_ACCESS_TOKEN` (a personal access token, checked with the issuer's whoami). Codex's
 * `login status` reads neither `CODEX_API_KEY`, `OPENAI_API_KEY` nor `AWS_BEARER_TOKEN_BEDROCK`.
 *
 * @module
 */

import { errorText } from "../base/errors.ts";
import type { IssuerClient } from "../issuer/issuer.ts";

/** The variables of a workload identity; any one set (but the socket alone) turns it on. */
export const WORKLOAD_VARS = [
  "OPENAI_IDENTITY_TOKEN_SOURCE",
  "OPENAI_FEDERATION_RULE_ID",
  "OPENAI_IDENTITY_TOKEN_FILE",
  "OPENAI_SPIFFE_AUDIENCE",
  "OPENAI_SPIFFE_ID",
  "SPIFFE_ENDPOINT_SOCKET",
] as const;

/** The variable Codex reads a personal access token from. */
export const ACCESS_TOKEN_VAR = "CODEX_ACCESS_TOKEN";

/** Reads a variable: `undefined` when unset (an empty value is a value). */
export type EnvRead = (name: string) => string | undefined;

/** A workload identity as the environment configures it, or why it cannot be used. */
export type WorkloadConfig =
  | { kind: "file"; ruleId: string; tokenFile: string }
  | { kind: "spiffe"; ruleId: string; socket: string; audience: string; spiffeId?: string }
  | { kind: "invalid"; problem: string };

const requires = (name: string) =>
  ({ kind: "invalid", problem: `workload identity requires ${name}` }) as const;

/**
 * The workload identity the environment configures, checked in Codex 0.171's order; `undefined`
 * when none is (no variable of it set, or only `SPIFFE_ENDPOINT_SOCKET`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workloadConfig } from "./env_credentials.ts";
 * const env = (vars: Record<string, string>) => (name: string) => vars[name];
 * assert.equal(workloadConfig(env({})), undefined);
 * assert.deepEqual(workloadConfig(env({ OPENAI_IDENTITY_TOKEN_SOURCE: "file" })), {
 *   kind: "invalid", problem: "workload identity requires OPENAI_FEDERATION_RULE_ID",
 * });
 * ```
 */
export function workloadConfig(env: EnvRead): WorkloadConfig | undefined {
  const [source, ruleId, tokenFile, audience, spiffeId, socket] = WORKLOAD_VARS.map(env);
  if ([source, ruleId, tokenFile, audience, spiffeId].every((v) => v === undefined)) {
    return undefined;
  }
  if (ruleId === undefined) return requires("OPENAI_FEDERATION_RULE_ID");
  if (ruleId.trim() === "") {
    return {
      kind: "invalid",
      problem: "workload identity variable OPENAI_FEDERATION_RULE_ID is invalid",
    };
  }
  if (source !== undefined && source !== "file" && source !== "spiffe") {
    return { kind: "invalid", problem: "OPENAI_IDENTITY_TOKEN_SOURCE must be file or spiffe" };
  }
  if (source === "spiffe") {
    if (tokenFile !== undefined) {
      return {
        kind: "invalid",
        problem: "SPIFFE authentication cannot also set OPENAI_IDENTITY_TOKEN_FILE",
      };
    }
    if (!socket) return requires("SPIFFE_ENDPOINT_SOCKET");
    if (!audience) return requires("OPENAI_SPIFFE_AUDIENCE");
    if (!/^unix:\/\//.test(socket) && !/^unix:\//.test(socket)) {
      return {
        kind: "invalid",
        problem: "the SPIFFE Workload API endpoint must be an absolute unix: socket URI",
      };
    }
    if (spiffeId !== undefined && !/^spiffe:\/\/[^/]+/.test(spiffeId)) {
      return { kind: "invalid", problem: "the requested SPIFFE ID is invalid" };
    }
    return { kind: "spiffe", ruleId, socket, audience, spiffeId };
  }
  if (audience !== undefined || spiffeId !== undefined) {
    return {
      kind: "invalid",
      problem: "SPIFFE settings require OPENAI_IDENTITY_TOKEN_SOURCE=spiffe",
    };
  }
  if (tokenFile === undefined) return requires("OPENAI_IDENTITY_TOKEN_FILE");
  if (!tokenFile.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(tokenFile)) {
    return { kind: "invalid", problem: "OPENAI_IDENTITY_TOKEN_FILE must be an absolute path" };
  }
  return { kind: "file", ruleId, tokenFile };
}

/** What checking a workload identity or an access token from the environment came to. */
export type EnvCheck =
  | { kind: "ok"; mode: "workloadIdentity" | "personalAccessToken"; email?: string }
  | { kind: "error"; problem: string; variable: string };

/** HTTP reason phrases in Codex's messages. */
const REASON: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/**
 * Sign in with the file workload identity, as Codex does to check it: the assertion in the
 * token file exchanged at `{issuer}/oauth/token` (`grant_type` jwt-bearer, `assertion`,
 * `federation_rule_id`). A SPIFFE identity needs the Workload API (gRPC over its socket),
 * which codex-login does not speak: said as such.
 */
export async function checkWorkload(
  config: Exclude<WorkloadConfig, { kind: "invalid" }>,
  client: IssuerClient,
): Promise<EnvCheck> {
  const variable = "OPENAI_FEDERATION_RULE_ID";
  if (config.kind === "spiffe") {
    const path = config.socket.replace(/^unix:(\/\/)?/, "/").replace(/^\/+/, "/");
    const present = await Deno.stat(path).then(() => true, () => false);
    return {
      kind: "error",
      variable: "SPIFFE_ENDPOINT_SOCKET",
      problem: present
        ? "codex-login cannot speak the SPIFFE Workload API; check this identity with codex login status"
        : "the SPIFFE Workload API is unavailable or timed out",
    };
  }
  let assertion: string;
  try {
    assertion = (await Deno.readTextFile(config.tokenFile)).trim();
  } catch {
    return {
      kind: "error",
      variable: "OPENAI_IDENTITY_TOKEN_FILE",
      problem: `could not read workload identity assertion file ${config.tokenFile}`,
    };
  }
  try {
    const answer = await client.send({
      step: "workload_identity",
      url: client.tokenEndpoint,
      body: {
        form: {
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion,
          federation_rule_id: config.ruleId,
        },
      },
      secrets: [assertion],
    });
    if (answer.status >= 200 && answer.status < 300) {
      return { kind: "ok", mode: "workloadIdentity" };
    }
    return {
      kind: "error",
      variable,
      problem: `the workload identity token exchange was rejected with HTTP ${answer.status}`,
    };
  } catch (err) {
    return {
      kind: "error",
      variable,
      problem: `the workload identity token exchange failed (${errorText(err)})`,
    };
  }
}

/** Check `CODEX_ACCESS_TOKEN` with the issuer's whoami, as Codex's `login status` does. */
export async function checkAccessToken(token: string, client: IssuerClient): Promise<EnvCheck> {
  try {
    const answer = await client.send({
      step: "access_token_check",
      url: `${client.issuer}/api/accounts/v1/user-auth-credential/whoami`,
      body: { bearer: token },
      secrets: [token],
    });
    if (answer.status >= 200 && answer.status < 300) {
      const email = typeof answer.json?.email === "string" ? answer.json.email : undefined;
      return { kind: "ok", mode: "personalAccessToken", email };
    }
    const reason = REASON[answer.status] ? ` ${REASON[answer.status]}` : "";
    return {
      kind: "error",
      variable: ACCESS_TOKEN_VAR,
      problem:
        `personal access token metadata request failed with status ${answer.status}${reason}`,
    };
  } catch (err) {
    return {
      kind: "error",
      variable: ACCESS_TOKEN_VAR,
      problem: `failed to request personal access token metadata: ${errorText(err)}`,
    };
  }
}

/**
 * Why the stored credentials are not what Codex uses, when the environment takes over (a
 * workload identity, or `CODEX_ACCESS_TOKEN`); `undefined` when it does not. For `token` and
 * `refresh`, which act on the stored credentials only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { environmentTakesOver } from "./env_credentials.ts";
 * assert.equal(environmentTakesOver(() => undefined), undefined);
 * assert.equal(environmentTakesOver((n) => (n === "CODEX_ACCESS_TOKEN" ? "at-x" : undefined)), "CODEX_ACCESS_TOKEN");
 * ```
 */
export function environmentTakesOver(env: EnvRead): string | undefined {
  if (workloadConfig(env)) {
    return WORKLOAD_VARS.find((name) =>
      env(name) !== undefined && name !== "SPIFFE_ENDPOINT_SOCKET"
    );
  }
  return env(ACCESS_TOKEN_VAR) !== undefined ? ACCESS_TOKEN_VAR : undefined;
}
