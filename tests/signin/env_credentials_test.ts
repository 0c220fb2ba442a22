/**
 * The environment's credentials, checked as Codex 0.171 checks them: a workload identity's
 * variables in Codex's order and words, the file identity exchanged at the issuer, and
 * `CODEX_ACCESS_TOKEN` asked of whoami. (The whole sweep against the real Codex is in
 * tests/e2e_status_env_test.ts.)
 */
import assert from "node:assert/strict";
import {
  checkAccessToken,
  checkWorkload,
  environmentTakesOver,
  workloadConfig,
} from "../../lib/signin/env_credentials.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { issuerClient, tempHome } from "../support/helpers.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];
const RULE = { OPENAI_FEDERATION_RULE_ID: "fr_1" };

Deno.test("workload identity: each missing or wrong part named in Codex's words", () => {
  const problem = (vars: Record<string, string>) => {
    const config = workloadConfig(env(vars));
    return config?.kind === "invalid" ? config.problem : config?.kind;
  };
  assert.equal(problem({}), undefined);
  assert.equal(problem({ SPIFFE_ENDPOINT_SOCKET: "unix:///s" }), undefined, "the socket alone");
  assert.equal(
    problem({ OPENAI_IDENTITY_TOKEN_FILE: "/t" }),
    "workload identity requires OPENAI_FEDERATION_RULE_ID",
  );
  assert.equal(
    problem({ OPENAI_FEDERATION_RULE_ID: " ", OPENAI_IDENTITY_TOKEN_FILE: "/t" }),
    "workload identity variable OPENAI_FEDERATION_RULE_ID is invalid",
  );
  assert.equal(
    problem({ ...RULE, OPENAI_IDENTITY_TOKEN_SOURCE: "bogus" }),
    "OPENAI_IDENTITY_TOKEN_SOURCE must be file or spiffe",
  );
  assert.equal(problem(RULE), "workload identity requires OPENAI_IDENTITY_TOKEN_FILE");
  assert.equal(
    problem({ ...RULE, OPENAI_IDENTITY_TOKEN_FILE: "relative.jwt" }),
    "OPENAI_IDENTITY_TOKEN_FILE must be an absolute path",
  );
  assert.equal(
    problem({ ...RULE, OPENAI_IDENTITY_TOKEN_FILE: "/t", OPENAI_SPIFFE_AUDIENCE: "a" }),
    "SPIFFE settings require OPENAI_IDENTITY_TOKEN_SOURCE=spiffe",
  );
  assert.equal(
    problem({ ...RULE, OPENAI_IDENTITY_TOKEN_SOURCE: "spiffe", OPENAI_SPIFFE_AUDIENCE: "a" }),
    "workload identity requires SPIFFE_ENDPOINT_SOCKET",
  );
  assert.equal(problem({ ...RULE, OPENAI_IDENTITY_TOKEN_FILE: "/t" }), "file");
});

Deno.test("environment: a workload identity comes before CODEX_ACCESS_TOKEN, as in Codex", () => {
  assert.equal(environmentTakesOver(env({})), undefined);
  assert.equal(environmentTakesOver(env({ CODEX_ACCESS_TOKEN: "at-1" })), "CODEX_ACCESS_TOKEN");
  assert.equal(
    environmentTakesOver(env({ CODEX_ACCESS_TOKEN: "at-1", ...RULE })),
    "OPENAI_FEDERATION_RULE_ID",
  );
});

Deno.test("workload identity (file): the assertion is exchanged at the issuer, never shown", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const tokenFile = `${h.dir}/identity.jwt`;
  await Deno.writeTextFile(tokenFile, "eyJassertion.secret.part\n");
  const client = issuerClient(issuer.url);
  const checked = await checkWorkload({ kind: "file", ruleId: "fr_1", tokenFile }, client);
  const [request] = issuer.tokenRequests("urn:ietf:params:oauth:grant-type:jwt-bearer");
  assert.equal(request.params.assertion, "eyJassertion.secret.part");
  assert.equal(request.params.federation_rule_id, "fr_1");
  // The fake issuer does not grant it: the refusal is said with its status.
  assert.deepEqual(checked, {
    kind: "error",
    variable: "OPENAI_FEDERATION_RULE_ID",
    problem: "the workload identity token exchange was rejected with HTTP 400",
  });
  assert.ok(!JSON.stringify(checked).includes("secret.part"));
  const missing = await checkWorkload(
    { kind: "file", ruleId: "fr_1", tokenFile: `${h.dir}/none.jwt` },
    client,
  );
  assert.equal(missing.kind === "error" && missing.variable, "OPENAI_IDENTITY_TOKEN_FILE");
});

Deno.test("CODEX_ACCESS_TOKEN: whoami's answer, or its status in Codex's words", async () => {
  await using issuer = startFakeIssuer();
  issuer.accessTokens.add("at-known-0123456789");
  const client = issuerClient(issuer.url);
  assert.deepEqual(await checkAccessToken("at-known-0123456789", client), {
    kind: "ok",
    mode: "personalAccessToken",
    email: "person@example.com",
  });
  assert.deepEqual(await checkAccessToken("at-unknown-0123456789", client), {
    kind: "error",
    variable: "CODEX_ACCESS_TOKEN",
    problem: "personal access token metadata request failed with status 401 Unauthorized",
  });
});
