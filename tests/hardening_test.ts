/**
 * Hardening III, in-process and through the CLI: a failed save revokes what it was issued,
 * the codex home is checked before anything opens, the login log never follows links,
 * `status --json` stays valid JSON for any claim, `--platform-url` follows the issuer's rule,
 * `--timeout` is bounded, non-regular files are refused unread, NO_PROXY reads IPv6 and CIDR.
 */
import assert from "node:assert/strict";
import { startLogin } from "../lib/signin/login_server.ts";
import { LoginError } from "../lib/base/errors.ts";
import { loadSettings } from "../lib/store/config.ts";
import { authFilePath, configPath, logDirPath, logFilePath } from "../lib/store/codex_home.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { LoginLog } from "../lib/store/login_log.ts";
import { loadCaCerts, proxyFor } from "../lib/issuer/network.ts";
import { resolveIssuer } from "../lib/issuer/issuer_config.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, tempHome } from "./support/helpers.ts";
import { loginArgs, spawnCli } from "./support/cli_process.ts";

Deno.test("the codex home is checked before anything opens: not a directory, not writable", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await Deno.writeTextFile(h.home, "a file where the codex home should be");
  await using asFile = spawnCli(loginArgs(issuer.url, h.home));
  const file = await asFile.done();
  assert.equal(file.code, 1);
  assert.match(
    file.stderr,
    new RegExp(`Cannot keep your credentials in ${h.home}: it is not a directory`),
  );
  assert.doesNotMatch(file.stderr, /oauth\/authorize/, "no sign-in URL was printed");
  assert.equal(issuer.requests.length, 0);
  await Deno.remove(h.home);
});

Deno.test({
  name: "the codex home is checked before anything opens: a home we cannot write (as uid 65534)",
  // uid 65534 must be able to run this Deno on this checkout (not so under a 0700 home).
  ignore: !(await new Deno.Command("setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "sh",
      "-c",
      '"$0" --version >/dev/null && test -r "$1"',
      Deno.execPath(),
      new URL("../main.ts", import.meta.url).pathname,
    ],
    stdout: "null",
    stderr: "null",
  }).output().then((o) => o.success, () => false)),
  async fn() {
    await using h = await tempHome();
    await Deno.chmod(h.dir, 0o755);
    await Deno.mkdir(h.home, { mode: 0o755 }); // root's: uid 65534 may look, not write
    const deno = Deno.execPath();
    const out = await new Deno.Command("setpriv", {
      args: [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        deno,
        "run",
        "--quiet",
        "--allow-all",
        new URL("../main.ts", import.meta.url).pathname,
        "login",
        "--codex-home",
        h.home,
        "--issuer",
        "http://127.0.0.1:9",
        "--no-browser",
      ],
      env: { DENO_DIR: `${h.dir}/deno`, HOME: h.dir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /it is not writable by you/);
    assert.doesNotMatch(stderr, /oauth\/authorize/);
  },
});

Deno.test("login log: a group-writable or foreign log directory is refused with the fix", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await Deno.mkdir(logDirPath(h.home), { recursive: true, mode: 0o700 });
  await Deno.chmod(h.home, 0o700);
  await Deno.chmod(logDirPath(h.home), 0o777);
  await using cli = spawnCli(loginArgs(issuer.url, h.home));
  const { code, stderr } = await cli.done();
  assert.equal(code, 1);
  assert.match(stderr, /log is writable by group or others.*chmod 700 .*\/log/);
  assert.equal(issuer.requests.length, 0);
});

Deno.test("status --json is valid JSON for claims holding C1 controls, DEL and lone surrogates", async () => {
  const nasty = "a\u009b2J\u007f\ud800b\u202e\u2028c";
  await using issuer = startFakeIssuer({ account: { email: nasty, accountId: "acct_\u0085x" } });
  await using h = await tempHome();
  await saveAuthFile(h.home, issuer.signedInAuth());
  await using cli = spawnCli(["status", "--json", "--codex-home", h.home]);
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
});

Deno.test("status: a very long claim is cut on the terminal", async () => {
  await using issuer = startFakeIssuer({ account: { email: `${"x".repeat(5000)}@example.com` } });
  await using h = await tempHome();
  await saveAuthFile(h.home, issuer.signedInAuth());
  await using cli = spawnCli(["status", "--codex-home", h.home]);
  const { stdout } = await cli.done();
  const line = stdout.split("\n").find((l) => l.includes("Email:"))!;
  assert.ok(line.length < 200, `${line.length} characters`);
  assert.ok(line.endsWith("…"));
});

Deno.test("--platform-url over plain http is a usage error on the command line (exit 2)", async () => {
  await using h = await tempHome();
  await using cli = spawnCli([
    "login",
    "--codex-home",
    h.home,
    "--platform-url",
    "http://p.example",
  ]);
  const { code, stderr } = await cli.done();
  assert.equal(code, 2);
  assert.match(stderr, /platform URL http:\/\/p\.example is plain http/);
});

Deno.test("--timeout past 24 hours is a usage error (no timer overflow)", async () => {
  await using h = await tempHome();
  await using cli = spawnCli(["login", "--codex-home", h.home, "--timeout", "2147484"]);
  const { code, stderr } = await cli.done();
  assert.equal(code, 2);
  assert.match(stderr, /--timeout must be a whole number from 0 to 86400/);
});
