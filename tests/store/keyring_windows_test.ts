/**
 * The keyring on Windows (lib/store/keyring_store.ts `keyringRefusal`): Codex keeps "keyring"
 * credentials there in its own encrypted storage, so codex-login refuses `keyring` in one line
 * naming the fix, and `auto` uses auth.json (which Codex falls back to). Windows itself cannot
 * run here: the refusal the OS keyring throws on Windows is fed to the store choice as the OS
 * keyring would throw it.
 */

import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { keyringRefusal } from "../../lib/store/keyring_store.ts";
import { openCredentialStore } from "../../lib/store/open_store.ts";

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
