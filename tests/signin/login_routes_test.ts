/**
 * The routes of a sign-in's loopback server: the callback (a forged state, a replay, a failed
 * save), the opener's one-time start link, the success page only for the redirected browser,
 * unknown paths and foreign names, the `--verbose` request lines, and the preview that starts
 * a callback's exchange while its connection's owner is still being checked.
 */
import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { newerLoginCancel, requestLine, startLinkReused } from "../../lib/signin/login_routes.ts";
import { readAuthFile } from "../../lib/store/file_store.ts";
import { browse, rawGet } from "../support/helpers.ts";
import { callbackUrl, type Fixture, fixture, rejection } from "../support/login_fixture.ts";

/** An org owner who has not finished platform onboarding: the success page offers setup. */
const NEEDS_SETUP = {
  accountId: "a1",
  planType: "plus",
  isOrgOwner: true,
  completedPlatformOnboarding: false,
};
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

Deno.test("the --verbose line of a request: method, path (the start link's value hidden), status; never raw", () => {
  const req = (method: string, url: string) => ({ method, url, headers: new Headers() });
  assert.equal(
    requestLine(req("GET", "http://localhost/auth/callback?code=c&state=s"), 302),
    "GET /auth/callback -> 302",
  );
  assert.equal(
    requestLine(req("GET", "http://localhost/start/abcdef0123"), 302),
    "GET /start/… -> 302",
  );
  assert.equal(requestLine(req("G\x1bT", "http://localhost/x"), 400), "G\\x1bT /x -> 400");
  assert.equal(requestLine(req("GET", "not a url"), 400), "(unreadable request) -> 400");
});

Deno.test("the stops a route can cause: a reused start link, a newer login", () => {
  const reused = startLinkReused();
  assert.ok(reused instanceof LoginError);
  assert.equal(reused.kind, "start_link_reused");
  assert.equal(reused.exitCode, 1);
  assert.match(reused.message, /could have signed you in to their account\. Nothing was saved/);
  const newer = newerLoginCancel();
  assert.equal(newer.kind, "cancelled");
  assert.equal(newer.code, "cancelled.newer_login");
  assert.equal(newer.exitCode, 130);
  assert.match(newer.message, /cancelled by a newer login/);
});

Deno.test("a forged state is refused (400) and the real callback still succeeds", async () => {
  await using f = await fixture();
  const forged = await browse(callbackUrl(f.session, { code: "stolen", state: "forged" }));
  assert.equal(forged[0].status, 400);
  assert.match(forged[0].body, /out of date/);
  const missing = await browse(callbackUrl(f.session, { code: "stolen" }));
  assert.equal(missing[0].status, 400);
  assert.equal(f.issuer.tokenRequests("authorization_code").length, 0);
  const visits = await browse(f.session.authUrl);
  assert.equal(visits.at(-1)!.status, 200);
  await f.session.result;
});

Deno.test("unknown paths 404, non-GET 405, foreign Host 4xx, early /success 404; server keeps running", async () => {
  await using f = await fixture();
  const port = f.session.port;
  assert.equal((await rawGet(port, "/nope")).status, 404);
  assert.equal((await rawGet(port, "/success")).status, 404);
  assert.equal((await rawGet(port, "/auth/callback", `localhost:${port}`, "POST")).status, 405);
  const foreign = await rawGet(port, "/auth/callback", "evil.example:80");
  assert.ok(foreign.status >= 400 && foreign.status < 500);
  assert.equal((await rawGet(port, "/nope", `127.0.0.1:${port}`)).status, 404);
  assert.equal((await rawGet(port, "/x", `localhost:${port + 1}`)).status, 421);
  const visits = await browse(f.session.authUrl);
  assert.equal(visits.at(-1)!.status, 200);
  await f.session.result;
});

Deno.test("a code is used once: a callback replayed during the exchange is refused", async () => {
  await using f = await fixture({ tokenDelayMs: 300 });
  const authorize = await fetch(f.session.authUrl, { redirect: "manual" });
  await authorize.body?.cancel();
  const callback = authorize.headers.get("location")!;
  const first = browse(callback);
  await new Promise((r) => setTimeout(r, 100));
  const replay = await browse(callback);
  assert.equal(replay[0].status, 409);
  assert.match(replay[0].body, /already handled/);
  assert.equal((await first).at(-1)!.status, 200);
  assert.equal(f.issuer.tokenRequests("authorization_code").length, 1);
  await f.session.result;
});

Deno.test("--verbose with a malformed Host: answered 421, logged safely, the sign-in goes on", async () => {
  await using f = await fixture({}, { request: { verbose: true } });
  const port = f.session.port;
  assert.equal((await rawGet(port, "/x", "a b")).status, 421);
  assert.equal((await rawGet(port, "/\x1b[2J", `localhost:${port}`)).status, 400);
  await new Promise((r) => setTimeout(r, 50));
  await browse(f.session.authUrl);
  await f.session.result;
  assert.match(f.logs.text(), /GET \/x -> 421/);
  assert.ok(!CONTROL.test(f.logs.text()), "no control characters logged");
});

