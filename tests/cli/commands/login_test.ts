/**
 * `codex-login login`, in-process: the browser sign-in's lines and `--quiet`, the device code
 * without its countdown under `--quiet`, API keys and access tokens read from stdin, and the
 * refusals that come before anything opens.
 */
import assert from "node:assert/strict";
import { runCli } from "../../../lib/cli/cli.ts";
import { loginCommand } from "../../../lib/cli/commands/login.ts";
import { readAuthFile } from "../../../lib/store/file_store.ts";
import { collectingIo } from "../../support/command_io.ts";
import { startFakeIssuer } from "../../support/fake_issuer.ts";
import { browse, tempHome } from "../../support/helpers.ts";

const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/;

/** Poll `lines` until one matches `re` (at most 10 s). */
async function lineMatching(lines: string[], re: RegExp): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const line = lines.find((l) => re.test(l));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no line matched ${re}: ${lines.join("\n")}`);
}

Deno.test("login: the browser sign-in's lines, the URL alone, then who is signed in and where", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const io = collectingIo();
  const args = ["--issuer", issuer.url, "--codex-home", h.home.path, "--port", "0", "--no-browser"];
  const code = loginCommand.run(args, { io });
  const url = await lineMatching(io.lines, URL_LINE);
  await browse(url);
  assert.equal(await code, 0, io.text());
  const at = io.lines.indexOf(url);
  assert.deepEqual([io.lines[at - 1], io.lines[at + 1]], ["", ""], "the URL stands alone");
  assert.match(io.lines[0], /^Starting local login server on http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(io.lines.includes("Open this URL in a browser to sign in:"));
  assert.match(io.text(), /On a remote machine .*\n.*--paste/);
  assert.equal(
    io.lines.at(-1),
    `Successfully logged in as person@example.com. Credentials saved to ${h.home.authFile}.`,
  );
  assert.deepEqual(io.outs, [], "nothing on stdout");
  assert.equal((await readAuthFile(h.home))?.auth_mode, "chatgpt");
});

Deno.test("login --quiet: only the URL to open, nothing else", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const io = collectingIo();
  const code = loginCommand.run([
    "--issuer",
    issuer.url,
    "--codex-home",
    h.home.path,
    "--port",
    "0",
    "--no-browser",
    "--quiet",
  ], { io });
  await browse(await lineMatching(io.lines, URL_LINE));
  assert.equal(await code, 0, io.text());
  const shown = io.lines.filter((l) => l.trim());
  assert.equal(shown.length, 1, io.text());
  assert.match(shown[0], URL_LINE);
});

Deno.test("login --device-auth: the code and a countdown line a minute; --quiet: the code alone", async () => {
  await using issuer = startFakeIssuer({ deviceInterval: "0.1" });
  await using h = await tempHome();
  const args = ["--device-auth", "--issuer", issuer.url, "--codex-home", h.home.path];
  const loud = collectingIo();
  assert.equal(await loginCommand.run(args, { io: loud }), 0, loud.text());
  assert.match(loud.text(), /and enter this one-time code:\n\n {4}ABCD-2345\n/);
  assert.match(loud.text(), /^Waiting for the code to be entered \(1[45]:\d\d left\)\.$/m);
  assert.match(loud.lines.at(-1) ?? "", /^Successfully logged in as person@example\.com\./);
  await using h2 = await tempHome();
  const quiet = collectingIo();
  const quietArgs = ["--device-auth", "--issuer", issuer.url, "--codex-home", h2.home.path, "-q"];
  assert.equal(await loginCommand.run(quietArgs, { io: quiet }), 0, quiet.text());
  assert.equal(quiet.lines.length, 1, quiet.text());
  assert.match(quiet.lines[0], /^To sign in, open this page .*ABCD-2345.*someone else sent you/s);
  assert.doesNotMatch(quiet.text(), /Waiting for the code|left\)/, "no countdown under --quiet");
});

Deno.test("login --with-api-key: read from stdin, saved, never echoed; --quiet says nothing", async () => {
  await using h = await tempHome();
  const key = "sk-proj-pipedkey0123456789abcdef";
  const io = collectingIo(`${key}\n`);
  assert.equal(await loginCommand.run(["--with-api-key", "--codex-home", h.home.path], { io }), 0);
  assert.deepEqual(io.lines, [`Saved your API key to ${h.home.authFile}.`]);
  assert.ok(!io.text().includes(key));
  assert.deepEqual(await readAuthFile(h.home), { auth_mode: "apikey", OPENAI_API_KEY: key });
  const quiet = collectingIo(`${key}\n`);
  await loginCommand.run(["--with-api-key", "--codex-home", h.home.path, "--quiet"], {
    io: quiet,
  });
  assert.deepEqual(quiet.lines, []);
});

Deno.test("login --with-access-token: checked with the issuer, then saved, naming the account", async () => {
  await using issuer = startFakeIssuer();
  issuer.accessTokens.add("at-valid-token-0123456789");
  await using h = await tempHome();
  const io = collectingIo("at-valid-token-0123456789\n");
  const args = ["--with-access-token", "--issuer", issuer.url, "--codex-home", h.home.path];
  assert.equal(await loginCommand.run(args, { io }), 0, io.text());
  assert.deepEqual(io.lines, [
    `Saved your personal access token (person@example.com) to ${h.home.authFile}.`,
  ]);
});

Deno.test("login: two ways at once, or a way config.toml forbids, are refused before anything opens", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const both = collectingIo();
  assert.equal(await runCli(["login", "--device-auth", "--with-api-key"], both), 2);
  assert.match(both.text(), /^Error: --with-api-key and --device-auth cannot be used together\./);
  const forbidden = collectingIo();
  const code = await runCli([
    "login",
    "--issuer",
    issuer.url,
    "--codex-home",
    h.home.path,
    "-c",
    "forced_login_method=api",
  ], forbidden);
  assert.equal(code, 1);
  assert.match(forbidden.text(), /^Error: ChatGPT login is disabled\. Use API key login instead\./);
  assert.equal(issuer.requests.length, 0);
});
