/**
 * Claiming the loopback port as Codex 0.169: 127.0.0.1 only, taking over from an earlier
 * codex-login (an authenticated cancel) or a waiting `codex login` (its GET /cancel), never
 * from another user's program, falling back from 1455 to 1457, and saying why a port cannot
 * be had. The admission check that turns other users' connections away.
 */
import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import {
  CANCEL_HEADER,
  claimLoopback,
  isAuthorizedCancel,
  loopbackOrigin,
  PortUnavailable,
  removeCancelSecret,
  writeCancelSecret,
} from "../../lib/loopback/port_claim.ts";
import { startLogin } from "../../lib/signin/login_server.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import {
  browse,
  HAVE_IPV6,
  IPV6_MISSING,
  logCollector,
  rawGet,
  ROOT,
  tempHome,
} from "../support/helpers.ts";
import { fixture } from "../support/login_fixture.ts";
import { asNobody, NOBODY, OTHER_USER_MISSING } from "../support/other_user.ts";

if (OTHER_USER_MISSING) console.error(`SKIPPED other-user tests: ${OTHER_USER_MISSING}`);
if (IPV6_MISSING) console.error(`SKIPPED [::1] tests: ${IPV6_MISSING}`);

Deno.test({
  name: "a squatter on [::1]:PORT gets nothing: the redirect names 127.0.0.1, the only address",
  ignore: !HAVE_IPV6,
  async fn() {
    await using h = await tempHome();
    const squatter = Deno.listen({ hostname: "::1", port: 0 });
    const port = (squatter.addr as Deno.NetAddr).port;
    const session = await startLogin({ home: h.home, endpoints: resolveIssuer(), port });
    try {
      assert.equal(session.redirectUri, `http://127.0.0.1:${port}/auth/callback`);
      assert.equal(new URL(session.authUrl).searchParams.get("redirect_uri"), session.redirectUri);
      assert.match(session.startUrl, new RegExp(`^http://127\\.0\\.0\\.1:${port}/start/`));
    } finally {
      session.cancel();
      await session.result.catch(() => {});
      squatter.close();
    }
  },
});

Deno.test({
  name: "loopback: 127.0.0.1 only, as Codex 0.169 (nothing listens on [::1])",
  ignore: !HAVE_IPV6,
  async fn() {
    await using t = await fixture();
    await assert.rejects(
      Deno.connect({ hostname: "::1", port: t.session.port }),
      Deno.errors.ConnectionRefused,
    );
    assert.equal(t.session.redirectUri, `http://127.0.0.1:${t.session.port}/auth/callback`);
  },
});

Deno.test("busy port: an explicit --port never falls back (exit 13)", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (holder.addr as Deno.NetAddr).port;
  try {
    await using h = await tempHome();
    const err = await claimLoopback({ port, home: h.home, report: () => {} }, { retryMs: 200 })
      .catch((e) => e);
    assert.ok(err instanceof PortUnavailable, String(err));
    assert.equal(err.reason, "in_use");
    assert.deepEqual(err.ports, [port]);
  } finally {
    holder.close();
  }
});

Deno.test("Windows excluded port ranges: a refused 1455 falls back to 1457; both refused says why", async () => {
  const refuse = new Set([1455]);
  const bound: number[] = [];
  const bind = (port: number) => {
    if (refuse.has(port)) {
      throw new Deno.errors.PermissionDenied(
        "An attempt was made to access a socket in a way forbidden by its access permissions. (os error 10013)",
      );
    }
    bound.push(port);
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    listeners.set(port, listener);
    return listener;
  };
  const listeners = new Map<number, Deno.TcpListener>();
  const logs = logCollector();
  const options = { home: new CodexHome("/nonexistent"), report: logs.report };
  const listener = await claimLoopback(options, { bind, os: "windows" });
  listener.close();
  assert.equal(listener, listeners.get(1457), "bound on 1457");
  assert.deepEqual(bound, [1457]);
  assert.match(
    logs.text(),
    /Port 1455 cannot be used here \(refused by the system\); trying port 1457/,
  );

  refuse.add(1457);
  const err = await claimLoopback(options, { bind, os: "windows" }).catch((e) => e);
  assert.ok(err instanceof PortUnavailable, String(err));
  assert.equal(err.reason, "refused");
  assert.deepEqual(err.ports, [1455, 1457]);
  assert.equal(err.os, "windows");
});

Deno.test("port takeover: a waiting `codex login` gets its GET /cancel once, then we bind", async () => {
  await using h = await tempHome();
  const cancels: string[] = [];
  const codex = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    cancels.push(`${req.method} ${new URL(req.url).pathname}`);
    setTimeout(() => codex.shutdown(), 10);
    return new Response("Login cancelled");
  });
  const port = codex.addr.port;
  const logs = logCollector();
  const listener = await claimLoopback({ port, home: h.home, report: logs.report }, {
    retryMs: 2000,
  });
  try {
    assert.equal(listener.addr.port, port);
    assert.deepEqual(cancels, ["GET /cancel"]);
    assert.match(logs.text(), new RegExp(`Stopped a waiting \`codex login\` on port ${port}`));
  } finally {
    listener.close();
    await codex.finished;
  }
});

Deno.test("busy port: a second login cancels the first (exit 130) and takes the port over", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const common = {
    home: h.home,
    endpoints: resolveIssuer({ issuer: issuer.url, apiBase: issuer.url }),
  };
  const first = await startLogin({ ...common, port });
  const logs = logCollector();
  const second = await startLogin({ ...common, port, report: logs.report }, {
    successGraceMs: 50,
  });
  const err = await first.result.then(() => undefined, (e) => e);
  assert.ok(err instanceof LoginError);
  assert.equal(err.exitCode, 130);
  assert.match(err.message, /cancelled by a newer login/);
  assert.equal(second.port, port);
  assert.match(logs.text(), /Stopped an earlier codex-login/);
  await browse(second.authUrl);
  await second.result;
});

