/**
 * A real OAuth issuer for tests, on 127.0.0.1:0. It checks what the real one checks (PKCE
 * S256, client_id, redirect_uri, single-use codes, refresh-token rotation with reuse
 * detection), records every request, and plays scenarios: access denied, token endpoint
 * failures, slow answers, expired id_tokens, API-key exchange failures, missing claims.
 *
 * @module
 */

import { s256Challenge } from "../../lib/base/pkce.ts";

/** The account facts the issued id_token carries. */
export interface FakeAccount {
  email?: string;
  /** `chatgpt_user_id` (and `sub`) in the id_token; default `user-<email>`. */
  userId?: string;
  accountId?: string;
  organizationId?: string;
  projectId?: string;
  planType?: string;
  completedPlatformOnboarding?: boolean;
  isOrgOwner?: boolean;
  subscriptionActiveStart?: string;
}

/** What the issuer does; change it any time through `issuer.scenario`. */
export interface Scenario {
  /**
   * `/oauth/authorize` approves (redirects with a code), denies, or refuses an account
   * without Codex (`access_denied` with `missing_codex_entitlement`).
   */
  authorize: "approve" | "access_denied" | "missing_entitlement";
  /** Show a consent page with Allow/Deny links instead of redirecting at once. */
  consentPage: boolean;
  /** Accept the seed's authorize parameters too (older scope, no originator): for the bench. */
  seedCompatible: boolean;
  /** The account in the tokens. */
  account: FakeAccount;
  /** Issue the first id_token already expired. */
  expiredIdToken: boolean;
  /** Code exchange: a fault instead of tokens. */
  codeExchange: "ok" | "500" | "non_json" | "missing_fields" | "wrong_types" | "invalid_grant";
  /** Delay every /oauth/token answer by this many ms. */
  tokenDelayMs: number;
  /** API-key exchange: ok or a 401 error. */
  apiKeyExchange: "ok" | "fail";
  /** Delay the API-key exchange alone by this many ms. */
  apiKeyDelayMs: number;
  /**
   * Refresh: ok, a 401 invalid_grant, one of Codex's permanent codes (400 with
   * `{error: {code}}`), or a 503 (transient).
   */
  refresh:
    | "ok"
    | "invalid_grant"
    | "refresh_token_expired"
    | "refresh_token_reused"
    | "refresh_token_invalidated"
    | "503";
  /** Credits granted by /v1/billing/redeem_credits. */
  creditsGranted: number;
  /** Revoke: ok or 500. */
  revoke: "ok" | "500";
  /** Device sign-in: enabled, or disabled (404 on the usercode endpoint). */
  device: "enabled" | "disabled";
  /** The poll interval the usercode endpoint hands out (string seconds, as the real one). */
  deviceInterval: string;
  /** The device code counts as entered after this many polls (Infinity: never). */
  deviceApproveAfterPolls: number;
  /** The one-time code the usercode endpoint hands out. */
  deviceUserCode: string;
  /** Simulated connection set-up: added to the first request of each new connection, ms. */
  connectMs: number;
  /** Simulated round trip: added to every request, ms. */
  latencyMs: number;
  /** Lifetime of the access tokens it issues, seconds (code exchange and refresh). */
  accessTtlS: number;
  /**
   * Refresh like OpenAI: a refresh token presented a second time answers 401
   * `refresh_token_reused` and revokes its whole family (every refresh and access token of
   * that sign-in); any later refresh in a revoked family answers 401
   * `refresh_token_invalidated`. Off: a spent token answers 401 `invalid_grant`.
   */
  reuseDetection: boolean;
}

/**
 * One sign-in's chain of tokens: each refresh spends a refresh token and issues the next
 * tokens into the same family.
 */
export interface TokenFamily {
  /** A number naming the family in records (1, 2, ...). */
  id: number;
  /** The account its tokens are for; undefined: the scenario's account at each issue. */
  account?: FakeAccount;
  /** Revoked (reuse detected, or revoked at /oauth/revoke with reuse detection on). */
  revoked: boolean;
}

/** How the issuer is served: TLS with a test certificate, and the host name in its URL. */
export interface IssuerServerOptions {
  /** PEM certificate and key: serve https. */
  tls?: { cert: string; key: string };
  /** The host in `url` (e.g. `issuer.test`, which only the test proxy resolves). */
  urlHost?: string;
  /** The port to listen on (default: any free one); 443 over TLS is left out of `url`. */
  port?: number;
}

