/**
 * The issuer client: the authorize URL, the code exchange, the API-key token exchange
 * (RFC 8693), refresh and revoke; `send` carries the steps kept in their own modules (the
 * device code in `device_code.ts`, a personal access token's check in `access_token.ts`).
 * Requests go through the run's one {@linkcode HttpClient}; every failure is an
 * {@linkcode IssuerError} in parts (the step, the reason, the status and the issuer's own
 * error code), never carrying a token.
 *
 * @module
 */

import { type HttpAnswer, type HttpClient, HttpError, type RequestBody } from "./http_client.ts";
import { type IssuerEndpoints, LOGIN_SCOPE, resolveIssuer } from "./issuer_config.ts";
import { accountClaims, decodeJwtClaims } from "./jwt.ts";
import { stringField } from "../base/json.ts";

import {
  describeOAuthError,
  IssuerError,
  type IssuerStep,
  type RefreshedTokens,
  type SignInTokens,
} from "./issuer_types.ts";

export {
  type DeviceCode,
  type DeviceGrant,
  IssuerError,
  issuerFailure,
  type IssuerStep,
  type RefreshedTokens,
  type SignInTokens,
  type TokenSet,
} from "./issuer_types.ts";

/**
 * Why a refresh is sent, in Codex 0.169's words: the access token expires within 5 minutes
 * (`proactive_expiry`), its expiry is unknown and the last refresh is over 8 days old
 * (`scheduled`), a person asked (`forced`), or an API answered 401 (`unauthorized_recovery`).
 */
export type RefreshReason = "proactive_expiry" | "scheduled" | "forced" | "unauthorized_recovery";

/** What an {@linkcode IssuerClient} talks to and through. */
export interface IssuerClientOptions {
  /** The issuer, resolved once (`resolveIssuer`). */
  endpoints: IssuerEndpoints;
  /** The run's outbound client. */
  http: HttpClient;
  /** Per-request timeout, ms; default the HTTP client's. */
  timeoutMs?: number;
}

/** One issuer request: its step (for messages), where, what, and the secrets it carries. */
export interface IssuerCall {
  /** The step it belongs to. */
  step: IssuerStep;
  /** Where it goes. */
  url: string;
  /** What it carries. */
  body: RequestBody;
  /** The secrets in it, cut out of any excerpt or message. */
  secrets: readonly string[];
  /** Cancels it. */
  signal?: AbortSignal;
}

/**
 * Talks to the issuer's OAuth endpoints.
 *
 * @example
 * ```ts
 * import { HttpClient } from "./http_client.ts";
 * import { IssuerClient } from "./issuer.ts";
 * import { resolveIssuer } from "./issuer_config.ts";
 * const endpoints = resolveIssuer({ issuer: "http://127.0.0.1:9999" });
 * const client = new IssuerClient({ endpoints, http: new HttpClient() });
 * const url = client.authorizeUrl({
 *   redirectUri: "http://127.0.0.1:1455/auth/callback",
 *   codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
 *   state: "xyz",
 * });
 * import assert from "node:assert/strict";
 * assert.ok(url.startsWith("http://127.0.0.1:9999/oauth/authorize?response_type=code"));
 * ```
 */
export class IssuerClient {
  /** Issuer base URL, no trailing slash. */
  readonly issuer: string;
  /** OAuth client id. */
  readonly clientId: string;
  readonly #http: HttpClient;
  readonly #timeoutMs?: number;
  readonly #insecure: boolean;

  /** A client for `endpoints`, sending through `http`. */
  constructor(options: IssuerClientOptions) {
    this.issuer = options.endpoints.issuer;
    this.clientId = options.endpoints.clientId;
    this.#insecure = options.endpoints.insecure;
    this.#http = options.http;
    this.#timeoutMs = options.timeoutMs;
  }