Deno.test("busy port: cancel needs POST with the secret from the 0600 file", async () => {
  await using t = await fixture();
  const port = t.session.port;
  const secretFile = t.home.cancelSecret(port);
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(secretFile)).mode! & 0o777, 0o600);
  }
  const post = async (headers: Record<string, string>) => {
    const r = await fetch(`http://127.0.0.1:${port}/cancel`, { method: "POST", headers });
    await r.body?.cancel();
    return r.status;
  };
  assert.equal(await post({}), 403);
  assert.equal(await post({ [CANCEL_HEADER]: "guess" }), 403);
  assert.equal((await rawGet(port, "/cancel")).status, 405);
  assert.equal((await rawGet(port, "/cancel", "evil.example", "POST")).status, 421);
  // Still waiting: the real sign-in completes.
  await browse(t.session.authUrl);
  await t.session.result;
  await assert.rejects(Deno.stat(secretFile), Deno.errors.NotFound, "secret removed at the end");
});

/** Why the fixed ports 1455/1457 cannot be used here (they are, alone, in a network namespace). */
const namespaceMissing = await new Deno.Command("unshare", {
  args: ["-n", "sh", "-c", "ip link set lo up"],
  stdout: "null",
  stderr: "null",
}).output().then(
  (o) => (o.success ? undefined : "no private network namespace (needs root)"),
  () => "unshare is missing",
);

Deno.test({
  name:
    "busy port: default 1455 held by another program falls back to 1457 (own network namespace)",
  ignore: namespaceMissing !== undefined,
  async fn() {
    const out = await new Deno.Command("unshare", {
      args: [
        "-n",
        "sh",
        "-c",
        'ip link set lo up && exec "$0" run -A tests/support/port_scenario.ts held',
        Deno.execPath(),
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert.equal(out.code, 0, dec.decode(out.stderr));
    const r = JSON.parse(dec.decode(out.stdout).trim().split("\n").at(-1) ?? "{}");
    assert.equal(r.ourPort, 1457);
    assert.deepEqual(r.said, [
      "Port 1455 is in use; waiting up to 2 s before trying port 1457.",
      "Port 1455 is in use by another program; trying port 1457 instead.",
    ]);
  },
});

Deno.test({
  name: "another user's program on the port gets no cancel (neither our secret nor GET /cancel)",
  ignore: OTHER_USER_MISSING !== undefined,
  async fn() {
    await using h = await tempHome();
    const log = await Deno.makeTempFile();
    await Deno.chmod(log, 0o666);
    const server = new Deno.Command("setpriv", {
      args: [
        ...NOBODY,
        "/usr/bin/python3",
        "-c",
        [
          "import socket, sys",
          "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()",
          "print(s.getsockname()[1], flush=True)",
          "while True:",
          "    c, _ = s.accept(); d = c.recv(4096)",
          "    open(sys.argv[1], 'ab').write(d); c.close()",
        ].join("\n"),
        log,
      ],
      stdout: "piped",
    }).spawn();
    try {
      const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const port = Number((await reader.read()).value);
      const logs = logCollector();
      const peers = { ownUid: await h.home.ownerUid() };
      const err = await claimLoopback({ port, home: h.home, report: logs.report, peers }, {
        retryMs: 100,
      }).then((l) => l.close(), (e) => e);
      assert.ok(err instanceof PortUnavailable, String(err));
      assert.match(logs.text(), new RegExp(`Port ${port} is held by another user.*uid 65534`));
      assert.equal(await Deno.readTextFile(log), "", "no request was sent to it");
      await reader.cancel();
    } finally {
      server.kill("SIGKILL");
      await server.status;
    }
  },
});

Deno.test("without ss or lsof the server still serves, and says once that peers are not checked", async () => {
  await using f = await fixture({}, {
    deps: { peers: { os: "linux", run: () => Promise.resolve({ kind: "missing" }) } },
  });
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`http://127.0.0.1:${f.session.port}/nothing`);
    await r.body?.cancel();
    assert.equal(r.status, 404);
  }
  assert.equal(f.logs.text().match(/other users on this machine are not turned away/g)?.length, 1);
});

Deno.test("the cancel secret: written 0600 in the home, checked in constant time, removed only if ours", async () => {
  await using h = await tempHome();
  await writeCancelSecret(h.home, 1455, "the-secret-0123456789");
  const path = h.home.cancelSecret(1455);
  if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  const request = (value?: string) => ({
    method: "POST",
    url: `${loopbackOrigin(1455)}/cancel`,
    headers: new Headers(value === undefined ? {} : { [CANCEL_HEADER]: value }),
  });
  assert.equal(isAuthorizedCancel(request("the-secret-0123456789"), "the-secret-0123456789"), true);
  assert.equal(isAuthorizedCancel(request("guess"), "the-secret-0123456789"), false);
  assert.equal(isAuthorizedCancel(request(), "the-secret-0123456789"), false);
  assert.equal(isAuthorizedCancel(request(""), undefined), false, "no secret: no cancel");
  await removeCancelSecret(h.home, 1455, "another-login-s-secret");
  assert.ok((await Deno.stat(path)).isFile, "not ours: left alone");
  await removeCancelSecret(h.home, 1455, "the-secret-0123456789");
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  assert.equal(loopbackOrigin(1457), "http://127.0.0.1:1457");
});

Deno.test({
  name: "another user cannot load the opener's link first: closed at accept, ours still works",
  ignore: OTHER_USER_MISSING !== undefined,
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
