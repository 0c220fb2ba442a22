/**
 * Best-effort redemption of the complimentary API credits for ChatGPT Plus and Pro
 * subscribers, as the seed does it. Nothing here is fatal: every outcome is a line for the
 * person, and no line carries a token.
 *
 * @module
 */

import type { HttpClient } from "../issuer/http_client.ts";
import { type AccountClaims, accountClaims } from "../issuer/jwt.ts";
import { redact } from "../base/redact.ts";
import { errorText } from "../base/errors.ts";
import { flowEvent, type Report } from "../base/events.ts";

/** How long the redemption request may take: it is best effort, after the sign-in. */
export const CREDITS_TIMEOUT_MS = 10_000;

/** What the redemption attempt came to. */
export type RedeemOutcome = "granted" | "not_granted" | "ineligible" | "failed";

const CREDITS_LINKS =
  "Credits: https://platform.openai.com/settings/organization/billing/credit-grants\n" +
  "More info: https://help.openai.com/en/articles/11381614";

const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000;

/**
 * Redeem credits if the account is eligible: plan `plus` or `pro` (from the access token's
 * claims, else the id_token's), no pending org setup, and a subscription active for more than
 * seven days. POSTs `{id_token}` to `{apiBase}/v1/billing/redeem_credits`. A sign-in passes
 * the claims it already decoded (`claims`, `planType`); otherwise the tokens are decoded here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maybeRedeemCredits } from "./credits.ts";
 * import { HttpClient } from "../issuer/http_client.ts";
 * // Tokens without a Plus or Pro plan: no request is made.
 * const lines: string[] = [];
 * const outcome = await maybeRedeemCredits({ apiBase: "https://api.openai.com",
 *   idToken: "x", accessToken: "y", now: new Date(), report: (e) => lines.push(e.text),
 *   http: new HttpClient() });
 * assert.equal(outcome, "ineligible");
 * assert.match(lines[0], /Plus or Pro/);
 * ```
 */
export async function maybeRedeemCredits(options: {
  apiBase: string;
  idToken: string;
  accessToken: string;
  claims?: AccountClaims;
  planType?: string;
  now: Date;
  report: Report;
  http: HttpClient;
}): Promise<RedeemOutcome> {
  const { idToken, accessToken, now } = options;
  const say = (code: string, text: string) => options.report(flowEvent("note", code, text));
  const id = options.claims ?? accountClaims(idToken);
  if (id.subscriptionActiveStart) {
    const start = Date.parse(id.subscriptionActiveStart);
    if (Number.isFinite(start) && now.getTime() - start < SEVEN_DAYS_MS) {
      say(
        "credits.too_new",
        "Sorry, your subscription must be active for more than 7 days to redeem credits.",
      );
      return "ineligible";
    }
  }
  const needsSetup = !id.completedPlatformOnboarding && id.isOrgOwner;
  const plan = options.claims
    ? options.planType
    : accountClaims(accessToken).planType ?? id.planType;
  if (needsSetup || (plan !== "plus" && plan !== "pro")) {
    say(
      "credits.ineligible",
      "Only users with Plus or Pro subscriptions can redeem free API credits.",
    );
    return "ineligible";
  }
  const url = `${options.apiBase.replace(/\/+$/, "")}/v1/billing/redeem_credits`;
  try {
    const answer = await options.http.send(url, { json: { id_token: idToken } }, {
      secrets: [idToken, accessToken],
      timeoutMs: CREDITS_TIMEOUT_MS,
    });
    if (answer.status < 200 || answer.status > 299 || !answer.json) {
      say(
        "credits.failed",
        `Credit redemption request failed: HTTP ${answer.status}. ${CREDITS_LINKS}`,
      );
      return "failed";
    }
    const granted = answer.json.granted_chatgpt_subscriber_api_credits;
    if (typeof granted === "number" && granted > 0) {
      const plus = plan === "plus";
      say(
        "credits.granted",
        `Thanks for being a ChatGPT ${plus ? "Plus" : "Pro"} subscriber!\n` +
          `If you haven't already redeemed, you should receive ${
            plus ? "$5" : "$50"
          } in API credits.\n\n${CREDITS_LINKS}`,
      );
      return "granted";
    }
    const said = redact(JSON.stringify(answer.json, null, 2), [idToken, accessToken], 1000);
    say(
      "credits.not_granted",
      `It looks like no credits were granted:\n\n${said}\n\n${CREDITS_LINKS}`,
    );
    return "not_granted";
  } catch (err) {
    say("credits.failed", `Credit redemption request failed: ${errorText(err)}`);
    return "failed";
  }
}
