import assert from "node:assert/strict";
import {
  accountFacts,
  idTokenUser,
  mixedAccounts,
  mixedError,
} from "../../lib/signin/account_identity.ts";
import { makeJwt, startFakeIssuer } from "../support/fake_issuer.ts";
import { ACCOUNT_A, ACCOUNT_B, ACCOUNT_C, signedIn } from "../support/account_docs.ts";

Deno.test("identity: the user in the workspace, the same at every sign-in of the account", async () => {
  await using issuer = startFakeIssuer();
  const a1 = await accountFacts(signedIn(issuer, ACCOUNT_A));
  const a2 = await accountFacts(signedIn(issuer, ACCOUNT_A));
  const b = await accountFacts(signedIn(issuer, ACCOUNT_B));
  const c = await accountFacts(signedIn(issuer, ACCOUNT_C));
  const team = await accountFacts(signedIn(issuer, { ...ACCOUNT_A, accountId: "acct_T" }));
  assert.equal(a1.key, a2.key, "a new sign-in of the same account is the same account");
  assert.equal(a1.key, "chatgpt:user-a@example.com:acct_A");
  assert.notEqual(a1.key, b.key);
  assert.notEqual(a1.key, c.key, "team members share the workspace, not the account");
  assert.notEqual(a1.key, team.key, "the same person in another workspace is another account");
  assert.deepEqual(
    [a1.email, a1.accountId, a1.userId, a1.plan, a1.defaultLabel],
    ["a@example.com", "acct_A", "user-a@example.com", "plus", "a@example.com"],
  );
});

Deno.test("identity: sub when there is no chatgpt_user_id; keys and tokens by fingerprint", async () => {
  assert.equal(idTokenUser(makeJwt({ sub: "auth0|42" })), "auth0|42");
  assert.equal(idTokenUser("not a jwt"), undefined);
  const key = await accountFacts({ auth_mode: "apikey", OPENAI_API_KEY: "sk-proj-one" });
  const other = await accountFacts({ auth_mode: "apikey", OPENAI_API_KEY: "sk-proj-two" });
  assert.notEqual(key.key, other.key);
  assert.ok(!key.key.includes("sk-proj"), "never the secret itself");
  const pat = await accountFacts({
    OPENAI_API_KEY: null,
    personal_access_token: "at-x",
    auth_mode: "personalAccessToken",
  });
  assert.match(pat.defaultLabel, /^access-token-[0-9a-f]{8}$/);
});

Deno.test("identity: a document whose id_token and tokens.account_id disagree is mixed", async () => {
  await using issuer = startFakeIssuer();
  const a = signedIn(issuer, ACCOUNT_A);
  assert.equal(mixedAccounts(a), undefined);
  const mixed = { ...a, tokens: { ...a.tokens, account_id: "acct_B" } };
  assert.deepEqual(mixedAccounts(mixed), { idToken: "acct_A", stored: "acct_B" });
  assert.equal(mixedAccounts({ ...a, tokens: { ...a.tokens, account_id: null } }), undefined);
  const err = mixedError("auth.json", { idToken: "acct_A", stored: "acct_B" });
  assert.equal(err.code, "corrupt_auth.mixed_accounts");
  assert.match(
    err.message,
    /auth\.json mixes two accounts.*neither saved nor switched\. Sign that account in again/,
  );
});
