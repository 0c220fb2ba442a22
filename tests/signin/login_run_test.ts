/**
 * One running browser sign-in: it settles once (signed in, timed out, cancelled), releases
 * the port and leaves nothing behind, and takes a pasted address through the same checks and
 * exchange as the browser's callback.
 */
import assert from "node:assert/strict";
import { Timers } from "../../lib/signin/login_run.ts";
import type { ChatGptAuth } from "../../lib/store/auth_data.ts";
import { readAuthFile } from "../../lib/store/file_store.ts";
import { browse, filesIn, portIsFree } from "../support/helpers.ts";
import { fixture, issuerCallback, rejection } from "../support/login_fixture.ts";

Deno.test("a run's timers: later runs once, every repeats, clear stops both", async () => {
  const timers = new Timers();
  const fired: string[] = [];
  timers.later(10, () => fired.push("later"));
  timers.every(10, () => fired.push("every"));
  timers.later(1000, () => fired.push("cleared"));
  await new Promise((r) => setTimeout(r, 60));
  timers.clear();
  const seen = fired.length;
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(fired.filter((f) => f === "later").length, 1);
  assert.ok(fired.filter((f) => f === "every").length >= 2, fired.join());
  assert.equal(fired.length, seen, "nothing after clear");
  assert.ok(!fired.includes("cleared"));
});

Deno.test("timeout: exit 124, port released, nothing written", async () => {
  await using f = await fixture({}, { request: { timeoutMs: 150 } });
  const err = await rejection(f.session);
  assert.equal(err.exitCode, 124);
  assert.match(
    err.message,
    /^Timed out after 0 s waiting for the browser sign-in; nothing was saved\. To wait longer: deno run .* login --timeout 600\.$/,
  );
  assert.ok(portIsFree(f.session.port));
  assert.deepEqual(filesIn(f.home), [], "nothing written, the cancel secret removed");
});

Deno.test("cancel (Ctrl-C) while the code is being exchanged: exit 130, nothing written", async () => {
  await using f = await fixture({ tokenDelayMs: 400 });
  const browsing = browse(f.session.authUrl).catch(() => []);
  await new Promise((r) => setTimeout(r, 150));
  f.session.cancel();
  const err = await rejection(f.session);
  assert.equal(err.exitCode, 130);
  await browsing;
  await new Promise((r) => setTimeout(r, 400));
  await assert.rejects(Deno.stat(f.home.authFile), Deno.errors.NotFound);
  assert.ok(portIsFree(f.session.port));
});

Deno.test("idle keep-alive connections do not stall the callback or the exit", async () => {
  await using f = await fixture({}, { deps: { successGraceMs: 5000 } });
  const idle: Deno.Conn[] = [];
  for (let i = 0; i < 5; i++) {
    idle.push(await Deno.connect({ hostname: "127.0.0.1", port: f.session.port }));
  }
  // One keep-alive connection that already made a request and stays open.
  const kept = await Deno.connect({ hostname: "127.0.0.1", port: f.session.port });
  await kept.write(
    new TextEncoder().encode(`GET /x HTTP/1.1\r\nHost: localhost:${f.session.port}\r\n\r\n`),
  );
  await kept.read(new Uint8Array(4096));
  await browse(f.session.authUrl);
  await f.session.result;
  for (const c of [...idle, kept]) {
    const n = await c.read(new Uint8Array(16)).catch(() => null);
    assert.equal(n, null, "server closed the connection");
    c.close();
  }
});

Deno.test("paste: the pasted callback URL signs in (same exchange), the late callback is refused", async () => {
  await using t = await fixture();
  const url = await issuerCallback(t.session);
  const reply = await t.session.submitRedirect(`  ${url}  `);
  assert.deepEqual(reply, { accepted: true, message: "Signed in with the pasted address." });
  const late = browse(url).catch(() => undefined);
  const result = await t.session.result;
  assert.equal(result.accountId, "acct_123");
  const auth = (await readAuthFile(t.home)) as ChatGptAuth;
  assert.equal(auth.OPENAI_API_KEY, t.issuer.apiKeys[0]);
  const lateVisits = await late;
  if (lateVisits) assert.equal(lateVisits[0].status, 409);
  assert.equal(t.issuer.tokenRequests("authorization_code").length, 1);
});

Deno.test("paste: just the query string works too", async () => {
  await using t = await fixture();
  const url = new URL(await issuerCallback(t.session));
  assert.equal((await t.session.submitRedirect(url.search)).accepted, true);
  await t.session.result;
});

Deno.test("paste: a wrong state is rejected and the sign-in keeps waiting for the real one", async () => {
  await using t = await fixture();
  const real = new URL(await issuerCallback(t.session));
  const forged = new URL(real);
  forged.searchParams.set("state", "someone-elses-state");
  const reply = await t.session.submitRedirect(forged.href);
  assert.equal(reply.accepted, false);
  assert.match(reply.message, /another sign-in.*still waiting/);
  const junk = await t.session.submitRedirect("not a url at all");
  assert.equal(junk.accepted, false);
  assert.equal(t.issuer.tokenRequests("authorization_code").length, 0);
  assert.equal((await t.session.submitRedirect(real.href)).accepted, true);
  await t.session.result;
});