  /**
   * The client for the issuer a stored session came from (its `oauth_provenance`, as Codex
   * 0.169 writes it): this one when it is the same, else one at that issuer sharing this
   * client's connection settings. The same URL rules apply (plain http only on loopback
   * unless this client was made with `--insecure-issuer`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { HttpClient } from "./http_client.ts";
   * import { IssuerClient } from "./issuer.ts";
   * import { resolveIssuer } from "./issuer_config.ts";
   * const client = new IssuerClient({ endpoints: resolveIssuer(), http: new HttpClient() });
   * assert.equal(client.at({ issuer: "https://auth.openai.com", client_id: client.clientId }), client);
   * assert.equal(client.at({ issuer: "http://127.0.0.1:9/", client_id: "app_x" }).issuer, "http://127.0.0.1:9");
   * ```
   */
  at(provenance: { issuer: string; client_id: string } | undefined): IssuerClient {
    if (!provenance) return this;
    const endpoints = resolveIssuer({
      issuer: provenance.issuer,
      clientId: provenance.client_id,
      insecure: this.#insecure,
    });
    if (endpoints.issuer === this.issuer && endpoints.clientId === this.clientId) return this;
    return new IssuerClient({ endpoints, http: this.#http, timeoutMs: this.#timeoutMs });
  }

  /** `{issuer}/oauth/token`. */
  get tokenEndpoint(): string {
    return `${this.issuer}/oauth/token`;
  }

  /**
   * The authorize URL with Codex 0.169's parameters, in its order; `allowed_workspace_id`
   * (ids joined with `,`) when the sign-in is restricted to workspaces.
   */
  authorizeUrl(params: {
    redirectUri: string;
    codeChallenge: string;
    state: string;
    allowedWorkspaceIds?: readonly string[];
  }): string {
    // Codex 0.169's parameters in its order (read off the binary's authorize requests).
    const query = new URLSearchParams([
      ["response_type", "code"],
      ["client_id", this.clientId],
      ["redirect_uri", params.redirectUri],
      ["code_challenge", params.codeChallenge],
      ["code_challenge_method", "S256"],
      ["state", params.state],
      ["scope", LOGIN_SCOPE],
      ["id_token_add_organizations", "true"],
      ["codex_cli_simplified_flow", "true"],
      ["originator", this.#http.originator],
    ]);
    if (params.allowedWorkspaceIds?.length) {
      query.append("allowed_workspace_id", params.allowedWorkspaceIds.join(","));
    }
    return `${this.issuer}/oauth/authorize?${query}`;
  }

  /** The run's outbound client this issuer client sends through. */
  get http(): HttpClient {
    return this.#http;
  }

  /**
   * Send one request to the issuer for `step`; any HTTP status is an answer, and a missing
   * answer is an {@linkcode IssuerError} naming the step. The steps outside this class
   * (`device_code.ts`, `access_token.ts`) send through here.
   */
  async send(call: IssuerCall): Promise<HttpAnswer> {
    const { step, url, body, secrets, signal } = call;
    try {
      return await this.#http.send(url, body, { secrets, signal, timeoutMs: this.#timeoutMs });
    } catch (err) {
      if (err instanceof HttpError) throw new IssuerError(step, err.message, err);
      throw err;
    }
  }

  /** Send a request whose answer must be a 2xx JSON object. */
  async #post(call: IssuerCall): Promise<HttpAnswer> {
    const answer = await this.send(call);
    if (answer.status < 200 || answer.status > 299) {
      const { code, description } = describeOAuthError(answer, call.secrets);
      const said = code
        ? `${code}${description ? `: ${description}` : ""}`
        : `HTTP ${answer.status}${answer.excerpt ? ` ${JSON.stringify(answer.excerpt)}` : ""}`;
      throw new IssuerError(call.step, `the issuer answered ${answer.status} (${said})`, {
        status: answer.status,
        oauthCode: code,
      });
    }
    if (!answer.json) {
      throw new IssuerError(call.step, "the issuer's answer was not a JSON object", {
        status: answer.status,
      });
    }
    return answer;
  }

  /**
   * Exchange an authorization code (form POST, grant_type=authorization_code). Requires a
   * JWT id_token, an access_token and a refresh_token in the answer.
   */
  async exchangeCode(
    params: { code: string; redirectUri: string; codeVerifier: string },
    signal?: AbortSignal,
  ): Promise<SignInTokens> {
    const answer = await this.#post({
      step: "code_exchange",
      url: this.tokenEndpoint,
      body: {
        form: {
          grant_type: "authorization_code",
          code: params.code,
          redirect_uri: params.redirectUri,
          client_id: this.clientId,
          code_verifier: params.codeVerifier,
        },
      },
      secrets: [params.code, params.codeVerifier],
      signal,
    });
    const json = answer.json ?? {};
    const idToken = stringField(json, "id_token");
    const accessToken = stringField(json, "access_token");
    const refreshToken = stringField(json, "refresh_token");
    if (!idToken || !accessToken || !refreshToken) {
      const missing = { id_token: idToken, access_token: accessToken, refresh_token: refreshToken };
      const names = Object.entries(missing).filter(([, v]) => !v).map(([k]) => k);
      throw new IssuerError("code_exchange", `the issuer's answer has no ${names.join(", ")}`, {
        status: answer.status,
      });
    }
    const claims = decodeJwtClaims(idToken);
    if (claims === undefined) {
      throw new IssuerError("code_exchange", "the issuer's id_token is not a readable JWT", {
        status: answer.status,
      });
    }
    return { idToken, accessToken, refreshToken, idClaims: accountClaims(claims) };
  }

