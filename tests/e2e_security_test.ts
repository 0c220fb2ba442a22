/**
 * Hardening II, as separate processes: the attacks that need one (running out of file
 * descriptors, the opener's link read from the process table, a flood pasted into stdin,
 * Ctrl-C at the hidden prompt, escapes reaching the terminal).
 */
import assert from "node:assert/strict";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, ROOT, tempHome } from "./support/helpers.ts";
import {
  cliArgv,
  cliEnv,
  COMMAND,
  ENTRY,
  HAVE_SCRIPT,
  loginArgs,
  ON,
  runInTerminal,
  spawnCli,
} from "./support/cli_process.ts";
import { memoryOf } from "./support/load_client.ts";
import { NOBODY } from "./support/other_user.ts";

// deno-lint-ignore no-control-regex
const ESCAPES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** One request to a loopback link, redirects not followed. */
async function getOnce(link: string): Promise<Response> {
  const url = new URL(link);
  const response = await fetch(link.replace("//localhost:", "//127.0.0.1:"), {
    redirect: "manual",
    headers: { host: url.host },
  });
  await response.body?.cancel();
  return response;
}

async function callbackFor(authUrl: string): Promise<string> {
  const r = await fetch(authUrl, { redirect: "manual" });
  await r.body?.cancel();
  return r.headers.get("location")!;
}

Deno.test(
  ON + "2. out of file descriptors (limit 256): the login survives and still signs in",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
    const command = cliArgv(loginArgs(issuer.url, h.home.path)).map(quote).join(" ");
    await using cli = spawnCli([], { shell: `ulimit -n 256; exec ${command}` });
    const listening = await cli.waitFor(
      /^Starting local login server on http:\/\/127\.0\.0\.1:\d+$/,
    );
    const port = Number(/:(\d+)$/.exec(listening)![1]);
    const authUrl = await cli.waitFor(/\/oauth\/authorize\?/);
    const held: Deno.Conn[] = [];
    for (let i = 0; i < 300; i++) {
      try {
        held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      } catch {
        break; // the backlog is full: the flood is in place
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    const visits = await browse(authUrl);
    assert.equal(visits.at(-1)!.status, 200, "the real callback got through");
    const { code, stderr } = await cli.done();
    assert.equal(code, 0, stderr);
    assert.ok(!/Too many open files|Uncaught/.test(stderr), stderr);
    assert.ok(await readAuthFile(h.home));
    const left = [...Deno.readDirSync(h.home.path)].map((e) => e.name).filter((n) =>
      n.endsWith(".secret")
    );
    assert.deepEqual(left, [], "cancel secret removed");
    for (const c of held) c.close();
  },
);

Deno.test(
  ON + "5. the opener gets a one-time link, not the authorize URL; its reuse stops the sign-in",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    const recorded = `${h.dir}/opened.txt`;
    const opener = `${h.dir}/opener.sh`;
    await Deno.writeTextFile(opener, `#!/bin/sh\nprintf '%s' "$1" > '${recorded}'\n`);
    await Deno.chmod(opener, 0o755);
    const args = loginArgs(issuer.url, h.home.path).filter((a) => a !== "--no-browser");
    await using cli = spawnCli(args, {
      env: { BROWSER: opener }, // the launcher grants $BROWSER's program
    });
    const authUrl = await cli.waitFor(/\/oauth\/authorize\?/);
    let link = "";
    for (let i = 0; i < 50 && !link; i++) {
      link = await Deno.readTextFile(recorded).catch(() => "");
      if (!link) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/start\/[A-Za-z0-9_-]{43}$/);
    const state = new URL(authUrl).searchParams.get("state")!;
    assert.ok(!link.includes(state), "the state is not in the process table");
    // The attacker (another local user) uses the link first...
    const stolen = await getOnce(link);
    assert.equal(stolen.status, 302);
    assert.equal(stolen.headers.get("location"), authUrl, "it leads to the authorize URL");
    // ...then the victim's browser opens it: the sign-in stops.
    const victim = await getOnce(link);
    assert.equal(victim.status, 409);
    const { code, stderr } = await cli.done();
    assert.equal(code, 1);
    assert.match(stderr, /Someone else on this machine opened this sign-in's start link/);
    assert.equal(await readAuthFile(h.home), undefined);
  },
);

Deno.test(
  ON + "13. a 64 MiB paste without a newline: memory stays bounded, the next line signs in",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await using cli = spawnCli([...loginArgs(issuer.url, h.home.path), "--paste"], {
      openStdin: true,
    });
    const authUrl = await cli.waitFor(/\/oauth\/authorize\?/);
    const before = await memoryOf(cli.child.pid);
    const chunk = "x".repeat(1024 * 1024);
    for (let i = 0; i < 64; i++) await cli.write(chunk);
    const during = await memoryOf(cli.child.pid);
    await cli.write(`\n${await callbackFor(authUrl)}\n`);
    const { code, stderr } = await cli.done();
    assert.equal(code, 0, stderr.slice(0, 2000));
    assert.match(stderr, /longer than 16 KiB.*ignored/);
    assert.match(stderr, /Signed in with the pasted address/);
    if (before && during) {
      assert.ok(
        during.peakKb - before.rssKb < 64 * 1024,
        `grew ${during.peakKb - before.rssKb} kB`,
      );
    }
  },
);

