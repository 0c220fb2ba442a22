/**
 * A personal access token's check, as Codex 0.169 makes it before saving one
 * (`codex login --with-access-token`): `GET {issuer}/api/accounts/v1/user-auth-credential/whoami`
 * with the token as a bearer; a 2xx JSON answer names the account it belongs to.
 *
 * @module
 */

import { stringField } from "../base/json.ts";
import type { IssuerClient } from "./issuer.ts";
import { describeOAuthError, IssuerError } from "./issuer_types.ts";

/** Who a personal access token belongs to, as the issuer says. */
export interface TokenIdentity {
  /** The account's email. */
  email?: string;
  /** The ChatGPT workspace (`chatgpt_account_id`). */
  accountId?: string;
  /** The plan (`chatgpt_plan_type`). */
  planType?: string;
}

/**
 * Ask the issuer who a personal access token belongs to. Throws an {@linkcode IssuerError}
 * when it is refused (401/403: `status` set) or the answer is not a JSON object.
 *
 * @example
 * ```ts ignore
 * import { whoAmI } from "./access_token.ts";
 * const who = await whoAmI(client, "at-...");
 * console.log(who.email);
 * ```
 */
export async function whoAmI(
  client: IssuerClient,
  token: string,
  signal?: AbortSignal,
): Promise<TokenIdentity> {
  const answer = await client.send({
    step: "access_token_check",
    url: `${client.issuer}/api/accounts/v1/user-auth-credential/whoami`,
    body: { bearer: token },
    secrets: [token],
    signal,
  });
  if (answer.status < 200 || answer.status > 299 || !answer.json) {
    const { code } = describeOAuthError(answer, [token]);
    throw new IssuerError(
      "access_token_check",
      `the issuer refused it (HTTP ${answer.status}${code ? `, ${code}` : ""})`,
      { status: answer.status, oauthCode: code },
    );
  }
  return {
    email: stringField(answer.json, "email"),
    accountId: stringField(answer.json, "chatgpt_account_id"),
    planType: stringField(answer.json, "chatgpt_plan_type"),
  };
}
