/**
 * The callback state machine on its own, shared by the browser's callback and a pasted
 * address: a wrong state is refused and the sign-in keeps waiting, the first valid callback
 * wins and later ones are refused, the issuer's OAuth errors end the sign-in, and a prefetched
 * exchange is started only for the right state and used only for the same code.
 */
import assert from "node:assert/strict";
import { generatePkce } from "../../lib/base/pkce.ts";
import { LoginError } from "../../lib/base/errors.ts";
import { resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import { CallbackMachine, type CallbackOutcome, pasteReply } from "../../lib/signin/callback.ts";
import { resolveSignInContext } from "../../lib/signin/sign_in.ts";
import { readAuthFile } from "../../lib/store/file_store.ts";
import { type Scenario, startFakeIssuer } from "../support/fake_issuer.ts";
import { browse, filesIn, tempHome } from "../support/helpers.ts";
import { fixture, rejection } from "../support/login_fixture.ts";

const REDIRECT_URI = "http://127.0.0.1:1455/auth/callback";
const STATE = "the-state-of-this-sign-in-0123456789abcdef";

/** A machine waiting for its callback at a fake issuer, and a code that issuer will honour. */
async function machineAt(scenario: Partial<Scenario> = {}) {
  const issuer = startFakeIssuer(scenario);
  const h = await tempHome();
  const pkce = await generatePkce();
  const abort = new AbortController();
  const ctx = resolveSignInContext({
    home: h.home,
    endpoints: resolveIssuer({ issuer: issuer.url }),
  });
  const machine = new CallbackMachine({
    ctx,
    state: STATE,
    redirectUri: REDIRECT_URI,
    codeVerifier: pkce.verifier,
    signal: abort.signal,
  });
  return {
    issuer,
    home: h.home,
    machine,
    abort,
    /** A fresh code the issuer will exchange for this machine's verifier. */
    code: () => issuer.mintCode(REDIRECT_URI, pkce.challenge),
    exchanges: () => issuer.tokenRequests("authorization_code").length,
    async [Symbol.asyncDispose]() {
      ctx.http.close();
      await issuer.close();
      await h[Symbol.asyncDispose]();
    },
  };
}

/** Wait until `check` holds (at most 5 s). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

function params(values: Record<string, string>): URLSearchParams {
  return new URLSearchParams(values);
}

function refusedAs(outcome: CallbackOutcome): string {
  assert.equal(outcome.kind, "rejected", JSON.stringify(outcome));
  return outcome.kind === "rejected" ? outcome.error.kind : "";
}

Deno.test("callback: a wrong state is refused and the machine keeps waiting for the right one", async () => {
  await using m = await machineAt();
  const code = m.code();
  assert.equal(
    refusedAs(await m.machine.handle(params({ code, state: "forged" }))),
    "state_mismatch",
  );
  assert.equal(refusedAs(await m.machine.handle(params({ code }))), "state_mismatch", "no state");
  assert.equal(m.machine.phase, "waiting");
  assert.equal(m.exchanges(), 0, "nothing was exchanged");
  assert.equal(refusedAs(await m.machine.handle(params({ state: STATE }))), "invalid_input");
  assert.equal(m.machine.phase, "waiting", "a link without a code does not end it either");
  const done = await m.machine.handle(params({ code, state: STATE }));
  assert.equal(done.kind, "signed_in");
  assert.equal(m.machine.phase, "done");
  assert.equal((await readAuthFile(m.home))?.auth_mode, "chatgpt");
});

Deno.test("callback: single use: the first valid callback wins, during its exchange and after", async () => {
  await using m = await machineAt({ tokenDelayMs: 200 });
  const code = m.code();
  const first = m.machine.handle(params({ code, state: STATE }));
  assert.equal(m.machine.phase, "completing");
  const during = await m.machine.handle(params({ code, state: STATE }));
  assert.equal(refusedAs(during), "already_used");
  assert.equal((await first).kind, "signed_in");
  const after = await m.machine.handle(params({ code: m.code(), state: STATE }));
  assert.equal(refusedAs(after), "already_used");
  assert.equal(m.exchanges(), 1);
  const reply = pasteReply(after);
  assert.deepEqual(reply, {
    accepted: false,
    message: "This sign-in has already received its code. Still waiting.",
  });
});

Deno.test("callback: the issuer's OAuth error ends the sign-in (its code kept, its description redacted)", async () => {
  await using m = await machineAt();
  const forged = await m.machine.handle(params({ error: "access_denied", state: "forged" }));
  assert.equal(refusedAs(forged), "state_mismatch", "only this sign-in's error counts");
  const outcome = await m.machine.handle(params({
    error: "access_denied",
    error_description: "declined \x1b[2J by the person",
    state: STATE,
  }));
  assert.equal(outcome.kind, "failed");
  if (outcome.kind !== "failed") return;
  assert.equal(outcome.error.kind, "access_denied");
  assert.equal(outcome.error.oauthCode, "access_denied");
  assert.equal(outcome.description, "declined \\x1b[2J by the person");
  assert.equal(m.machine.phase, "done");
  assert.equal(
    refusedAs(await m.machine.handle(params({ code: m.code(), state: STATE }))),
    "already_used",
  );
  assert.equal(m.exchanges(), 0);
  assert.deepEqual(pasteReply(outcome), {
    accepted: true,
    message: "The pasted address ended the sign-in.",
  });
});

Deno.test("callback: other OAuth errors, and a workspace without Codex, have kinds of their own", async () => {
  await using a = await machineAt();
  const other = await a.machine.handle(params({ error: "server_error", state: STATE }));
  assert.ok(other.kind === "failed" && other.error.kind === "oauth_error", JSON.stringify(other));
  await using b = await machineAt();
  const entitlement = await b.machine.handle(params({
    error: "access_denied",
    error_description: "missing_codex_entitlement",
    state: STATE,
  }));
  assert.ok(entitlement.kind === "failed");
  if (entitlement.kind !== "failed") return;
  assert.equal(entitlement.error.kind, "missing_entitlement");
  assert.equal(entitlement.description, undefined, "the raw code is not passed on");
});

Deno.test("callback: a failed exchange is a failure of the sign-in, with the issuer's words", async () => {
  await using m = await machineAt({ codeExchange: "invalid_grant" });
  const outcome = await m.machine.handle(params({ code: m.code(), state: STATE }));
  assert.ok(outcome.kind === "failed", JSON.stringify(outcome));
  if (outcome.kind !== "failed") return;
  assert.ok(outcome.error instanceof LoginError);
  assert.equal(outcome.error.kind, "code_exchange");
  assert.equal(outcome.error.code, "code_exchange.refused");
  assert.match(outcome.error.what, /^Could not exchange the sign-in code: the issuer answered 400/);
  assert.equal(m.machine.phase, "done");
});

Deno.test("callback: prefetch starts an exchange only for the right state, once, used only for that code", async () => {
  await using m = await machineAt({ tokenDelayMs: 100 });
  const code = m.code();
  m.machine.prefetch(params({ code, state: "forged" }));
  m.machine.prefetch(params({ error: "access_denied", state: STATE }));
  m.machine.prefetch(params({ state: STATE }));
  m.machine.prefetch(params({ code, state: STATE }));
  m.machine.prefetch(params({ code: m.code(), state: STATE }));
  await until(() => m.exchanges() > 0);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(
    m.exchanges(),
    1,
    "one exchange: none for a wrong state, an error or no code, and one prefetch only",
  );
  assert.equal(m.machine.phase, "waiting", "a prefetch saves nothing and ends nothing");
  assert.equal(await readAuthFile(m.home), undefined);
  const done = await m.machine.handle(params({ code, state: STATE }));
  assert.equal(done.kind, "signed_in");
  assert.equal(m.exchanges(), 1, "the handled callback used the prefetched exchange");
});

Deno.test("callback: a prefetched exchange is never used for another code", async () => {
  await using m = await machineAt();
  m.machine.prefetch(params({ code: m.code(), state: STATE }));
  const done = await m.machine.handle(params({ code: m.code(), state: STATE }));
  assert.equal(done.kind, "signed_in");
  await until(() => m.exchanges() === 2);
  assert.equal(m.exchanges(), 2, "the other code was exchanged itself");
  m.machine.prefetch(params({ code: m.code(), state: STATE }));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(m.exchanges(), 2, "no prefetch once done");
});

Deno.test("callback: stopped (cancelled, timed out), it refuses everything", async () => {
  await using m = await machineAt();
  m.machine.stop();
  assert.equal(m.machine.phase, "done");
  assert.equal(
    refusedAs(await m.machine.handle(params({ code: m.code(), state: STATE }))),
    "already_used",
  );
  assert.equal(m.exchanges(), 0);
  assert.equal(
    pasteReply({
      kind: "rejected",
      error: new LoginError("state_mismatch", { what: "x" }),
    }).message,
    "That address belongs to another sign-in (its state does not match); still waiting. Open the URL above and paste the address you end on.",
  );
});

Deno.test("missing Codex entitlement: Codex's words in the page and the message, status 400", async () => {
  await using f = await fixture({ authorize: "missing_entitlement" });
  const page = (await browse(f.session.authUrl)).at(-1)!;
  assert.equal(page.status, 400);
  assert.match(page.body, /You do not have access to Codex/);
  assert.ok(!page.body.includes("missing_codex_entitlement"), "no raw code on the page");
  const err = await rejection(f.session);
  assert.equal(err.kind, "missing_entitlement");
  assert.equal(
    err.message,
    "Codex is not enabled for your workspace. Contact your workspace administrator to request access to Codex.",
  );
});

Deno.test("access_denied: error page, exit 1, nothing written", async () => {
  await using f = await fixture({ authorize: "access_denied" });
  const visits = await browse(f.session.authUrl);
  const page = visits.at(-1)!;
  assert.equal(page.status, 400, "a declined sign-in answers with an error status");
  assert.match(page.body, /Sign-in was cancelled/);
  assert.match(page.body, /access_denied/);
  const err = await rejection(f.session);
  assert.equal(err.kind, "access_denied");
  assert.equal(err.exitCode, 1);
  assert.match(err.message, /access_denied.*declined/);
  assert.deepEqual(filesIn(f.home), [], "nothing written, the cancel secret removed");
});