/** A request the issuer received. */
export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string;
  /** Form or JSON body fields (JSON values stringified), or query for GET. */
  params: Record<string, string>;
  /** The request's headers. */
  headers: Headers;
  /** It came on a connection that had carried no request before. */
  newConnection: boolean;
}

/** Base64url JSON segment. */
function segment(value: unknown): string {
  return new TextEncoder().encode(JSON.stringify(value)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/** An unsigned JWT with the given claims. */
export function makeJwt(claims: Record<string, unknown>): string {
  return `${segment({ alg: "none", typ: "JWT" })}.${segment(claims)}.${
    crypto.getRandomValues(new Uint8Array(16)).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    })
  }`;
}

/** The default test account: a Plus subscriber of 30 days with an org and project. */
export const DEFAULT_ACCOUNT: FakeAccount = {
  email: "person@example.com",
  accountId: "acct_123",
  organizationId: "org_abc",
  projectId: "proj_def",
  planType: "plus",
  completedPlatformOnboarding: true,
  isOrgOwner: true,
  subscriptionActiveStart: "2026-01-01T00:00:00Z",
};

/** The default scenario: everything works. */
export function defaultScenario(): Scenario {
  return {
    authorize: "approve",
    consentPage: false,
    seedCompatible: false,
    account: { ...DEFAULT_ACCOUNT },
    expiredIdToken: false,
    codeExchange: "ok",
    tokenDelayMs: 0,
    apiKeyExchange: "ok",
    refresh: "ok",
    creditsGranted: 5,
    revoke: "ok",
    device: "enabled",
    deviceInterval: "0.2",
    deviceApproveAfterPolls: 2,
    deviceUserCode: "ABCD-2345",
    connectMs: 0,
    latencyMs: 0,
    apiKeyDelayMs: 0,
    accessTtlS: 3600,
    reuseDetection: false,
  };
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  used: boolean;
  /** The account its tokens are for; undefined: the scenario's account at the exchange. */
  account?: FakeAccount;
}

function consentPage(allow: string, deny: string): Response {
  const esc = (t: string) => t.replaceAll("&", "&amp;").replaceAll('"', "&quot;");
  return new Response(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fake issuer: sign in</title>
<style>body{font:16px system-ui;margin:40px auto;max-width:420px}a{display:inline-block;margin:8px;padding:10px 16px;border:1px solid #888;border-radius:8px}</style></head>
<body><h1>Fake issuer</h1><p>Allow Codex CLI to access your account?</p>
<a id="allow" href="${esc(allow)}">Allow</a><a id="deny" href="${
      esc(deny)
    }">Deny</a></body></html>`,
    { headers: { "content-type": "text/html; charset=utf-8" } },
  );
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** An error as OpenAI's token endpoint words it: `{error: {message, type, param, code}}`. */
function openAiError(status: number, code: string, message: string): Response {
  return json(status, { error: { message, type: "invalid_request_error", param: null, code } });
}

/** A running fake issuer. */
export class FakeIssuer {
  /** The base URL, `http://127.0.0.1:{port}`. */
  readonly url: string;
  /** What it does now. */
  scenario: Scenario;
  /** Every request, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Every API key it handed out. */
  readonly apiKeys: string[] = [];
  /** Every refresh it answered: the token presented, the status and the error code ("" on 200). */
  readonly refreshAnswers: { refreshToken: string; status: number; code: string }[] = [];
  /** Every revoke it received: the token and its type hint, in order. */
  readonly revoked: { token: string; hint: string; clientId?: string }[] = [];
  readonly clientId: string;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #codes = new Map<string, PendingCode>();
  /** Refresh tokens: value -> still valid. */
  readonly refreshTokens = new Map<string, boolean>();
  /** Personal access tokens `whoami` accepts (`at-...`). */
  readonly accessTokens = new Set<string>();
  /**
   * When set, a successful refresh is answered only once this promise settles (the token
   * is spent at once): a test holds one program's refresh open while another races it.
   */
  refreshHold?: Promise<void>;
  readonly #idTokens = new Set<string>();
  /** Every token it issued -> its family (and, for access tokens, their expiry). */
  readonly #families = new Map<string, TokenFamily>();
  readonly #accessExpiry = new Map<string, number>();
  #familyCount = 0;

  constructor(scenario: Scenario, clientId: string, options: IssuerServerOptions = {}) {
    this.scenario = scenario;
    this.clientId = clientId;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {}, ...options.tls },
      (req, info) => this.#arrive(req, info),
    );
    const scheme = options.tls ? "https" : "http";
    const port = options.tls && this.#server.addr.port === 443 ? "" : `:${this.#server.addr.port}`;
    this.url = `${scheme}://${options.urlHost ?? "127.0.0.1"}${port}`;
  }

  /** The port it listens on (127.0.0.1). */
  get port(): number {
    return this.#server.addr.port;
  }

  /** Requests to one path. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Requests to /oauth/token with one grant_type. */
  tokenRequests(grantType: string): RecordedRequest[] {
    return this.requestsTo("/oauth/token").filter((r) => r.params.grant_type === grantType);
  }

  /** Stop the server. */
  async close(): Promise<void> {
    await this.#server.shutdown();
  }

  /** auth.json contents for a ChatGPT sign-in with fresh tokens from this issuer. */
  signedInAuth(): {
    auth_mode: "chatgpt";
    OPENAI_API_KEY: null;
    tokens: { id_token: string; access_token: string; refresh_token: string; account_id: string };
    last_refresh: string;
  } {
    return {
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: { ...this.issueTokens(), account_id: this.scenario.account.accountId ?? "" },
      last_refresh: "2026-11-20T00:00:00.000Z",
    };
  }

  /** A fresh token set (a new family) for `account`, as a sign-in of that account gets. */
  issueTokensFor(
    account: FakeAccount,
    accessTtlS = this.scenario.accessTtlS,
  ): { id_token: string; access_token: string; refresh_token: string } {
    return this.issueTokens(false, accessTtlS, this.newFamily(account));
  }

  /** A new, empty token family (for `issueTokens`). */
  newFamily(account?: FakeAccount): TokenFamily {
    this.#familyCount += 1;
    return { id: this.#familyCount, account, revoked: false };
  }

  /** The family a token it issued (id, access or refresh) belongs to. */
  familyOf(token: string): TokenFamily | undefined {
    return this.#families.get(token);
  }

  /**
   * The account an access token it issued is good for, or undefined when the token is
   * unknown, expired, or its family was revoked (what a resource server would refuse).
   */
  accessTokenAccount(token: string): FakeAccount | undefined {
    const family = this.#families.get(token);
    const expiry = this.#accessExpiry.get(token);
    if (!family || expiry === undefined || family.revoked || expiry * 1000 <= Date.now()) {
      return undefined;
    }
    return family.account ?? this.scenario.account;
  }

  /** A fresh token set for the scenario's account (or the family's, in that family). */
  issueTokens(
    expired = false,
    accessTtlS = 3600,
    family: TokenFamily = this.newFamily(),
  ): { id_token: string; access_token: string; refresh_token: string } {
    const a = family.account ?? this.scenario.account;
    const now = Math.floor(Date.now() / 1000);
    const auth: Record<string, unknown> = {
      chatgpt_account_id: a.accountId,
      organization_id: a.organizationId,
      project_id: a.projectId,
      completed_platform_onboarding: a.completedPlatformOnboarding,
      is_org_owner: a.isOrgOwner,
      chatgpt_plan_type: a.planType,
      chatgpt_subscription_active_start: a.subscriptionActiveStart,
    };
    for (const key of Object.keys(auth)) if (auth[key] === undefined) delete auth[key];
    const userId = a.userId ?? (a.email ? `user-${a.email}` : undefined);
    if (userId) auth.chatgpt_user_id = userId;
    const id_token = makeJwt({
      iss: this.url,
      aud: this.clientId,
      sub: userId,
      email: a.email,
      iat: now,
      exp: expired ? now - 60 : now + 3600,
      "https://api.openai.com/auth": auth,
    });
    const access_token = makeJwt({
      exp: now + accessTtlS,
      "https://api.openai.com/auth": { chatgpt_plan_type: a.planType },
    });
    const refresh_token = `rt_${crypto.getRandomValues(new Uint8Array(12)).toHex()}`;
    this.refreshTokens.set(refresh_token, true);
    this.#idTokens.add(id_token);
    this.#families.set(id_token, family);
    this.#families.set(refresh_token, family);
    this.#families.set(access_token, family);
    this.#accessExpiry.set(access_token, now + accessTtlS);
    return { id_token, access_token, refresh_token };
  }

  async #params(req: Request, url: URL): Promise<Record<string, string>> {
    if (req.method === "GET") return Object.fromEntries(url.searchParams);
    const text = await req.text();
    const type = req.headers.get("content-type") ?? "";
    if (type.startsWith("application/json")) {
      try {
        const value = JSON.parse(text) as Record<string, unknown>;
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
        );
      } catch {
        return { _raw: text };
      }
    }
    return Object.fromEntries(new URLSearchParams(text));
  }

  readonly #connections = new Set<string>();
  /** How many requests opened a new connection (for the warm-pool test and bench). */
  newConnections = 0;

  /** Simulated network: `connectMs` on a connection's first request, `latencyMs` on each. */
  async #arrive(req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
    const peer = `${info.remoteAddr.hostname}:${info.remoteAddr.port}`;
    let delay = this.scenario.latencyMs;
    const fresh = !this.#connections.has(peer);
    if (fresh) {
      this.#connections.add(peer);
      this.newConnections += 1;
      delay += this.scenario.connectMs;
    }
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    try {
      return await this.#handle(req, fresh);
    } catch {
      // The client went away mid-request (a killed process): nobody reads this answer.
      return new Response(null, { status: 499 });
    }
  }

  async #handle(req: Request, newConnection: boolean): Promise<Response> {
    const url = new URL(req.url);
    const params = await this.#params(req, url);
    this.requests.push({
      method: req.method,
      path: url.pathname,
      contentType: req.headers.get("content-type") ?? "",
      params,
      headers: req.headers,
      newConnection,
    });
    if (url.pathname === "/oauth/authorize" && req.method === "GET") return this.#authorize(params);
    if (url.pathname === "/.well-known/openid-configuration" && req.method === "GET") {
      return json(200, {
        issuer: this.url,
        authorization_endpoint: `${this.url}/oauth/authorize`,
        token_endpoint: `${this.url}/oauth/token`,
      });
    }
    if (url.pathname === "/oauth/token" && req.method === "POST") {
      if (this.scenario.tokenDelayMs > 0) {
        await new Promise((r) => setTimeout(r, this.scenario.tokenDelayMs));
      }
      return await this.#token(params, req.headers.get("content-type") ?? "");
    }
    if (url.pathname === "/oauth/revoke" && req.method === "POST") {
      if (this.scenario.revoke === "500") return json(500, { error: "server_error" });
      this.revoked.push({
        token: params.token,
        hint: params.token_type_hint,
        clientId: params.client_id,
      });
      this.refreshTokens.set(params.token, false);
      const family = this.#families.get(params.token);
      if (family && this.scenario.reuseDetection) family.revoked = true;
      return json(200, {});
    }
    if (url.pathname === "/api/accounts/deviceauth/usercode" && req.method === "POST") {
      return this.#deviceUserCode(params);
    }
    if (url.pathname === "/api/accounts/deviceauth/token" && req.method === "POST") {
      return await this.#deviceToken(params);
    }
    if (url.pathname === "/api/accounts/v1/user-auth-credential/whoami" && req.method === "GET") {
      const token = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
      if (!this.accessTokens.has(token)) return json(401, { error: "invalid_token" });
      const a = this.scenario.account;
      return json(200, {
        email: a.email,
        chatgpt_user_id: "user_fake",
        chatgpt_account_id: a.accountId,
        chatgpt_plan_type: a.planType,
        chatgpt_account_is_fedramp: false,
      });
    }
    if (url.pathname === "/v1/billing/redeem_credits" && req.method === "POST") {
      return json(200, { granted_chatgpt_subscriber_api_credits: this.scenario.creditsGranted });
    }
    return json(404, { error: "not_found" });
  }

  #authorize(p: Record<string, string>): Response {
    const redirect = new URL(p.redirect_uri ?? "about:blank");
    const problems: string[] = [];
    if (p.response_type !== "code") problems.push("response_type");
    if (p.client_id !== this.clientId) problems.push("client_id");
    if (p.code_challenge_method !== "S256") problems.push("code_challenge_method");
    if (!p.code_challenge || p.code_challenge.length !== 43) problems.push("code_challenge");
    if (!this.scenario.seedCompatible) {
      if (
        p.scope !== "openid profile email offline_access api.connectors.read api.connectors.invoke"
      ) {
        problems.push("scope");
      }
      if (p.codex_cli_simplified_flow !== "true") problems.push("codex_cli_simplified_flow");
      if (!p.originator) problems.push("originator");
    }
    if (p.id_token_add_organizations !== "true") problems.push("id_token_add_organizations");
    if (!p.state) problems.push("state");
    if (problems.length > 0) return json(400, { error: "invalid_request", problems });
    const denied = new URL(redirect);
    denied.searchParams.set("error", "access_denied");
    denied.searchParams.set("error_description", "The user declined the request.");
    denied.searchParams.set("state", p.state);
    const code = this.mintCode(p.redirect_uri, p.code_challenge, p.client_id);
    redirect.searchParams.set("code", code);
    redirect.searchParams.set("state", p.state);
    if (this.scenario.authorize === "missing_entitlement") {
      denied.searchParams.set("error_description", "missing_codex_entitlement");
    }
    const target = this.scenario.authorize === "approve" ? redirect : denied;
    if (this.scenario.consentPage) return consentPage(redirect.href, denied.href);
    return new Response(null, { status: 302, headers: { location: target.href } });
  }

  /**
   * Mint a code directly (for tests that skip /oauth/authorize); with `account`, its tokens
   * are that account's (someone else who signed in at the same authorize URL).
   */
  mintCode(
    redirectUri: string,
    challenge: string,
    clientId = this.clientId,
    account?: FakeAccount,
  ): string {
    const code = `ac_${crypto.getRandomValues(new Uint8Array(16)).toHex()}`;
    this.#codes.set(code, { clientId, redirectUri, challenge, used: false, account });
    return code;
  }

  readonly #devices = new Map<string, { userCode: string; polls: number }>();

  #deviceUserCode(p: Record<string, string>): Response {
    if (this.scenario.device === "disabled") return json(404, { error: "not_found" });
    if (p.client_id !== this.clientId) return json(400, { error: "invalid_client" });
    const id = `da_${crypto.getRandomValues(new Uint8Array(8)).toHex()}`;
    const userCode = this.scenario.deviceUserCode;
    this.#devices.set(id, { userCode, polls: 0 });
    return json(200, {
      device_auth_id: id,
      usercode: userCode,
      interval: this.scenario.deviceInterval,
    });
  }

  async #deviceToken(p: Record<string, string>): Promise<Response> {
    const device = this.#devices.get(p.device_auth_id ?? "");
    if (!device || device.userCode !== p.user_code) return json(400, { error: "invalid_request" });
    device.polls += 1;
    if (device.polls < this.scenario.deviceApproveAfterPolls) {
      return json(403, { error: "authorization_pending" });
    }
    this.#devices.delete(p.device_auth_id);
    const verifier = crypto.getRandomValues(new Uint8Array(32)).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
    const challenge = await s256Challenge(verifier);
    const code = this.mintCode(`${this.url}/deviceauth/callback`, challenge);
    return json(200, {
      authorization_code: code,
      code_challenge: challenge,
      code_verifier: verifier,
    });
  }

  async #token(p: Record<string, string>, contentType: string): Promise<Response> {
    switch (p.grant_type) {
      case "authorization_code":
        return await this.#codeGrant(p, contentType);
      case "urn:ietf:params:oauth:grant-type:token-exchange":
        await new Promise((r) => setTimeout(r, this.scenario.apiKeyDelayMs));
        return this.#exchange(p);
      case "refresh_token": {
        const answer = this.#refresh(p, contentType);
        const code = await answer.clone().json().then(
          (body: { error?: string | { code?: string } }) =>
            typeof body.error === "string" ? body.error : body.error?.code ?? "",
          () => "",
        );
        this.refreshAnswers.push({ refreshToken: p.refresh_token, status: answer.status, code });
        if (answer.status === 200 && this.refreshHold) await this.refreshHold;
        return answer;
      }
      default:
        return json(400, { error: "unsupported_grant_type" });
    }
  }

  async #codeGrant(p: Record<string, string>, contentType: string): Promise<Response> {
    if (!contentType.startsWith("application/x-www-form-urlencoded")) {
      return json(400, { error: "invalid_request", error_description: "form body expected" });
    }
    const pending = this.#codes.get(p.code ?? "");
    if (!pending || pending.used) {
      return json(400, { error: "invalid_grant", error_description: "unknown or used code" });
    }
    pending.used = true;
    if (p.client_id !== pending.clientId) return json(401, { error: "invalid_client" });
    if (p.redirect_uri !== pending.redirectUri) {
      return json(400, { error: "invalid_grant", error_description: "redirect_uri mismatch" });
    }
    if (!p.code_verifier || (await s256Challenge(p.code_verifier)) !== pending.challenge) {
      return json(400, { error: "invalid_grant", error_description: "PKCE verification failed" });
    }
    switch (this.scenario.codeExchange) {
      case "500":
        return new Response("upstream exploded", { status: 500 });
      case "non_json":
        return new Response("<html>not json</html>", { status: 200 });
      case "missing_fields":
        return json(200, { access_token: "x" });
      case "wrong_types":
        return json(200, { id_token: 42, access_token: ["a"], refresh_token: null });
      case "invalid_grant":
        return json(400, {
          error: "invalid_grant",
          error_description: `code ${p.code} has expired`,
        });
    }
    // The sign-in's family belongs to the account signed in: its refreshes stay that account's.
    const family = this.newFamily({ ...(pending.account ?? this.scenario.account) });
    return json(
      200,
      this.issueTokens(this.scenario.expiredIdToken, this.scenario.accessTtlS, family),
    );
  }

  #exchange(p: Record<string, string>): Response {
    const ok = p.client_id === this.clientId &&
      p.requested_token === "openai-api-key" &&
      p.subject_token_type === "urn:ietf:params:oauth:token-type:id_token" &&
      this.#idTokens.has(p.subject_token ?? "") &&
      /^Codex CLI \[auto-generated\] \(\d{4}-\d{2}-\d{2}\) \[[0-9a-f]{12}\]$/.test(p.name ?? "");
    if (!ok || this.scenario.apiKeyExchange === "fail") {
      return json(401, {
        error: "invalid_subject_token",
        error_description: "token exchange refused",
      });
    }
    const claims = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.fromBase64(p.subject_token.split(".")[1], { alphabet: "base64url" }),
      ),
    ) as { exp: number };
    if (claims.exp * 1000 <= Date.now()) {
      return json(401, { error: "invalid_subject_token", error_description: "id_token expired" });
    }
    const key = `sk-proj-${crypto.getRandomValues(new Uint8Array(20)).toHex()}`;
    this.apiKeys.push(key);
    return json(200, { access_token: key, token_type: "Bearer" });
  }

  #refresh(p: Record<string, string>, contentType: string): Response {
    if (!contentType.startsWith("application/json")) {
      return json(400, { error: "invalid_request", error_description: "JSON body expected" });
    }
    if (p.client_id !== this.clientId) return json(400, { error: "invalid_request" });
    const outcome = this.scenario.refresh;
    if (outcome === "503") return json(503, { error: "temporarily_unavailable" });
    if (outcome.startsWith("refresh_token_")) {
      return json(400, { error: { code: outcome, message: "refresh refused" } });
    }
    const family = this.#families.get(p.refresh_token);
    if (this.scenario.reuseDetection && family) {
      if (family.revoked) {
        return openAiError(
          401,
          "refresh_token_invalidated",
          "Your session has ended. Please log in again.",
        );
      }
      if (this.refreshTokens.get(p.refresh_token) !== true) {
        family.revoked = true;
        return openAiError(
          401,
          "refresh_token_reused",
          "Your refresh token has already been used to generate a new access token. Please try signing in again.",
        );
      }
    }
    if (outcome === "invalid_grant" || this.refreshTokens.get(p.refresh_token) !== true) {
      return json(401, {
        error: "invalid_grant",
        error_description: "The refresh token has already been used or was revoked.",
      });
    }
    this.refreshTokens.set(p.refresh_token, false);
    return json(200, this.issueTokens(false, this.scenario.accessTtlS, family));
  }
}

/**
 * Start a fake issuer on 127.0.0.1:0.
 *
 * @example
 * ```ts ignore
 * await using issuer = await startFakeIssuer();
 * ```
 */
export function startFakeIssuer(
  scenario: Partial<Scenario> = {},
  clientId = "app_EMoamEEZ73f0CkXaXp7hrann",
  options: IssuerServerOptions = {},
): FakeIssuer & AsyncDisposable {
  const issuer = new FakeIssuer({ ...defaultScenario(), ...scenario }, clientId, options);
  return Object.assign(issuer, { [Symbol.asyncDispose]: () => issuer.close() });
}
