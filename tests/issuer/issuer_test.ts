import assert from "node:assert/strict";
import { HttpClient } from "../../lib/issuer/http_client.ts";
import { apiKeyName, IssuerClient, IssuerError } from "../../lib/issuer/issuer.ts";
import {
  DEFAULT_CLIENT_ID,
  defaultApiBase,
  resolveIssuer,
} from "../../lib/issuer/issuer_config.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { issuerClient } from "../support/helpers.ts";

Deno.test("authorize URL has exactly Codex 0.169's parameters, in its order", () => {
  const client = new IssuerClient({
    endpoints: resolveIssuer({ issuer: "https://auth.openai.com/" }),
    http: new HttpClient(),
  });
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
  const client = new IssuerClient({
    endpoints: resolveIssuer(),
    http: new HttpClient({ originator: "my_ide" }),
  });
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
  const client = issuerClient(issuer.url);
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

Deno.test("a session from another issuer is refreshed there, with this client's settings", () => {
  const client = issuerClient("http://127.0.0.1:9");
  assert.equal(client.at(undefined), client);
  assert.equal(client.at({ issuer: "http://127.0.0.1:9/", client_id: client.clientId }), client);
  const other = client.at({ issuer: "http://127.0.0.1:8/", client_id: "app_other" });
  assert.equal(other.issuer, "http://127.0.0.1:8");
  assert.equal(other.clientId, "app_other");
  assert.equal(other.http, client.http, "the same outbound client");
  assert.throws(
    () => client.at({ issuer: "http://auth.example.com", client_id: "app_x" }),
    /plain http on the network/,
    "the same URL rules: no plain http off this machine",
  );
});

Deno.test("revoke: JSON with the hint (and the client id for a refresh token); an empty 200 is a success", async () => {
  await using issuer = startFakeIssuer();
  const client = issuerClient(issuer.url);
  const t = issuer.issueTokens();
  await client.revoke(t.refresh_token);
  await client.revoke(t.access_token, undefined, "access_token");
  assert.deepEqual(issuer.revoked, [
    { token: t.refresh_token, hint: "refresh_token", clientId: issuer.clientId },
    { token: t.access_token, hint: "access_token", clientId: undefined },
  ]);
  const empty = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(null, { status: 200 }),
  );
  try {
    await issuerClient(`http://127.0.0.1:${empty.addr.port}`).revoke("rt-x");
  } finally {
    await empty.shutdown();
  }
});
