/**
 * Another user of this machine against a sign-in (Hardening III): their process, run as uid
 * 65534 with `setpriv`, can neither load the opener's one-time link first (login CSRF) nor
 * receive a cancel meant for a waiting login. Skipped, with the reason, where a process cannot
 * be started as another user (not root, no setpriv) or `ss` is missing.
 */
import assert from "node:assert/strict";
import { startLogin } from "../lib/signin/login_server.ts";
import { LoginError } from "../lib/base/errors.ts";
import { type Fixture, fixture } from "./support/login_fixture.ts";
import { logCollector, tempHome } from "./support/helpers.ts";

const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];

const missing = await (async () => {
  const probe = await new Deno.Command("setpriv", { args: [...NOBODY, "true"] }).output()
    .catch(() => undefined);
  if (!probe?.success) return "cannot run a process as uid 65534 (needs root and setpriv)";
  const ss = await new Deno.Command("ss", { args: ["-V"], stdout: "null" }).output()
    .catch(() => undefined);
  if (!ss?.success) return "ss (iproute2) is not installed";
  return undefined;
})();
if (missing) console.error(`SKIPPED other-user tests: ${missing}`);

/** As uid 65534: send `request` to 127.0.0.1:`port` and return what came back ("" if closed). */
async function asNobody(port: number, request: string): Promise<string> {
  const script = `exec 3<>/dev/tcp/127.0.0.1/${port} || exit 3; printf '%b' "$1" >&3; ` +
    `timeout 3 cat <&3`;
  const out = await new Deno.Command("setpriv", {
    args: [...NOBODY, "/bin/bash", "-c", script, "bash", request.replaceAll("\r\n", "\\r\\n")],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "another user cannot load the opener's link first: closed at accept, ours still works",
  ignore: missing !== undefined,
  async fn() {
    await using f = await fixture();
    const { session, logs } = f;
    const path = new URL(session.startUrl).pathname;
    const theirs = await asNobody(
      session.port,
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${session.port}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(theirs, "", "nothing answered to another user");
    assert.match(logs.text(), /another user on this machine \(uid 65534\) connected/);
    const ours = await fetch(session.startUrl, { redirect: "manual" });
    await ours.body?.cancel();
    assert.equal(ours.status, 302, "the one-time link is still unused, and it is ours");
    assert.ok(ours.headers.get("location")?.startsWith(`${f.issuer.url}/oauth/authorize?`));
  },
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
    successGraceMs: 0,
    ssRunner: async () => {
      for (let i = 0; i < 1000 && (clientPort === 0 || !exchanged()); i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      exchangedDuringCheck ??= exchanged(); // the run that answers for our connection
      const port = f.session.port;
      return `ESTAB 0 0 127.0.0.1:${clientPort} 127.0.0.1:${port} uid:${uid} ino:1 sk:1 <->`;
    },
  });
  uid = peerUid((await Deno.stat(f.home)).uid ?? 0);
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
  const auth = JSON.parse(await Deno.readTextFile(`${f.home}/auth.json`));
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
  await assert.rejects(Deno.stat(`${f.home}/auth.json`), Deno.errors.NotFound);
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
  const auth = JSON.parse(await Deno.readTextFile(`${f.home}/auth.json`));
  assert.equal(auth.auth_mode, "chatgpt");
});
