/**
 * The login log through the CLI: every step of a real sign-in with endpoints, statuses and
 * durations, no secret of the run in it, `Details:` after a failure, `--verbose` mirroring it.
 */
import assert from "node:assert/strict";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { readAuthFile } from "../lib/store/file_store.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, tempHome } from "./support/helpers.ts";
import { loginArgs, ON, spawnCli } from "./support/cli_process.ts";

Deno.test(
  ON + "log: a sign-in's steps with endpoints, statuses and durations, and no secret",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await using cli = spawnCli(loginArgs(issuer.url, h.home.path));
    const url = await cli.waitFor(/\/oauth\/authorize\?/);
    const authorize = await fetch(url, { redirect: "manual" });
    await authorize.body?.cancel();
    const callback = new URL(authorize.headers.get("location")!);
    // The cancel secret is written just after the URL is printed: wait for it.
    let cancelSecret = "";
    for (let i = 0; i < 100 && !cancelSecret; i++) {
      const file = [...Deno.readDirSync(h.home.path)].find((e) => e.name.endsWith(".secret"));
      if (file) cancelSecret = await Deno.readTextFile(`${h.home}/${file.name}`).catch(() => "");
      if (!cancelSecret) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(cancelSecret.length >= 40, "read the cancel secret");
    await browse(callback.href);
    const { code } = await cli.done();
    assert.equal(code, 0);
    const log = await Deno.readTextFile(h.home.logFile);
    for (
      const step of ["command", "login_start", "callback", "saved", "api_key", "login_end", "exit"]
    ) {
      assert.match(log, new RegExp(` ${step}( |$)`, "m"), `step ${step}`);
    }
    assert.match(log, new RegExp(`http endpoint=${issuer.url}/oauth/token status=200 ms=\\d+`));
    const auth = (await readAuthFile(h.home)) as ChatGptAuth;
    const secrets = {
      code: callback.searchParams.get("code")!,
      state: callback.searchParams.get("state")!,
      cancelSecret,
      id_token: auth.tokens.id_token,
      access_token: auth.tokens.access_token,
      refresh_token: auth.tokens.refresh_token,
      api_key: auth.OPENAI_API_KEY!,
    };
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(!log.includes(value), `${name} is in the log`);
    }
    assert.equal((await Deno.stat(h.home.logFile)).mode! & 0o777, 0o600);
  },
);

Deno.test(
  ON + "log: a failed sign-in ends with Details: <path>; --verbose mirrors the log",
  async () => {
    await using issuer = startFakeIssuer({ authorize: "access_denied" });
    await using h = await tempHome();
    await using cli = spawnCli([...loginArgs(issuer.url, h.home.path), "--verbose"]);
    await browse(await cli.waitFor(/\/oauth\/authorize\?/));
    const { code, stderr } = await cli.done();
    assert.equal(code, 1);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.at(-1), `Details: ${h.home.logFile}`);
    assert.match(stderr, /^\[log\] \S+ login_start port=\d+/m);
    assert.match(await Deno.readTextFile(h.home.logFile), / exit code=1 error=access_denied/);
  },
);

Deno.test(
  ON + "login log: a group-writable or foreign log directory is refused with the fix",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await Deno.mkdir(h.home.logDir, { recursive: true, mode: 0o700 });
    await Deno.chmod(h.home.path, 0o700);
    await Deno.chmod(h.home.logDir, 0o777);
    await using cli = spawnCli(loginArgs(issuer.url, h.home.path));
    const { code, stderr } = await cli.done();
    assert.equal(code, 1);
    assert.match(stderr, /log is writable by group or others.*chmod 700 .*\/log/);
    assert.equal(issuer.requests.length, 0);
  },
);