  /**
   * Exchange an id_token for an API key (RFC 8693, as the seed: requested_token=
   * openai-api-key). `name` is the key's label, see {@linkcode apiKeyName}.
   */
  async exchangeApiKey(idToken: string, name: string, signal?: AbortSignal): Promise<string> {
    const answer = await this.#post({
      step: "api_key_exchange",
      url: this.tokenEndpoint,
      body: {
        form: {
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          client_id: this.clientId,
          requested_token: "openai-api-key",
          subject_token: idToken,
          subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
          name,
        },
      },
      secrets: [idToken],
      signal,
    });
    const key = stringField(answer.json ?? {}, "access_token");
    if (!key) {
      throw new IssuerError("api_key_exchange", "the answer has no access_token", {
        status: answer.status,
      });
    }
    return key;
  }

  /**
   * Refresh as Codex 0.169 does: JSON `{client_id, grant_type, refresh_reason,
   * refresh_token}`, no scope. `reason` says why (default `forced`: a person asked). Returns
   * the tokens the issuer sent; the caller stores every one of them.
   */
  async refresh(
    refreshToken: string,
    options: { reason?: RefreshReason; signal?: AbortSignal } = {},
  ): Promise<RefreshedTokens> {
    const { reason = "forced", signal } = options;
    const answer = await this.#post({
      step: "refresh",
      url: this.tokenEndpoint,
      body: {
        json: {
          client_id: this.clientId,
          grant_type: "refresh_token",
          refresh_reason: reason,
          refresh_token: refreshToken,
        },
      },
      secrets: [refreshToken],
      signal,
    });
    const json = answer.json ?? {};
    return {
      idToken: stringField(json, "id_token"),
      accessToken: stringField(json, "access_token"),
      refreshToken: stringField(json, "refresh_token"),
    };
  }

  /**
   * Revoke a token at `{issuer}/oauth/revoke` (JSON, as Codex: a refresh token with the
   * client id, an access token without).
   */
  async revoke(
    token: string,
    signal?: AbortSignal,
    kind: "refresh_token" | "access_token" = "refresh_token",
  ): Promise<void> {
    const body = kind === "refresh_token"
      ? { token, token_type_hint: kind, client_id: this.clientId }
      : { token, token_type_hint: kind };
    try {
      await this.#post({
        step: "revoke",
        url: `${this.issuer}/oauth/revoke`,
        body: { json: body },
        secrets: [token],
        signal,
      });
    } catch (err) {
      // RFC 7009: a 200 with an empty or non-JSON body is a success.
      if (err instanceof IssuerError && err.status !== undefined && err.status < 300) return;
      throw err;
    }
  }
}

/**
 * The API key's label as the seed writes it:
 * `Codex CLI [auto-generated] (YYYY-MM-DD) [12 hex]`, the date in UTC.
 *
 * @example
 * ```ts
 * import { apiKeyName } from "./issuer.ts";
 * import assert from "node:assert/strict";
 * const name = apiKeyName(new Date("2026-01-02T03:04:05Z"));
 * assert.match(name, /^Codex CLI \[auto-generated\] \(2026-01-02\) \[[0-9a-f]{12}\]$/);
 * ```
 */
export function apiKeyName(now: Date): string {
  const day = now.toISOString().slice(0, 10);
  const random = crypto.getRandomValues(new Uint8Array(6)).toHex();
  return `Codex CLI [auto-generated] (${day}) [${random}]`;
}
