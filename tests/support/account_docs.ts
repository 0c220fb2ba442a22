/**
 * Credentials documents of the fake issuer's accounts, as a sign-in (ours or Codex's) writes
 * them, for the saved-accounts tests.
 *
 * @module
 */

import type { ChatGptAuth } from "../../lib/store/auth_data.ts";
import type { KeyringBackend } from "../../lib/store/keyring_store.ts";
import type { FakeAccount, FakeIssuer } from "./fake_issuer.ts";

/** Account A: a Plus workspace of its own. */
export const ACCOUNT_A: FakeAccount = {
  email: "a@example.com",
  accountId: "acct_A",
  planType: "plus",
};
/** Account B: another person, another workspace. */
export const ACCOUNT_B: FakeAccount = {
  email: "b@example.com",
  accountId: "acct_B",
  planType: "pro",
};
/** Account C: another person in A's workspace (team members share the workspace id). */
export const ACCOUNT_C: FakeAccount = { ...ACCOUNT_A, email: "c@example.com" };

/** auth.json after a sign-in of `account` at `issuer` (a new token family). */
export function signedIn(issuer: FakeIssuer, account: FakeAccount, ttlS = 3600): ChatGptAuth {
  return {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    tokens: {
      ...issuer.issueTokensFor(account, ttlS),
      oauth_provenance: { issuer: issuer.url, client_id: issuer.clientId },
      login_owner_id: crypto.randomUUID(),
      account_id: account.accountId ?? null,
    },
    last_refresh: new Date().toISOString(),
  };
}

/** A keyring in memory (service and account -> secret), for the keyring and `auto` stores. */
export function memoryKeyring(): KeyringBackend & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    name: "a test keyring",
    items,
    get: (service, account) => Promise.resolve(items.get(`${service}\n${account}`) ?? null),
    set: (service, account, secret) => {
      items.set(`${service}\n${account}`, secret);
      return Promise.resolve();
    },
    delete: (service, account) => Promise.resolve(items.delete(`${service}\n${account}`)),
  };
}

/**
 * A fresh temporary directory `dir` and the codex home path `home` in it (not created), removed
 * after the test: the accounts tests' own, so they do not depend on how `helpers.ts` shapes its.
 */
export async function accountsHome(): Promise<{ dir: string; home: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "codex-login-accounts-" });
  return {
    dir,
    home: `${dir}/codex`,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
