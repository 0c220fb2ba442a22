/**
 * What follows a saved sign-in, off the browser's critical path: the API-key exchange (best
 * effort), retiring the session the new one replaced, and credit redemption.
 *
 * @module
 */

import { type ChatGptAuth, managedRefreshToken } from "../store/auth_data.ts";
import { errorText } from "../base/errors.ts";
import { flowEvent } from "../base/events.ts";
import { apiKeyName, IssuerError } from "../issuer/issuer.ts";
import { maybeRedeemCredits } from "./credits.ts";
import type { SignInContext, SignInOutcome } from "./sign_in.ts";

/** Why an issuer step failed, as a phrase (the issuer's reason, else the error's text). */
function why(err: unknown): string {
  return err instanceof IssuerError ? err.reason : errorText(err);
}

/**
 * The API key is best effort everywhere: Codex works with the ChatGPT sign-in alone, so a
 * refused or failed exchange saves `OPENAI_API_KEY: null` and says so in one line.
 */
async function optionalApiKey(ctx: SignInContext, idToken: string): Promise<string | null> {
  try {
    const key = await ctx.client.exchangeApiKey(idToken, apiKeyName(ctx.now()));
    ctx.trace.secret(key);
    ctx.trace.event("api_key", { created: true });
    return key;
  } catch (err) {
    ctx.trace.event("api_key", { created: false, error: why(err) });
    ctx.report(flowEvent(
      "note",
      "signin.no_api_key",
      `Note: no API key was created (${
        why(err)
      }). Signed in without an API key: Codex works with the ChatGPT sign-in alone.`,
    ));
    return null;
  }
}

/** Add the API key to the saved sign-in, unless another sign-in replaced it meanwhile. */
async function addApiKey(ctx: SignInContext, auth: ChatGptAuth, key: string): Promise<void> {
  await ctx.store.withLock(async (locked) => {
    const current = await locked.load().catch(() => undefined);
    if (current && managedRefreshToken(current) === auth.tokens.refresh_token) {
      await locked.save({ ...current, OPENAI_API_KEY: key });
    }
  });
  auth.OPENAI_API_KEY = key;
}

/**
 * What follows a saved sign-in, off the browser's critical path: the API-key exchange (best
 * effort, saved when it works), retiring the session it replaced (revoke its refresh token;
 * one line if that fails), and credit redemption when a key exists. `apiKey: false` skips the
 * key and the credits (the device sign-in, as Codex 0.169). Never throws.
 */
export async function afterSignIn(
  ctx: SignInContext,
  outcome: SignInOutcome,
  options: { apiKey?: boolean } = {},
): Promise<void> {
  const retire = outcome.previousRefreshToken
    ? ctx.client.revoke(outcome.previousRefreshToken).catch((err) =>
      ctx.report(flowEvent(
        "note",
        "signin.previous_not_revoked",
        `Note: could not revoke your previous session (${
          why(err)
        }); it stays valid until it expires.`,
      ))
    )
    : Promise.resolve();
  const keyAndCredits = (async () => {
    if (options.apiKey === false) return;
    const key = await optionalApiKey(ctx, outcome.auth.tokens.id_token);
    if (!key) return;
    try {
      await addApiKey(ctx, outcome.auth, key);
    } catch (err) {
      ctx.report(flowEvent(
        "note",
        "signin.api_key_not_saved",
        `Note: the API key could not be saved (${errorText(err)}); you are signed in without one.`,
      ));
      return;
    }
    if (!ctx.apiBase) return;
    await maybeRedeemCredits({
      apiBase: ctx.apiBase,
      idToken: outcome.auth.tokens.id_token,
      accessToken: outcome.auth.tokens.access_token,
      claims: outcome.claims,
      planType: outcome.planType,
      now: ctx.now(),
      report: ctx.report,
      http: ctx.http,
    }).catch(() => undefined);
  })();
  await Promise.all([retire, keyAndCredits]);
}