Deno.test("/success with the setup link goes to the redirected browser only", async () => {
  await using f = await fixture({ account: NEEDS_SETUP }, { deps: { successGraceMs: 5000 } });
  const authorize = await fetch(f.session.authUrl, { redirect: "manual" });
  await authorize.body?.cancel();
  const callbackUrl = new URL(authorize.headers.get("location")!);
  const callback = await fetch(callbackUrl.href.replace("//localhost:", "//127.0.0.1:"), {
    redirect: "manual",
    headers: { host: callbackUrl.host },
  });
  await callback.body?.cancel();
  assert.equal(callback.status, 302);
  const location = callback.headers.get("location")!;
  // Another local process polls /success before the browser gets there.
  for (const path of ["/success", "/success?v=guess"]) {
    const attempt = await rawGet(f.session.port, path);
    assert.equal(attempt.status, 200);
    assert.ok(!attempt.body.includes("org-setup"), `${path}: no setup link, no id_token`);
  }
  const page = await browse(new URL(location, callbackUrl).href);
  assert.match(page[0].body, /id="setup-link"/, "the redirected browser gets the link");
  await f.session.result;
});

Deno.test("the opener's start link works once; a second use stops the sign-in with a warning", async () => {
  await using f = await fixture();
  const first = await fetch(f.session.startUrl.replace("//localhost:", "//127.0.0.1:"), {
    redirect: "manual",
    headers: { host: new URL(f.session.startUrl).host },
  });
  await first.body?.cancel();
  assert.equal(first.status, 302);
  assert.equal(first.headers.get("location"), f.session.authUrl);
  const wrong = await rawGet(f.session.port, "/start/guess");
  assert.equal(wrong.status, 404);
  const second = await browse(f.session.startUrl);
  assert.equal(second[0].status, 409);
  const err = await rejection(f.session);
  assert.equal(err.kind, "start_link_reused");
  assert.match(
    f.logs.text(),
    /Warning: Someone else on this machine opened this sign-in's start link/,
  );
  assert.equal(await readAuthFile(f.home), undefined);
});

Deno.test("a failed save answers 500", async () => {
  await using f = await fixture();
  await Deno.mkdir(f.home.authFile, { recursive: true });
  await Deno.writeTextFile(`${f.home.authFile}/keep`, "x");
  const page = (await browse(f.session.authUrl)).at(-1)!;
  assert.equal(page.status, 500);
  assert.equal((await rejection(f.session)).kind, "save_failed");
});

/**
 * A callback sent on a raw connection whose peer `ss` reports as `peerUid(ownUid)`; `ss`
 * answers only once the fake issuer has seen the code exchange, so the exchange provably ran
 * during the check.
 */
async function callbackCheckedAs(peerUid: (ownUid: number) => number) {
  let clientPort = 0;
  let uid = -1;
  let exchangedDuringCheck: boolean | undefined;
  const exchanged = () => f.issuer.tokenRequests("authorization_code").length > 0;
  const f: Fixture = await fixture({}, {
    deps: {
      successGraceMs: 0,
      ss: async () => {
        for (let i = 0; i < 1000 && (clientPort === 0 || !exchanged()); i++) {
          await new Promise((r) => setTimeout(r, 5));
        }
        exchangedDuringCheck ??= exchanged(); // the run that answers for our connection
        const port = f.session.port;
        return `ESTAB 0 0 127.0.0.1:${clientPort} 127.0.0.1:${port} uid:${uid} ino:1 sk:1 <->`;
      },
    },
  });
  uid = peerUid((await Deno.stat(f.home.path)).uid ?? 0);
  const authorize = await fetch(f.session.authUrl, { redirect: "manual" });
  await authorize.body?.cancel();
  const callback = new URL(authorize.headers.get("location")!);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: f.session.port });
  clientPort = conn.localAddr.port;
  const request = `GET ${callback.pathname}${callback.search} HTTP/1.1\r\n` +
    `Host: ${callback.host}\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  const answer = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
  return Object.assign(f, { answer, callback, exchangedDuringCheck, uid });
}

Deno.test("the callback's code exchange overlaps the peer check; our own callback signs in", async () => {
  await using f = await callbackCheckedAs((own) => own);
  assert.ok(f.exchangedDuringCheck, "the code was exchanged while the peer was checked");
  assert.match(f.answer, /^HTTP\/1\.1 302 /, "answered once the peer was ours");
  await f.session.result;
  const auth = JSON.parse(await Deno.readTextFile(f.home.authFile));
  assert.equal(auth.auth_mode, "chatgpt");
  assert.equal(f.issuer.tokenRequests("authorization_code").length, 1, "one exchange");
});

Deno.test("another user's callback: exchanged early, but unanswered and unsaved; ours then uses it", async () => {
  await using f = await callbackCheckedAs((own) => own === 65534 ? 65533 : 65534);
  assert.ok(f.exchangedDuringCheck, "the code was exchanged while the peer was checked");
  assert.equal(f.answer, "", "the other user's connection got nothing");
  assert.match(
    f.logs.text(),
    new RegExp(`another user on this machine \\(uid ${f.uid}\\) connected`),
  );
  await assert.rejects(Deno.stat(f.home.authFile), Deno.errors.NotFound);
  // The person's own browser then sends the same callback: signed in with those tokens.
  const ours = await fetch(
    `http://127.0.0.1:${f.session.port}${f.callback.pathname}${f.callback.search}`,
    {
      redirect: "manual",
      headers: { host: f.callback.host },
    },
  );
  await ours.body?.cancel();
  assert.equal(ours.status, 302);
  await f.session.result;
  assert.equal(f.issuer.tokenRequests("authorization_code").length, 1, "not exchanged twice");
  const auth = JSON.parse(await Deno.readTextFile(f.home.authFile));
  assert.equal(auth.auth_mode, "chatgpt");
});
