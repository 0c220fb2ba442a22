/**
 * The token steps of a sign-in, shared by every way a code arrives (loopback callback,
 * pasted URL, device code): exchange the code, refresh an already-expired id_token, exchange
 * the id_token for an API key, and save auth.json atomically.
 *
 * @module
 */

import { authFilePath, type ChatGptAuth, rfc3339, saveAuthFile } from "./auth_store.ts";
import { maybeRedeemCredits, type RedeemOutcome } from "./credits.ts";
import { LoginError } from "./errors.ts";
import { apiKeyName, type IssuerClient, IssuerError } from "./issuer.ts";
import { type AccountClaims, accountClaims, isExpired } from "./jwt.ts";

/** A finished sign-in, as every sign-in flow reports it. */
export interface LoginResult {
  /** The auth.json that was written. */
  authFile: string;
  /** `chatgpt_account_id`, "" when the issuer sent none. */
  accountId: string;
  /** The account's email, when the id_token has one. */
  email?: string;
  /** The ChatGPT plan, when the tokens say. */
  planType?: string;
  /** Whether the org still needs setup on the platform site. */
  needsSetup: boolean;
}

/** What a sign-in needs besides the code. */
export interface SignInContext {
  /** The issuer client. */
  client: IssuerClient;
  /** Where auth.json goes. */
  codexHome: string;
  /** The platform site, for the org-setup link. */
  platformUrl: string;
  /** The clock. */
  now: () => Date;
  /** Where progress and warnings go (one line each). */
  log: (line: string) => void;
  /** Aborts the sign-in; checked again right before auth.json is written. */
  signal?: AbortSignal;
  /** When true, a failed API-key exchange is a warning and auth.json gets a null key. */
  apiKeyOptional?: boolean;
}

/** A completed sign-in. */
export interface SignInOutcome {
  /** What was written to auth.json. */
  auth: ChatGptAuth;
  /** The account facts of the (possibly refreshed) id_token. */
  claims: AccountClaims;
  /** The org still needs setup (`is_org_owner && !completed_platform_onboarding`). */
  needsSetup: boolean;
  /** `{platform}/org-setup?...` when `needsSetup`. Holds the id_token: never log it. */
  setupUrl?: string;
}

function fromIssuerError(err: unknown, kind: "code_exchange" | "api_key_exchange"): unknown {
  if (!(err instanceof IssuerError)) return err;
  const next = err.failure === "timeout" || err.failure === "network"
    ? " Check your connection (and any proxy), then run codex-login again."
    : " Run codex-login again to start a fresh sign-in.";
  return new LoginError(kind, `${err.message}${next}`, { oauthCode: err.oauthCode, cause: err });
}

/**
 * Turn an authorization code into saved credentials.
 *
 * @example
 * ```ts ignore
 * import { completeSignIn } from "./sign_in.ts";
 * const outcome = await completeSignIn(ctx, { code, redirectUri, codeVerifier });
 * console.log(outcome.auth.tokens.account_id);
 * ```
 */
export async function completeSignIn(
  ctx: SignInContext,
  params: { code: string; redirectUri: string; codeVerifier: string },
): Promise<SignInOutcome> {
  let tokens;
  try {
    tokens = await ctx.client.exchangeCode(params, ctx.signal);
  } catch (err) {
    throw fromIssuerError(err, "code_exchange");
  }

  if (isExpired(tokens.idToken, ctx.now())) {
    ctx.log("Refreshing credentials...");
    try {
      const fresh = await ctx.client.refresh(tokens.refreshToken, ctx.signal);
      if (fresh.idToken && fresh.refreshToken) {
        tokens = {
          idToken: fresh.idToken,
          accessToken: fresh.accessToken ?? tokens.accessToken,
          refreshToken: fresh.refreshToken,
        };
      } else {
        ctx.log("Unable to refresh the ID token: the issuer's answer lacked tokens.");
      }
    } catch (err) {
      ctx.log(`Unable to refresh the ID token: ${err instanceof Error ? err.message : err}`);
    }
  }

  let apiKey: string | null = null;
  try {
    apiKey = await ctx.client.exchangeApiKey(tokens.idToken, apiKeyName(ctx.now()), ctx.signal);
  } catch (err) {
    if (!ctx.apiKeyOptional) throw fromIssuerError(err, "api_key_exchange");
    ctx.log(
      `Note: ${err instanceof Error ? err.message : err} Signed in without an API key.`,
    );
  }

  const claims = accountClaims(tokens.idToken);
  const auth: ChatGptAuth = {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: apiKey,
    tokens: {
      id_token: tokens.idToken,
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      account_id: claims.accountId ?? "",
    },
    last_refresh: rfc3339(ctx.now()),
  };
  if (ctx.signal?.aborted) throw ctx.signal.reason;
  await saveAuthFile(ctx.codexHome, auth);

  const needsSetup = !claims.completedPlatformOnboarding && claims.isOrgOwner;
  let setupUrl: string | undefined;
  if (needsSetup) {
    const plan = accountClaims(tokens.accessToken).planType ?? claims.planType ?? "";
    const url = new URL("/org-setup", ctx.platformUrl);
    url.searchParams.set("p", plan);
    url.searchParams.set("t", tokens.idToken);
    url.searchParams.set("with_org", claims.organizationId ?? "");
    url.searchParams.set("project_id", claims.projectId ?? "");
    setupUrl = url.href;
  }
  return { auth, claims, needsSetup, setupUrl };
}

/** The {@linkcode LoginResult} of a completed sign-in. */
export function loginResult(codexHome: string, outcome: SignInOutcome): LoginResult {
  return {
    authFile: authFilePath(codexHome),
    accountId: outcome.auth.tokens.account_id,
    email: outcome.claims.email,
    planType: outcome.claims.planType,
    needsSetup: outcome.needsSetup,
  };
}

/** Best-effort credit redemption after a sign-in (10 s per request unless given). */
export function redeemAfterSignIn(
  outcome: SignInOutcome,
  options: {
    apiBase: string;
    now: () => Date;
    log: (line: string) => void;
    requestTimeoutMs?: number;
    fetch?: typeof fetch;
  },
): Promise<RedeemOutcome> {
  return maybeRedeemCredits({
    apiBase: options.apiBase,
    idToken: outcome.auth.tokens.id_token,
    accessToken: outcome.auth.tokens.access_token,
    now: options.now(),
    log: options.log,
    http: { timeoutMs: options.requestTimeoutMs ?? 10_000, fetch: options.fetch },
  });
}
