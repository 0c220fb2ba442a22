/**
 * Keyring storage through the CLI, against a real Secret Service (a private D-Bus bus and
 * gnome-keyring), and what the CLI says when no keyring answers. Skipped, with the reason,
 * where the Secret Service packages are missing.
 */
import assert from "node:assert/strict";
import { readAuthFile } from "../lib/store/file_store.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, tempHome } from "./support/helpers.ts";
import { keyringMissing, startKeyring } from "./support/keyring_session.ts";
import { loginArgs, ON, spawnCli } from "./support/cli_process.ts";

const missing = await keyringMissing();
if (missing) console.error(`SKIPPED keyring CLI tests: ${missing}`);

Deno.test({
  name: ON + "cli: auto without a reachable keyring uses the file quietly, as Codex does",
  ignore: missing !== undefined,
  async fn() {
    await using h = await tempHome();
    const run = (extra: string[]) =>
      spawnCli(
        [
          "login",
          "--with-api-key",
          "--codex-home",
          h.home.path,
          "-c",
          "cli_auth_credentials_store=auto",
          ...extra,
        ],
        {
          stdin: "sk-proj-0123456789abcdefghij\n",
          env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${h.dir}/no-bus` },
        },
      ).done();
    const { code, stderr } = await run([]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr.trim(), `Saved your API key to ${h.home.path}/auth.json.`);
    const verbose = await run(["--verbose"]);
    assert.equal(verbose.code, 0, verbose.stderr);
    const mentions = verbose.stderr.split("\n").filter((l) => /keyring/.test(l));
    assert.equal(mentions.length, 1, verbose.stderr);
    assert.match(mentions[0], /store kind=file fallback=keyring_unavailable/);
    assert.equal((await readAuthFile(h.home))?.OPENAI_API_KEY, "sk-proj-0123456789abcdefghij");
  },
});

Deno.test({
  name: ON + "cli: keyring with no keyring reachable is a clear error, exit 1, never a silent file",
  ignore: missing !== undefined,
  async fn() {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await using cli = spawnCli(
      [...loginArgs(issuer.url, h.home.path), "-c", "cli_auth_credentials_store=keyring"],
      {
        env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${h.dir}/no-bus` },
      },
    );
    const { code, stderr } = await cli.done();
    assert.equal(code, 1, stderr);
    assert.match(stderr, /the Secret Service keyring cannot be reached .*nothing was written/);
    assert.equal(issuer.requests.length, 0, "refused before anything opened");
    await assert.rejects(Deno.stat(h.home.authFile), Deno.errors.NotFound);
  },
});

Deno.test({
  name: ON + "cli: ephemeral storage is refused with a clear line",
  async fn() {
    await using h = await tempHome();
    await using cli = spawnCli([
      "status",
      "--codex-home",
      h.home.path,
      "-c",
      "cli_auth_credentials_store=ephemeral",
    ]);
    const { code, stderr } = await cli.done();
    assert.equal(code, 2, "a setting codex-login cannot honour is a usage error");
    assert.match(stderr, /"ephemeral" keeps credentials in the memory of one process only/);
  },
});

Deno.test({
  name: ON + "cli: status and login with a keyring through the CLI",
  ignore: missing !== undefined,
  async fn() {
    await using kr = await startKeyring();
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await using cli = spawnCli(
      [...loginArgs(issuer.url, h.home.path), "-c", "cli_auth_credentials_store=keyring"],
      { env: kr.env },
    );
    await browse(await cli.waitFor(/\/oauth\/authorize\?/));
    const done = await cli.done();
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /Credentials saved to the Secret Service keyring/);
    await using status = spawnCli(
      ["status", "--json", "--codex-home", h.home.path, "-c", "cli_auth_credentials_store=keyring"],
      { env: kr.env },
    );
    const report = JSON.parse((await status.done()).stdout);
    assert.equal(report.logged_in, true);
    assert.match(report.auth_file, /Codex Auth/);
  },
});