Deno.test({
  name: ON + "14. Ctrl-C at the hidden API-key prompt exits 130, interrupted, nothing saved",
  ignore: !HAVE_SCRIPT,
  async fn() {
    await using h = await tempHome();
    const { code, screen } = await runInTerminal(
      ["login", "--with-api-key", "--codex-home", h.home.path],
      { input: "sk-part\x03" },
    );
    assert.equal(code, 130, screen);
    assert.match(screen, /interrupted/);
    assert.ok(!/report it/.test(screen), screen);
    assert.equal(await readAuthFile(h.home), undefined);
  },
});

for (const [signal, code] of [["TERM", 143], ["HUP", 129]] as const) {
  Deno.test({
    name: ON +
      `14. SIG${signal} at the hidden prompt gives the terminal its echo back (exit ${code})`,
    ignore: !HAVE_SCRIPT,
    async fn() {
      await using h = await tempHome();
      const cli = cliArgv(["login", "--with-api-key", "--codex-home", h.home.path])
        .map((a) => `'${a}'`).join(" ");
      // The terminal's state is read after the CLI is killed at its prompt, in the same pty.
      const pidFile = `${h.dir}/cli.pid`;
      const script = `${h.dir}/run.sh`;
      await Deno.writeTextFile(
        script,
        `(sleep 3; kill -${signal} "$(cat ${pidFile})") &\n` +
          `sh -c 'echo $$ > ${pidFile}; exec "$0" "$@"' ${cli}\n` +
          `echo "EXIT=$?"\nstty -a\n`,
      );
      const child = new Deno.Command("script", {
        args: ["-qec", `bash ${script}`, "/dev/null"],
        cwd: ROOT,
        stdin: "piped",
        stdout: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      const stdin = child.stdin.getWriter(); // kept open: the pty's input while the CLI waits
      const out = await child.output();
      await stdin.close().catch(() => {});
      const screen = new TextDecoder().decode(out.stdout);
      assert.match(screen, new RegExp(`EXIT=${code}`), screen);
      assert.match(screen, /(^|[\s;])echo([\s;]|$)/m, "echo is on again");
      assert.doesNotMatch(screen, /(^|\s)-echo(\s|$)/m, screen);
      assert.equal(await readAuthFile(h.home), undefined);
    },
  });
}

Deno.test(ON + "9. escapes in auth.json never reach the terminal from status", async () => {
  await using issuer = startFakeIssuer({
    account: {
      accountId: "acct\x1b]0;title\x07",
      email: "me\x1b]52;c;ZXZpbA==\x07@example.com\nforged",
    },
  });
  await using h = await tempHome();
  await saveAuthFile(h.home, issuer.signedInAuth());
  await using cli = spawnCli(["status", "--codex-home", h.home.path]);
  const { code, stdout } = await cli.done();
  assert.equal(code, 0);
  assert.ok(!ESCAPES.test(stdout.replaceAll("\n", "")), JSON.stringify(stdout));
  assert.ok(!/^forged/m.test(stdout), "no forged line");
  await using json = spawnCli(["status", "--json", "--codex-home", h.home.path]);
  const report = JSON.parse((await json.done()).stdout);
  assert.equal(report.email, "me\x1b]52;c;ZXZpbA==\x07@example.com\nforged", "JSON keeps the data");
  assert.ok((await Deno.stat(h.home.authFile)).isFile);
});

Deno.test({
  name: ON +
    "the codex home is checked before anything opens: a home we cannot write (as uid 65534)",
  // uid 65534 must be able to run this Deno on this checkout (not so under a 0700 home).
  ignore: !(await new Deno.Command("setpriv", {
    args: [
      ...NOBODY,
      "sh",
      "-c",
      '"$0" --version >/dev/null && test -r "$1"',
      Deno.execPath(),
      COMMAND ?? ENTRY,
    ],
    stdout: "null",
    stderr: "null",
  }).output().then((o) => o.success, () => false)),
  async fn() {
    await using h = await tempHome();
    await Deno.chmod(h.dir, 0o755);
    await Deno.mkdir(h.home.path, { mode: 0o755 }); // root's: uid 65534 may look, not write
    const args = ["login", "--codex-home", h.home.path, "--issuer", "http://127.0.0.1:9"];
    const env = { DENO_DIR: `${h.dir}/deno`, HOME: h.dir };
    const out = await new Deno.Command("setpriv", {
      args: [...NOBODY, ...cliArgv([...args, "--no-browser"], { env })],
      env: cliEnv(env),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /it is not writable by you/);
    assert.doesNotMatch(stderr, /oauth\/authorize/);
  },
});

Deno.test(
  ON + "status --json is valid JSON for claims holding C1 controls, DEL and lone surrogates",
  async () => {
    const nasty = "a\u009b2J\u007f\ud800b\u202e\u2028c";
    await using issuer = startFakeIssuer({ account: { email: nasty, accountId: "acct_\u0085x" } });
    await using h = await tempHome();
    await saveAuthFile(h.home, issuer.signedInAuth());
    await using cli = spawnCli(["status", "--json", "--codex-home", h.home.path]);
    const { code, stdout } = await cli.done();
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.email, nasty);
    assert.equal(report.account_id, "acct_\u0085x");
    assert.doesNotMatch(
      stdout.trimEnd(),
      // deno-lint-ignore no-control-regex
      /[\u0000-\u001f\u007f-\u009f\u2028\u202e]/,
      "nothing raw on the terminal",
    );
  },
);
