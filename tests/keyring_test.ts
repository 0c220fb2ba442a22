/**
 * Keyring storage against a real Secret Service (a private D-Bus bus and gnome-keyring),
 * checked with `secret-tool` the way Codex's keyring-rs reads it. Skipped, with the reason,
 * where the Secret Service packages are missing.
 */
import assert from "node:assert/strict";
import { authFilePath } from "../lib/store/codex_home.ts";
import { openCredentialStore } from "../lib/store/open_store.ts";
import { logout } from "../lib/signin/account.ts";
import { getStatus } from "../lib/signin/status_report.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { IssuerClient } from "../lib/issuer/issuer.ts";
import { KEYRING_SERVICE, keyringAccount } from "../lib/store/keyring_store.ts";
import { startLogin } from "../lib/signin/login_server.ts";
import { refreshAuth } from "../lib/signin/token_refresh.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, tempHome } from "./support/helpers.ts";
import { keyringMissing, startKeyring } from "./support/keyring_session.ts";
import { BASE_PERMISSIONS, loginArgs, ON, spawnCli } from "./support/cli_process.ts";

const missing = await keyringMissing();
if (missing) console.error(`SKIPPED keyring tests: ${missing}`);

// One private Secret Service for this file: the keyring binding keeps its first D-Bus
// connection for the life of the process, so in-process tests share one bus.
const shared = missing ? undefined : await startKeyring();
if (shared) {
  Deno.env.set("DBUS_SESSION_BUS_ADDRESS", shared.env.DBUS_SESSION_BUS_ADDRESS);
  globalThis.addEventListener("unload", () => {
    new Deno.Command("pkill", { args: ["-f", shared.env.DBUS_SESSION_BUS_ADDRESS] }).outputSync();
  });
}

function keyringTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: missing !== undefined, fn });
}

/** The shared session (only called from tests that run when it exists). */
function keyring(): NonNullable<typeof shared> {
  if (!shared) throw new Error("no keyring session");
  return shared;
}

keyringTest("keyring account: cli| + 16 hex of SHA-256 of the canonical codex home", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home);
  await Deno.symlink(h.home, `${h.dir}/link`);
  const canonical = await Deno.realPath(h.home);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)),
  ).toHex();
  assert.equal(await keyringAccount(`${h.dir}/link`), `cli|${digest.slice(0, 16)}`);
});

