/**
 * Fast where the person waits: the browser's callback is answered after the code exchange
 * and the save alone, over a connection warmed while the person was on the sign-in page.
 */
import assert from "node:assert/strict";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { readAuthFile } from "../lib/store/file_store.ts";
import { timeCallback } from "./support/helpers.ts";
import { fixture } from "./support/login_fixture.ts";

Deno.test("the callback is answered before the API-key exchange; the key is saved before exit", async () => {
  await using f = await fixture({ apiKeyDelayMs: 700 });
  const { status } = await timeCallback(f.session.authUrl);
  assert.equal(status, 302);
  assert.equal(f.issuer.apiKeys.length, 0, "answered while the key exchange was still running");
  const early = (await readAuthFile(f.home)) as ChatGptAuth;
  assert.equal(early.OPENAI_API_KEY, null, "tokens saved first, the key follows");
  await f.session.result;
  const saved = (await readAuthFile(f.home)) as ChatGptAuth;
  assert.equal(saved.OPENAI_API_KEY, f.issuer.apiKeys[0]);
  assert.equal(saved.tokens.refresh_token, early.tokens.refresh_token);
});

Deno.test("a connection to the issuer is warmed while waiting: the code exchange skips the set-up", async () => {
  await using f = await fixture({ connectMs: 400 });
  // The warm-up starts after the URL is printed; give it its (simulated) connection set-up.
  for (
    let i = 0;
    i < 60 && f.issuer.requestsTo("/.well-known/openid-configuration").length === 0;
    i++
  ) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const opened = f.issuer.newConnections;
  assert.equal(opened, 1, "one warm-up connection");
  const { status } = await timeCallback(f.session.authUrl);
  assert.equal(status, 302);
  const [exchange] = f.issuer.tokenRequests("authorization_code");
  assert.ok(exchange, "the code was exchanged");
  assert.equal(exchange.newConnection, false, "over the warmed connection, no new set-up");
  await f.session.result;
});
