/**
 * What every sign-in flow shares. {@linkcode resolveSignInContext} turns a flow's request and
 * dependencies into one context, once: the outbound client, the issuer client, the API base
 * and platform URL, the clock, the report, the credential store and the settings.
 * {@linkcode completeSignIn} then runs the token steps for a code however it arrived (loopback
 * callback, pasted URL, device code): exchange the code, refuse a forbidden workspace, refresh
 * an already-expired id_token, and save the credentials (the API key follows in
 * `after_sign_in.ts`).
 *
 * @module
 */

import { type ChatGptAuth, managedRefreshToken, rfc3339 } from "../store/auth_data.ts";
import type { CodexHome } from "../store/codex_home.ts";
import type { Settings } from "../store/config.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import { errorText } from "../base/errors.ts";
import { commandLine } from "../base/invocation.ts";
import { flowEvent, type Report, silent } from "../base/events.ts";
import { generateState } from "../base/pkce.ts";
import { FileCredentialStore } from "../store/file_store.ts";
import { HttpClient } from "../issuer/http_client.ts";
import { IssuerClient, issuerFailure, type SignInTokens } from "../issuer/issuer.ts";
import type { IssuerEndpoints } from "../issuer/issuer_config.ts";
import { type AccountClaims, accountClaims } from "../issuer/jwt.ts";
import { LoginLog } from "../store/login_log.ts";
import { workspaceAllowed, workspaceRefusal } from "./policy.ts";

/** A finished sign-in, as every sign-in flow reports it. */
export interface LoginResult {
  /** Where the credentials were written (the auth.json path for the file store). */
  authFile: string;
  /** `chatgpt_account_id`, "" when the issuer sent none. */
  accountId: string;
  /** The account's email, when the id_token has one. */
  email?: string;
  /** The ChatGPT plan, when the tokens say. */
  planType?: string;
  /** Whether the org still needs setup on the platform site. */
  needsSetup: boolean;
  /** Whether the success page offered the org-setup link (needs a platform URL). */
  setupLinkOffered: boolean;
}

/**
 * Where a sign-in goes besides the store: the saved accounts (`account_keeper.ts`). It saves
 * the new credentials as the active ones itself (keeping the replaced account's copy), and
 * resolves to the refresh token of the session the sign-in retires, if any.
 */
export interface SignInKeeper {
  /** Save `auth` into `store` (and the saved accounts); the session to retire. */
  save(store: CredentialStore, auth: ChatGptAuth): Promise<string | undefined>;
}

/** What a sign-in is asked to do: where, against which issuer, into which store. */
export interface SignInRequest {
  /** The codex home (config.toml, the lock, auth.json for the file store). */
  home: CodexHome;
  /** The issuer's URLs, resolved once (`resolveIssuer`). */
  endpoints: IssuerEndpoints;
  /** Where the credentials go. Default: auth.json in the codex home. */
  store?: CredentialStore;
  /** Codex's config.toml settings. Default: none. */
  settings?: Settings;
  /** Where the flow's events go. Default: nowhere. */
  report?: Report;
  /** The login log (support desk). Default: none. */
  trace?: LoginLog;
  /** Also keep the sign-in in the saved accounts. Default: the store alone. */
  keeper?: SignInKeeper;
}

/** What a sign-in depends on, replaceable by a caller (a test, an embedding program). */
export interface SignInDeps {
  /** The run's outbound client. Default: one made here (and closed when the flow ends). */
  http?: HttpClient;
  /** The clock (last_refresh, the API key's name, token expiry). */
  now?: () => Date;
}

/** A sign-in's resolved context: every default applied, every URL resolved once. */
export interface SignInContext {
  /** The issuer client. */
  readonly client: IssuerClient;
  /** The outbound client every request goes through. */
  readonly http: HttpClient;
  /** The codex home. */
  readonly home: CodexHome;
  /** Where the credentials go. */
  readonly store: CredentialStore;
  /** Codex's settings. */
  readonly settings: Settings;
  /** API base for credit redemption; none: no redemption. */
  readonly apiBase?: string;
  /** The platform site, for the org-setup link; none: no link. */
  readonly platformUrl?: string;
  /** The clock. */
  readonly now: () => Date;
  /** Where events go. */
  readonly report: Report;
  /** The context made `http` (and closes it when the flow ends). */
  readonly ownsHttp: boolean;
  /** The login log (a disabled one when none was given). */
  readonly trace: LoginLog;
  /** The saved accounts' keeper, when the sign-in goes there too. */
  readonly keeper?: SignInKeeper;
}