keyringTest(
  "keyring: a sign-in is stored where Codex reads it; a stale auth.json is removed",
  async () => {
    const kr = keyring();
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-stale-file-0123" });
    const { store } = await openCredentialStore(h.home, { credentialsStore: "keyring" });
    const session = await startLogin({
      codexHome: h.home,
      store,
      issuer: issuer.url,
      apiBase: issuer.url,
      port: 0,
      log: () => {},
      successGraceMs: 50,
    });
    await browse(session.authUrl);
    const result = await session.result;
    assert.match(
      result.authFile,
      /Secret Service keyring \(service "Codex Auth", account "cli\|/,
    );
    const account = await keyringAccount(h.home);
    const secret = await kr.lookup(KEYRING_SERVICE, account);
    assert.ok(secret, "secret-tool finds the entry by service and username");
    const auth = JSON.parse(secret);
    assert.equal(auth.auth_mode, "chatgpt");
    assert.equal(auth.OPENAI_API_KEY, issuer.apiKeys[0]);
    assert.equal(auth.tokens.account_id, "acct_123");
    await assert.rejects(Deno.stat(authFilePath(h.home)), Deno.errors.NotFound, "no auth.json");
    assert.ok((await Deno.stat(`${authFilePath(h.home)}.lock`)).isFile, "the lock stays on disk");
  },
);

keyringTest(
  "keyring: we read what Codex writes; refresh rotates it; logout clears entry and file",
  async () => {
    const kr = keyring();
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await Deno.mkdir(h.home, { mode: 0o700 });
    const account = await keyringAccount(h.home);
    const written = issuer.signedInAuth();
    await kr.storeAsCodex(KEYRING_SERVICE, account, JSON.stringify(written));
    await Deno.writeTextFile(authFilePath(h.home), "{}", { mode: 0o600 });
    const { store } = await openCredentialStore(h.home, { credentialsStore: "keyring" });
    const report = await getStatus(store);
    assert.equal(report.auth_mode, "chatgpt");
    assert.equal(report.email, "person@example.com");
    const client = new IssuerClient({ issuer: issuer.url });
    const fresh = await refreshAuth({ store, client, now: () => new Date() });
    assert.notEqual(fresh.tokens.refresh_token, written.tokens.refresh_token);
    const stored = JSON.parse((await kr.lookup(KEYRING_SERVICE, account))!);
    assert.equal(stored.tokens.refresh_token, fresh.tokens.refresh_token, "rotated in place");
    const out = await logout({ store, client, revoke: true });
    assert.deepEqual(out, { removed: true, revoke: "revoked" });
    assert.equal(await kr.lookup(KEYRING_SERVICE, account), null, "entry cleared");
    assert.equal(await readAuthFile(h.home), undefined, "file cleared");
  },
);

keyringTest("auto: the keyring when it answers, saying so", async () => {
  await using h = await tempHome();
  const chosen = await openCredentialStore(h.home, { credentialsStore: "auto" });
  assert.equal(chosen.store.kind, "keyring");
  assert.match(chosen.note ?? "", /^Using the Secret Service keyring/);
});

Deno.test({
  name: ON + "cli: auto without a reachable keyring uses the file and says so in one line",
  ignore: missing !== undefined,
  async fn() {
    await using h = await tempHome();
    await using cli = spawnCli(
      ["login", "--with-api-key", "--codex-home", h.home, "-c", "cli_auth_credentials_store=auto"],
      {
        stdin: "sk-proj-0123456789abcdefghij\n",
        env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${h.dir}/no-bus` },
        permissions: ["--allow-read", "--allow-write", "--allow-env", "--allow-ffi"],
      },
    );
    const { code, stderr } = await cli.done();
    assert.equal(code, 0, stderr);
    assert.match(stderr, /No keyring answered .*credentials go to .*auth\.json/);
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
      [...loginArgs(issuer.url, h.home), "-c", "cli_auth_credentials_store=keyring"],
      {
        env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${h.dir}/no-bus` },
        permissions: [...BASE_PERMISSIONS, "--allow-ffi"],
      },
    );
    const { code, stderr } = await cli.done();
    assert.equal(code, 1, stderr);
    assert.match(stderr, /the Secret Service keyring cannot be reached .*nothing was written/);
    assert.equal(issuer.requests.length, 0, "refused before anything opened");
    await assert.rejects(Deno.stat(authFilePath(h.home)), Deno.errors.NotFound);
  },
});

Deno.test({
  name: ON + "cli: ephemeral storage is refused with a clear line",
  async fn() {
    await using h = await tempHome();
    await using cli = spawnCli([
      "status",
      "--codex-home",
      h.home,
      "-c",
      "cli_auth_credentials_store=ephemeral",
    ]);
    const { code, stderr } = await cli.done();
    assert.equal(code, 1);
    assert.match(stderr, /"ephemeral" keeps credentials in the memory of one process only/);
  },
});

Deno.test({
  name: ON + "cli: status and login with a keyring through the CLI",
  ignore: missing !== undefined,
  async fn() {
    const kr = keyring();
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    const permissions = [...BASE_PERMISSIONS, "--allow-ffi"];
    await using cli = spawnCli(
      [...loginArgs(issuer.url, h.home), "-c", "cli_auth_credentials_store=keyring"],
      { env: kr.env, permissions },
    );
    await browse(await cli.waitFor(/\/oauth\/authorize\?/));
    const done = await cli.done();
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /Credentials saved to the Secret Service keyring/);
    await using status = spawnCli(
      ["status", "--json", "--codex-home", h.home, "-c", "cli_auth_credentials_store=keyring"],
      { env: kr.env, permissions },
    );
    const report = JSON.parse((await status.done()).stdout);
    assert.equal(report.logged_in, true);
    assert.match(report.auth_file, /Codex Auth/);
  },
});
