import assert from "node:assert/strict";
import type { AuthData } from "../../lib/store/auth_data.ts";
import {
  methodRefusal,
  policyViolations,
  storedAccountId,
  workspaceAllowed,
  workspaceRefusal,
} from "../../lib/signin/policy.ts";
import { makeJwt } from "../support/fake_issuer.ts";

Deno.test("forced_login_method refuses the other way of signing in, in Codex's words, naming the file", () => {
  const api = methodRefusal({ forcedLoginMethod: "api", configFile: "/h/config.toml" }, "chatgpt");
  assert.equal(api?.kind, "policy");
  assert.equal(api?.exitCode, 1);
  assert.match(
    api?.message ?? "",
    /^ChatGPT login is disabled\. Use API key login instead\. \(forced_login_method = "api" in \/h\/config\.toml; run `.* login --with-api-key`\.\) Nothing was changed\.$/,
  );
  assert.match(
    methodRefusal({ forcedLoginMethod: "chatgpt" }, "api")?.message ?? "",
    /^API key login is disabled\. Use ChatGPT login instead\. \(forced_login_method = "chatgpt" in config\.toml; run `.* login`\.\)/,
  );
  assert.equal(methodRefusal({ forcedLoginMethod: "chatgpt" }, "chatgpt"), undefined);
  assert.equal(methodRefusal({ forcedLoginMethod: "api" }, "api"), undefined);
  assert.equal(methodRefusal({}, "api"), undefined, "no policy, no refusal");
});

Deno.test("forced_chatgpt_workspace_id: allowed ids only; a refusal names what is allowed and what was chosen", () => {
  const settings = { forcedWorkspaceIds: ["ws-a", "ws-b"] };
  assert.equal(workspaceAllowed({}, undefined), true);
  assert.equal(workspaceAllowed(settings, "ws-b"), true);
  assert.equal(workspaceAllowed(settings, "ws-c"), false);
  assert.equal(workspaceAllowed(settings, undefined), false);
  const chosen = workspaceRefusal(settings, "ws-\x1b[2Jc");
  assert.equal(chosen.kind, "workspace_restricted");
  assert.equal(
    chosen.message,
    "Login is restricted to workspace(s) ws-a, ws-b, but you chose ws-\\x1b[2Jc. Nothing was saved; run codex-login again and pick an allowed workspace.",
  );
  assert.match(workspaceRefusal(settings, undefined).message, /carried no workspace identifier/);
});

Deno.test("stored credentials against the policy: what Codex would log out at start", () => {
  const apiKey: AuthData = { auth_mode: "apikey", OPENAI_API_KEY: "sk-x" };
  const chatgpt: AuthData = {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    last_refresh: "",
    tokens: {
      id_token: makeJwt({ "https://api.openai.com/auth": { chatgpt_account_id: "ws-jwt" } }),
      access_token: "a",
      refresh_token: "r",
      account_id: "ws-field",
    },
  };
  assert.deepEqual(policyViolations({}, apiKey), []);
  assert.deepEqual(policyViolations({ forcedLoginMethod: "chatgpt" }, apiKey), [
    "ChatGPT login is required, but an API key is currently being used.",
  ]);
  assert.deepEqual(policyViolations({ forcedLoginMethod: "api" }, chatgpt), [
    "API key login is required, but ChatGPT is currently being used.",
  ]);
  assert.deepEqual(policyViolations({ forcedWorkspaceIds: ["ws-jwt"] }, chatgpt), []);
  assert.deepEqual(policyViolations({ forcedWorkspaceIds: ["ws-field"] }, chatgpt), [
    "Login is restricted to workspace(s) ws-field, but current credentials belong to ws-jwt.",
  ]);
  assert.deepEqual(
    policyViolations({ forcedWorkspaceIds: ["ws-1"] }, apiKey),
    [],
    "an API key belongs to no workspace",
  );
});

Deno.test("the workspace of stored credentials: the id_token's claim, else account_id, else an agent identity's", () => {
  const tokens = {
    id_token: "not-a-jwt",
    access_token: "a",
    refresh_token: "r",
    account_id: "ws-1",
  };
  const base = { auth_mode: "chatgpt" as const, OPENAI_API_KEY: null, last_refresh: "" };
  assert.equal(storedAccountId({ ...base, tokens }), "ws-1");
  assert.equal(
    storedAccountId({
      ...base,
      tokens: {
        ...tokens,
        id_token: makeJwt({ "https://api.openai.com/auth": { chatgpt_account_id: "ws-jwt" } }),
      },
    }),
    "ws-jwt",
  );
  assert.equal(storedAccountId({ ...base, tokens: { ...tokens, account_id: null } }), undefined);
  assert.equal(
    storedAccountId({ auth_mode: "agentIdentity", agent_identity: { account_id: "ws-agent" } }),
    "ws-agent",
  );
});