/**
 * Apply the defaults once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveSignInContext } from "./sign_in.ts";
 * import { resolveIssuer } from "../issuer/issuer_config.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * const ctx = resolveSignInContext({
 *   home: new CodexHome("/tmp/x"),
 *   endpoints: resolveIssuer({ issuer: "https://auth.openai.com/" }),
 * });
 * assert.equal(ctx.client.issuer, "https://auth.openai.com");
 * assert.equal(ctx.apiBase, "https://api.openai.com");
 * assert.equal(ctx.store.describe().endsWith("auth.json"), true);
 * ```
 */
export function resolveSignInContext(
  request: SignInRequest,
  deps: SignInDeps = {},
): SignInContext {
  const trace = request.trace ?? new LoginLog();
  const http = deps.http ?? new HttpClient({ trace });
  return {
    client: new IssuerClient({ endpoints: request.endpoints, http }),
    http,
    home: request.home,
    store: request.store ?? new FileCredentialStore(request.home),
    settings: request.settings ?? {},
    apiBase: request.endpoints.apiBase,
    platformUrl: request.endpoints.platformUrl,
    now: deps.now ?? (() => new Date()),
    report: request.report ?? silent,
    ownsHttp: deps.http === undefined,
    trace,
    keeper: request.keeper,
  };
}

/** A completed sign-in. */
export interface SignInOutcome {
  /** What was saved. */
  auth: ChatGptAuth;
  /** The account facts of the (possibly refreshed) id_token, decoded once. */
  claims: AccountClaims;
  /** The plan: the access token's claim, else the id_token's. */
  planType?: string;
  /** The org still needs setup (`is_org_owner && !completed_platform_onboarding`). */
  needsSetup: boolean;
  /** `{platform}/org-setup?...` when `needsSetup`. Holds the id_token: never log it. */
  setupUrl?: string;
  /** The refresh token of the session this sign-in replaced (revoked after the save). */
  previousRefreshToken?: string;
}

/** How one sign-in runs the token steps. */
export interface CompleteOptions {
  /** Aborts the sign-in; checked again right before the credentials are saved. */
  signal?: AbortSignal;
  /** The code's exchange, when it was started already (for these same parameters). */
  exchange?: Promise<SignInTokens>;
}

type Tokens = SignInTokens;

/** The seed's refresh of an id_token that arrived already expired; best effort. */
async function refreshIfExpired(
  ctx: SignInContext,
  tokens: Tokens,
  signal?: AbortSignal,
): Promise<Tokens> {
  const expiresAt = tokens.idClaims.expiresAt;
  if (expiresAt !== undefined && ctx.now().getTime() < expiresAt.getTime()) return tokens;
  ctx.report(flowEvent("note", "signin.refreshing", "Refreshing credentials..."));
  try {
    const fresh = await ctx.client.refresh(tokens.refreshToken, {
      reason: "proactive_expiry",
      signal,
    });
    if (fresh.idToken && fresh.refreshToken) {
      return {
        idToken: fresh.idToken,
        accessToken: fresh.accessToken ?? tokens.accessToken,
        refreshToken: fresh.refreshToken,
        idClaims: accountClaims(fresh.idToken), // a new id_token: its own claims
      };
    }
    ctx.report(flowEvent(
      "warning",
      "signin.refresh_incomplete",
      "Unable to refresh the ID token: the issuer's answer lacked tokens.",
    ));
  } catch (err) {
    ctx.report(flowEvent(
      "warning",
      "signin.refresh_failed",
      `Unable to refresh the ID token: ${errorText(err)}`,
    ));
  }
  return tokens;
}

function setupUrlFor(ctx: SignInContext, tokens: Tokens, plan: string): string | undefined {
  if (!ctx.platformUrl) return undefined;
  const claims = tokens.idClaims;
  const url = new URL("/org-setup", ctx.platformUrl);
  url.searchParams.set("p", plan);
  url.searchParams.set("t", tokens.idToken);
  url.searchParams.set("with_org", claims.organizationId ?? "");
  url.searchParams.set("project_id", claims.projectId ?? "");
  return url.href;
}

