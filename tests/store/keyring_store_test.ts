/**
 * Keyring storage against a real Secret Service (a private D-Bus bus and gnome-keyring),
 * checked with `secret-tool` the way Codex's keyring-rs reads it. Skipped, with the reason,
 * where the Secret Service packages are missing.
 */
import assert from "node:assert/strict";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { openCredentialStore } from "../../lib/store/open_store.ts";
import { logout } from "../../lib/signin/account.ts";
import { getStatus } from "../../lib/signin/status_report.ts";
import { readAuthFile, saveAuthFile } from "../../lib/store/file_store.ts";
import { resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import {
  KEYRING_SERVICE,
  keyringAccount,
  KeyringCredentialStore,
  keyringName,
  keyringRefusal,
  keyringUnavailable,
} from "../../lib/store/keyring_store.ts";
import { memoryKeyring } from "../support/memory_keyring.ts";
import { LoginError } from "../../lib/base/errors.ts";
import { startLogin } from "../../lib/signin/login_server.ts";
import { refreshAuth } from "../../lib/signin/token_refresh.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { browse, issuerClient, tempHome } from "../support/helpers.ts";
import { keyringMissing, startKeyring } from "../support/keyring_session.ts";

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
  await Deno.mkdir(h.home.path);
  await Deno.symlink(h.home.path, `${h.dir}/link`);
  const canonical = await Deno.realPath(h.home.path);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)),
  ).toHex();
  assert.equal(await keyringAccount(new CodexHome(`${h.dir}/link`)), `cli|${digest.slice(0, 16)}`);
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
      home: h.home,
      store,
      endpoints: resolveIssuer({ issuer: issuer.url, apiBase: issuer.url }),
      port: 0,
    }, { successGraceMs: 50 });
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
    await assert.rejects(Deno.stat(h.home.authFile), Deno.errors.NotFound, "no auth.json");
    assert.ok((await Deno.stat(h.home.authFileLock)).isFile, "the lock stays on disk");
  },
);

keyringTest(
  "keyring: we read what Codex writes; refresh rotates it; logout clears entry and file",
  async () => {
    const kr = keyring();
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await Deno.mkdir(h.home.path, { mode: 0o700 });
    const account = await keyringAccount(h.home);
    const written = issuer.signedInAuth();
    await kr.storeAsCodex(KEYRING_SERVICE, account, JSON.stringify(written));
    await Deno.writeTextFile(h.home.authFile, "{}", { mode: 0o600 });
    const { store } = await openCredentialStore(h.home, { credentialsStore: "keyring" });
    const report = await getStatus(store);
    assert.equal(report.auth_mode, "chatgpt");
    assert.equal(report.email, "person@example.com");
    const client = issuerClient(issuer.url);
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

keyringTest("auto: the keyring when it answers (quietly, as Codex)", async () => {
  await using h = await tempHome();
  const chosen = await openCredentialStore(h.home, { credentialsStore: "auto" });
  assert.equal(chosen.store.kind, "keyring");
  assert.equal(chosen.fallback, undefined);
});

Deno.test("keyring store: one entry under Codex's service and account; saving removes a stale auth.json", async () => {
  await using h = await tempHome();
  await saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-stale-file-0123" });
  const backend = memoryKeyring();
  const account = await keyringAccount(h.home);
  const store = new KeyringCredentialStore(h.home, account, backend);
  assert.equal(store.kind, "keyring");
  assert.equal(store.describe(), `the test keyring (service "Codex Auth", account "${account}")`);
  await store.save({ auth_mode: "apikey", OPENAI_API_KEY: "sk-in-the-keyring-0123" });
  assert.deepEqual([...backend.entries.keys()], [`Codex Auth/${account}`]);
  assert.deepEqual(JSON.parse(backend.entries.get(`Codex Auth/${account}`)!), {
    auth_mode: "apikey",
    OPENAI_API_KEY: "sk-in-the-keyring-0123",
  });
  await assert.rejects(Deno.stat(h.home.authFile), Deno.errors.NotFound, "stale file removed");
  assert.equal((await store.load())?.OPENAI_API_KEY, "sk-in-the-keyring-0123");
  assert.equal(await store.remove(), true);
  assert.equal(backend.entries.size, 0);
  assert.equal(await store.remove(), false, "nothing left");
});

Deno.test("keyring store: an unusable entry names the keyring entry; the OS keyring's name per OS", async () => {
  await using h = await tempHome();
  const backend = memoryKeyring();
  const account = await keyringAccount(h.home);
  backend.entries.set(`Codex Auth/${account}`, "{ not json");
  const store = new KeyringCredentialStore(h.home, account, backend);
  await assert.rejects(store.load(), /the test keyring \(service "Codex Auth".*is not valid JSON/);
  assert.equal(keyringName("darwin"), "the macOS Keychain");
  assert.equal(keyringName("windows"), "the Windows Credential Manager");
  assert.equal(keyringName("linux"), "the Secret Service keyring");
  const err = keyringUnavailable("the Secret Service keyring", "no D-Bus session");
  assert.equal(err.kind, "keyring_unavailable");
  assert.match(
    err.message,
    /cannot be reached \(no D-Bus session\).*cli_auth_credentials_store = "file"/,
  );
});

// On Windows Codex keeps "keyring" credentials in its own encrypted storage, so codex-login
// refuses `keyring` in one line naming the fix, and `auto` uses auth.json (which Codex falls back
// to). Windows itself cannot run here: the refusal is fed to the store choice as the OS keyring
// throws it there.
const windowsKeyring = () => Promise.reject(keyringRefusal("windows"));

Deno.test("keyring on Windows: refused in one line that names the fix, exit 1", async () => {
  const home = new CodexHome(await Deno.makeTempDir());
  const err = await openCredentialStore(home, { credentialsStore: "keyring" }, windowsKeyring)
    .then(() => undefined, (e) => e);
  assert.ok(err instanceof LoginError, String(err));
  assert.equal(err.exitCode, 1);
  assert.equal(err.code, "keyring_unavailable.windows");
  assert.equal(err.message.split("\n").length, 1);
  assert.match(err.message, /^On Windows, Codex keeps keyring credentials in its own encrypted/);
  assert.match(err.message, /Set cli_auth_credentials_store = "file"/);
  await Deno.remove(home.path, { recursive: true });
});

Deno.test("keyring on Windows: auto uses auth.json, quietly (the log gets the reason)", async () => {
  const home = new CodexHome(await Deno.makeTempDir());
  const choice = await openCredentialStore(home, { credentialsStore: "auto" }, windowsKeyring);
  assert.equal(choice.store.kind, "file");
  assert.equal(choice.fallback, "keyring_unavailable.windows");
  await Deno.remove(home.path, { recursive: true });
});

Deno.test("keyring elsewhere: no refusal on Linux and macOS", () => {
  assert.equal(keyringRefusal("linux"), undefined);
  assert.equal(keyringRefusal("darwin"), undefined);
});
