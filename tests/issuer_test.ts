import assert from "node:assert/strict";
import { apiKeyName, IssuerClient, IssuerError } from "../lib/issuer/issuer.ts";
import { DEFAULT_CLIENT_ID, defaultApiBase } from "../lib/issuer/issuer_config.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";

Deno.test("authorize URL has exactly Codex 0.169's parameters, in its order", () => {
  const client = new IssuerClient({ issuer: "https://auth.openai.com/" });
  const url = new URL(client.authorizeUrl({
    redirectUri: "http://127.0.0.1:1455/auth/callback",
    codeChallenge: "CHALLENGE",
    state: "STATE",
  }));
  assert.equal(url.origin + url.pathname, "https://auth.openai.com/oauth/authorize");
  assert.deepEqual([...url.searchParams], [
    ["response_type", "code"],
    ["client_id", DEFAULT_CLIENT_ID],
    ["redirect_uri", "http://127.0.0.1:1455/auth/callback"],
    ["code_challenge", "CHALLENGE"],
    ["code_challenge_method", "S256"],
    ["state", "STATE"],
    ["scope", "openid profile email offline_access api.connectors.read api.connectors.invoke"],
    ["id_token_add_organizations", "true"],
    ["codex_cli_simplified_flow", "true"],
    ["originator", "codex_cli_rs"],
  ]);
});

Deno.test("authorize URL: allowed_workspace_id joins the allowed workspaces; originator override", () => {
  const client = new IssuerClient({ issuer: "https://auth.openai.com", originator: "my_ide" });
  const url = new URL(client.authorizeUrl({
    redirectUri: "http://localhost:1455/auth/callback",
    codeChallenge: "CHALLENGE",
    state: "STATE",
    allowedWorkspaceIds: ["ws-a", "ws-b"],
  }));
  assert.equal(url.searchParams.get("allowed_workspace_id"), "ws-a,ws-b");
  assert.equal(url.searchParams.get("originator"), "my_ide");
});

Deno.test("API base and key name follow the seed", () => {
  assert.equal(defaultApiBase("https://auth.openai.com"), "https://api.openai.com");
  // Another issuer gets nothing derived: its tokens are never sent to OpenAI.
  assert.equal(defaultApiBase("http://127.0.0.1:9"), undefined);
  assert.match(
    apiKeyName(new Date("2026-03-04T23:59:59Z")),
    /^Codex CLI \[auto-generated\] \(2026-03-04\) \[[0-9a-f]{12}\]$/,
  );
});

Deno.test("issuer errors name the OAuth error and never carry the code or verifier", async () => {
  await using issuer = startFakeIssuer({ codeExchange: "invalid_grant" });
  const client = new IssuerClient({ issuer: issuer.url });
  const code = issuer.mintCode("http://localhost:1/cb", "x".repeat(43));
  const err = await client.exchangeCode({
    code,
    redirectUri: "http://localhost:1/cb",
    codeVerifier: "wrong-verifier-wrong-verifier-wrong-verifier",
  }).catch((e) => e);
  assert.ok(err instanceof IssuerError);
  assert.equal(err.oauthCode, "invalid_grant");
  assert.match(err.message, /exchange the sign-in code.*400.*invalid_grant/);
  assert.ok(!err.message.includes(code));
  assert.ok(!err.message.includes("wrong-verifier"));
});

Deno.test("a slow issuer times out with a clear message", async () => {
  await using issuer = startFakeIssuer({ tokenDelayMs: 800 });
  const client = new IssuerClient({ issuer: issuer.url, timeoutMs: 200 });
  const err = await client.refresh("rt_x").catch((e) => e);
  assert.ok(err instanceof IssuerError);
  assert.equal(err.failure, "timeout");
  assert.match(err.message, /did not answer within 0.2 s/);
});

Deno.test("a response over the size cap is refused", async () => {
  const big = "x".repeat(2 * 1024 * 1024);
  const client = new IssuerClient({
    issuer: "http://127.0.0.1:9",
    fetch: () => Promise.resolve(new Response(big, { status: 200 })),
  });
  const err = await client.refresh("rt").catch((e) => e);
  assert.ok(err instanceof IssuerError);
  assert.equal(err.failure, "too_large");
});

Deno.test("a refused connection is a network error naming the host", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const client = new IssuerClient({ issuer: `http://127.0.0.1:${port}` });
  const err = await client.refresh("rt_secret_value").catch((e) => e);
  assert.ok(err instanceof IssuerError);
  assert.equal(err.failure, "network");
  assert.match(
    err.message,
    new RegExp(`127\\.0\\.0\\.1:${port} refused the connection \\(nothing listens there`),
  );
  assert.ok(!err.message.includes("rt_secret_value"));
});
