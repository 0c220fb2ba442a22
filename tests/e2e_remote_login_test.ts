import assert from "node:assert/strict";
import { readAuthFile } from "../lib/store/file_store.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, tempHome } from "./support/helpers.ts";
import {
  BASE_PERMISSIONS,
  HAVE_SCRIPT,
  loginArgs,
  ON,
  runInTerminal,
  spawnCli,
} from "./support/cli_process.ts";

const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/;

/** `login --device-auth` against a fake issuer, then `extra`. */
function deviceArgs(issuerUrl: string, home: string, extra: string[] = []): string[] {
  return [
    "login",
    "--device-auth",
    "--issuer",
    issuerUrl,
    "--api-base",
    issuerUrl,
    "--codex-home",
    home,
    ...extra,
  ];
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test(ON + "cli --paste: the address pasted on stdin completes the sign-in", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await using cli = spawnCli(loginArgs(issuer.url, h.home.path, ["--paste"]), { openStdin: true });
  const url = await cli.waitFor(URL_LINE);
  await cli.waitFor(/paste here the address your browser ended on/);
  await cli.waitFor(/ssh -L \d+:127\.0\.0\.1:\d+/);
  const authorize = await fetch(url, { redirect: "manual" });
  await authorize.body?.cancel();
  const callback = authorize.headers.get("location")!;
  await cli.write("this is not it\n");
  await cli.waitFor(/not a sign-in address/);
  await cli.write(`${callback}\n`);
  const { code, stderr } = await cli.done();
  assert.equal(code, 0, stderr);
  assert.match(stderr, /Signed in with the pasted address/);
  assert.ok(await readAuthFile(h.home));
});

Deno.test(
  ON + "cli --device-auth: shows the code, waits with plain lines off a terminal, exits 0",
  async () => {
    await using issuer = startFakeIssuer({ deviceApproveAfterPolls: 3 });
    await using h = await tempHome();
    await using cli = spawnCli(deviceArgs(issuer.url, h.home.path));
    const { code, stderr } = await cli.done();
    assert.equal(code, 0, stderr);
    assert.match(stderr, new RegExp(`^    ${issuer.url}/codex/device$`, "m"));
    assert.match(stderr, /^ {4}ABCD-2345$/m);
    assert.match(stderr, /Waiting for the code to be entered \(1[45]:\d\d left\)/);
    assert.ok(!stderr.includes("\r"), "no terminal redraws when stderr is not a terminal");
    assert.ok(await readAuthFile(h.home));
  },
);

Deno.test(ON + "cli --device-auth --timeout: exit 124", async () => {
  await using issuer = startFakeIssuer({ deviceApproveAfterPolls: Infinity });
  await using h = await tempHome();
  await using cli = spawnCli(deviceArgs(issuer.url, h.home.path, ["--timeout", "1"]));
  const { code, stderr } = await cli.done();
  assert.equal(code, 124, stderr);
  assert.match(
    stderr,
    /^Error: Timed out after 1 s waiting for the code to be entered; nothing was saved\. Run .* login --device-auth again\.$/m,
  );
});

Deno.test(
  ON + "cli: a second login on the same port cancels the first, which exits 130",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    const port = String(freePort());
    const args = [...loginArgs(issuer.url, h.home.path), "--port", port];
    await using first = spawnCli(args);
    await first.waitFor(URL_LINE);
    await using second = spawnCli(args);
    const a = await first.done();
    assert.equal(a.code, 130, a.stderr);
    assert.match(a.stderr, /cancelled by a newer login/);
    const url = await second.waitFor(URL_LINE);
    await browse(url);
    const b = await second.done();
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /Stopped an earlier codex-login/);
  },
);

Deno.test({
  name: ON + "cli --device-auth on a terminal: a live countdown redrawn in place",
  ignore: !HAVE_SCRIPT,
  async fn() {
    await using issuer = startFakeIssuer({ deviceApproveAfterPolls: 6, deviceInterval: "0.5" });
    await using h = await tempHome();
    const { code, screen: text } = await runInTerminal(
      deviceArgs(issuer.url, h.home.path),
      {
        permissions: [...BASE_PERMISSIONS, "--allow-run=ss"],
      },
    );
    assert.equal(code, 0, text);
    const clearLine = "\u001b[2K";
    const frames = text.split("\r").filter((part) =>
      part.startsWith(clearLine) &&
      /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for the code to be entered… 1[45]:\d\d left/.test(
        part.slice(clearLine.length),
      )
    );
    assert.ok(frames.length >= 2, `expected redrawn status frames in:\n${JSON.stringify(text)}`);
    assert.match(text, /Successfully logged in/);
  },
});

Deno.test({
  name: ON + "cli on a terminal: one waiting line with the time left and the paste hint",
  ignore: !HAVE_SCRIPT,
  async fn() {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    const { code, screen } = await runInTerminal(
      [...loginArgs(issuer.url, h.home.path), "--timeout", "3"],
      {
        permissions: [...BASE_PERMISSIONS, "--allow-run=ss"],
      },
    );
    assert.equal(code, 124, screen);
    assert.match(screen, /Waiting for you to sign in in the browser… 0:0\d left/);
    assert.match(screen, /or paste the address the browser ends on here/);
  },
});

Deno.test(ON + "cli off a terminal: no waiting line; --quiet keeps only the URL", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await using plain = spawnCli(loginArgs(issuer.url, h.home.path));
  await browse(await plain.waitFor(/\/oauth\/authorize\?/));
  const loud = await plain.done();
  assert.equal(loud.code, 0, loud.stderr);
  assert.doesNotMatch(loud.stderr, /Waiting for you to sign in/);
  assert.match(loud.stderr, /Successfully logged in/);

  await using h2 = await tempHome();
  await using quiet = spawnCli(loginArgs(issuer.url, h2.home.path, ["--quiet"]));
  await browse(await quiet.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/));
  const done = await quiet.done();
  assert.equal(done.code, 0, done.stderr);
  const lines = done.stderr.split("\n").filter((l) => l.trim());
  assert.equal(lines.length, 1, done.stderr);
  assert.match(lines[0], /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/);
});