/**
 * Turn an authorization code into saved credentials.
 *
 * @example
 * ```ts ignore
 * import { completeSignIn, resolveSignInContext } from "./sign_in.ts";
 * const ctx = resolveSignInContext({ home, endpoints: resolveIssuer() });
 * const outcome = await completeSignIn(ctx, { code, redirectUri, codeVerifier });
 * console.log(outcome.auth.tokens.account_id);
 * ```
 */
export async function completeSignIn(
  ctx: SignInContext,
  params: { code: string; redirectUri: string; codeVerifier: string },
  options: CompleteOptions = {},
): Promise<SignInOutcome> {
  const { signal } = options;
  let tokens;
  try {
    tokens = await (options.exchange ?? ctx.client.exchangeCode(params, signal));
  } catch (err) {
    throw issuerFailure(
      err,
      "code_exchange",
      `Run ${commandLine([])} again to start a fresh sign-in.`,
    );
  }
  ctx.trace.secret(tokens.idToken, tokens.accessToken, tokens.refreshToken);
  await refuseWorkspace(ctx, tokens, signal);
  tokens = await refreshIfExpired(ctx, tokens, signal);

  // Saved at once, without the API key: the browser is answered now, and the key exchange
  // (best effort) runs after it, in afterSignIn.
  const claims = tokens.idClaims;
  const planType = accountClaims(tokens.accessToken).planType ?? claims.planType;
  const auth: ChatGptAuth = {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    // Codex 0.169's fields, in its order: where the tokens came from (Codex refreshes
    // there) and a new id for this sign-in (kept by every refresh).
    tokens: {
      id_token: tokens.idToken,
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      oauth_provenance: { issuer: ctx.client.issuer, client_id: ctx.client.clientId },
      login_owner_id: generateState(),
      account_id: claims.accountId ?? null,
    },
    last_refresh: rfc3339(ctx.now()),
  };
  if (signal?.aborted) throw signal.reason;
  let previousRefreshToken: string | undefined;
  try {
    if (ctx.keeper) {
      previousRefreshToken = await ctx.keeper.save(ctx.store, auth);
    } else {
      previousRefreshToken = await previousSession(ctx);
      await ctx.store.save(auth);
    }
    ctx.trace.secret(previousRefreshToken);
  } catch (err) {
    // Tokens nobody holds must not stay valid at the issuer (best effort).
    await ctx.client.revoke(tokens.refreshToken).catch(() => {});
    ctx.trace.event("save_failed_revoked", { store: ctx.store.kind });
    throw err;
  }
  ctx.trace.event("saved", { store: ctx.store.kind, account: claims.accountId });

  const needsSetup = !claims.completedPlatformOnboarding && claims.isOrgOwner;
  const setupUrl = needsSetup ? setupUrlFor(ctx, tokens, planType ?? "") : undefined;
  return { auth, claims, planType, needsSetup, setupUrl, previousRefreshToken };
}

/**
 * `forced_chatgpt_workspace_id`: a sign-in into another workspace saves nothing, and the
 * tokens just issued are revoked (best effort) so they do not linger at the issuer.
 */
async function refuseWorkspace(
  ctx: SignInContext,
  tokens: Tokens,
  signal?: AbortSignal,
): Promise<void> {
  const accountId = tokens.idClaims.accountId;
  if (workspaceAllowed(ctx.settings, accountId)) return;
  await ctx.client.revoke(tokens.refreshToken, signal).catch(() => {});
  throw workspaceRefusal(ctx.settings, accountId);
}

/** The refresh token of the stored Codex-managed session, if any (to retire it). */
async function previousSession(ctx: SignInContext): Promise<string | undefined> {
  // Unreadable credentials: nothing we can retire.
  return managedRefreshToken(await ctx.store.load().catch(() => undefined));
}

/** The {@linkcode LoginResult} of a completed sign-in. */
export function loginResult(ctx: SignInContext, outcome: SignInOutcome): LoginResult {
  return {
    authFile: ctx.store.describe(),
    accountId: outcome.auth.tokens.account_id ?? "",
    email: outcome.claims.email,
    planType: outcome.planType,
    needsSetup: outcome.needsSetup,
    setupLinkOffered: outcome.setupUrl !== undefined,
  };
}
