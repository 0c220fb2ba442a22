import assert from "node:assert/strict";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { signedInFrom, tempHome } from "./support/helpers.ts";
import { HAVE_SCRIPT, INSTALLED, ON, runInTerminal, spawnCli } from "./support/cli_process.ts";

Deno.test(ON + "cli status: exit 0 and JSON facts when logged in, exit 1 when not", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await using none = spawnCli(["status", "--codex-home", h.home.path]);
  const a = await none.done();
  assert.equal(a.code, 1);
  assert.equal(a.stdout.trim(), "Not logged in");
  const t = issuer.issueTokens();
  await saveAuthFile(h.home, {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    tokens: { ...t, account_id: "acct_123" },
    last_refresh: "2026-11-20T00:00:00.000Z",
  });
  await using json = spawnCli(["status", "--json", "--codex-home", h.home.path]);
  const b = await json.done();
  assert.equal(b.code, 0, b.stderr);
  const report = JSON.parse(b.stdout);
  assert.equal(report.auth_mode, "chatgpt");
  assert.equal(report.email, "person@example.com");
  assert.ok(!b.stdout.includes(t.refresh_token) && !b.stdout.includes(t.id_token));
});

Deno.test(
  ON + "cli status: corrupt auth.json is exit 1 with the path, no stack trace",
  async () => {
    await using h = await tempHome();
    await Deno.mkdir(h.home.path);
    await Deno.writeTextFile(h.home.authFile, "[1,2");
    await using cli = spawnCli(["status", "--codex-home", h.home.path]);
    const { code, stderr } = await cli.done();
    assert.equal(code, 1);
    assert.equal(stderr.trim().split("\n").length, 1);
    assert.ok(stderr.includes(h.home.authFile));
    assert.equal(await Deno.readTextFile(h.home.authFile), "[1,2");
  },
);

Deno.test(ON + "cli logout: revokes, removes, says so; not logged in exits 0", async () => {
  await using issuer = startFakeIssuer({ revoke: "500" });
  await using h = await tempHome();
  await saveAuthFile(h.home, issuer.signedInAuth());
  await using cli = spawnCli(["logout", "--issuer", issuer.url, "--codex-home", h.home.path]);
  const a = await cli.done();
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /Warning: Could not revoke the refresh token.*500/);
  assert.match(a.stderr, /Logged out: removed/);
  assert.equal(await readAuthFile(h.home), undefined);
  await using again = spawnCli(["logout", "--issuer", issuer.url, "--codex-home", h.home.path]);
  const b = await again.done();
  assert.equal(b.code, 0);
  assert.match(b.stderr, /Not logged in/);
});

Deno.test(ON + "cli refresh: invalid_grant exits 1 telling to sign in again", async () => {
  await using issuer = startFakeIssuer({ refresh: "invalid_grant" });
  await using h = await tempHome();
  await saveAuthFile(h.home, issuer.signedInAuth());
  await using cli = spawnCli(["refresh", "--issuer", issuer.url, "--codex-home", h.home.path]);
  const { code, stderr } = await cli.done();
  assert.equal(code, 1);
  // In the words of how it was started.
  assert.match(
    stderr,
    INSTALLED
      ? /sign in again with `codex-login login`/
      : /sign in again with `deno run [^`]* login`/,
  );
});

Deno.test(
  ON + "cli refresh: two processes at once never lose the rotated refresh token",
  async () => {
    await using issuer = startFakeIssuer({ tokenDelayMs: 150 });
    await using h = await tempHome();
    await saveAuthFile(h.home, {
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: { ...issuer.issueTokens(), account_id: "" },
      last_refresh: "",
    });
    const args = ["refresh", "--issuer", issuer.url, "--codex-home", h.home.path];
    await using one = spawnCli(args);
    await using two = spawnCli(args);
    const [a, b] = await Promise.all([one.done(), two.done()]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const refreshes = issuer.tokenRequests("refresh_token");
    assert.equal(refreshes.length, 2);
    assert.notEqual(
      refreshes[0].params.refresh_token,
      refreshes[1].params.refresh_token,
      "no reuse",
    );
    const auth = (await readAuthFile(h.home)) as ChatGptAuth;
    assert.equal(issuer.refreshTokens.get(auth.tokens.refresh_token), true, "stored token is live");
  },
);

Deno.test(
  ON + "cli login --with-api-key from a pipe: saved, never echoed; bad input exit 1",
  async () => {
    await using h = await tempHome();
    const key = "sk-proj-pipedkey0123456789abcdef";
    await using ok = spawnCli(["login", "--with-api-key", "--codex-home", h.home.path], {
      stdin: `${key}\n`,
    });
    const a = await ok.done();
    assert.equal(a.code, 0, a.stderr);
    assert.ok(!a.stderr.includes(key) && !a.stdout.includes(key));
    assert.deepEqual(await readAuthFile(h.home), { auth_mode: "apikey", OPENAI_API_KEY: key });
    await using bad = spawnCli(["login", "--with-api-key", "--codex-home", h.home.path], {
      stdin: "\n",
    });
    const b = await bad.done();
    assert.equal(b.code, 1);
    assert.match(b.stderr, /No API key was given/);
    assert.equal((await readAuthFile(h.home))?.OPENAI_API_KEY, key);
  },
);

Deno.test({
  name: ON + "cli login --with-api-key on a terminal: prompts with echo off",
  ignore: !HAVE_SCRIPT,
  async fn() {
    await using h = await tempHome();
    const key = "sk-proj-typedkey0123456789abcdef";
    const { code, screen } = await runInTerminal(
      ["login", "--with-api-key", "--codex-home", h.home.path],
      { input: `${key}\r` },
    );
    assert.equal(code, 0, screen);
    assert.match(screen, /Paste your OpenAI API key \(input is hidden\)/);
    assert.ok(!screen.includes(key), `the key was echoed: ${screen}`);
    assert.equal((await readAuthFile(h.home))?.OPENAI_API_KEY, key);
  },
});

Deno.test(ON + "status: a very long claim is cut on the terminal", async () => {
  await using issuer = startFakeIssuer({ account: { email: `${"x".repeat(5000)}@example.com` } });
  await using h = await tempHome();
  await saveAuthFile(h.home, issuer.signedInAuth());
  await using cli = spawnCli(["status", "--codex-home", h.home.path]);
  const { stdout } = await cli.done();
  const line = stdout.split("\n").find((l) => l.includes("Email:"))!;
  assert.ok(line.length < 200, `${line.length} characters`);
  assert.ok(line.endsWith("…"));
});

Deno.test(
  ON +
    "cli refresh: a session from an issuer no option names says how to reach it, not 'try again'",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await saveAuthFile(h.home, signedInFrom(issuer));
    const before = await Deno.readTextFile(h.home.authFile);
    // No --issuer: the command is granted the default issuer, not the session's own.
    await using cli = spawnCli(["refresh", "--codex-home", h.home.path]);
    const { code, stderr } = await cli.done();
    assert.notEqual(code, 0);
    assert.match(stderr, /network access to 127\.0\.0\.1:\d+ was not granted/);
    assert.match(stderr, INSTALLED ? /naming 127\.0\.0\.1:\d+, e\.g\. --issuer/ : /--allow-net=/);
    assert.doesNotMatch(stderr, /usually brief|Check your connection/, stderr);
    assert.equal(await Deno.readTextFile(h.home.authFile), before, "auth.json unchanged");
    assert.equal(issuer.tokenRequests("refresh_token").length, 0);
  },
);
