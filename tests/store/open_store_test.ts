import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { FileCredentialStore } from "../../lib/store/file_store.ts";
import { keyringName } from "../../lib/store/keyring_store.ts";
import { openCredentialStore } from "../../lib/store/open_store.ts";
import { tempHome } from "../support/helpers.ts";
import { memoryKeyring } from "../support/memory_keyring.ts";

Deno.test("file (the default): auth.json, without asking any keyring", async () => {
  await using h = await tempHome();
  let asked = false;
  const keyring = () => {
    asked = true;
    return Promise.resolve(memoryKeyring());
  };
  for (const credentialsStore of [undefined, "file"] as const) {
    const { store, note } = await openCredentialStore(h.home, { credentialsStore }, keyring);
    assert.ok(store instanceof FileCredentialStore);
    assert.equal(store.describe(), h.home.authFile);
    assert.equal(note, undefined);
  }
  assert.equal(asked, false);
});

Deno.test("ephemeral is refused as a usage error (exit 2): it could never reach Codex", async () => {
  await using h = await tempHome();
  const err = await openCredentialStore(h.home, { credentialsStore: "ephemeral" }).catch((e) => e);
  assert.ok(err instanceof LoginError, String(err));
  assert.equal(err.kind, "usage");
  assert.equal(err.exitCode, 2);
  assert.match(err.what, /"ephemeral" keeps credentials in the memory of one process only/);
  assert.match(err.next ?? "", /-c cli_auth_credentials_store=file/);
});

Deno.test("keyring: the keyring's entry when it answers; an unreachable one is an error, never a file", async () => {
  await using h = await tempHome();
  const up = await openCredentialStore(
    h.home,
    { credentialsStore: "keyring" },
    () => Promise.resolve(memoryKeyring()),
  );
  assert.equal(up.store.kind, "keyring");
  assert.equal(up.note, undefined);
  const err = await openCredentialStore(
    h.home,
    { credentialsStore: "keyring" },
    () => Promise.resolve(memoryKeyring(true)),
  ).catch((e) => e);
  assert.ok(err instanceof LoginError && err.kind === "keyring_unavailable", String(err));
  await assert.rejects(Deno.stat(h.home.path), Deno.errors.NotFound, "nothing was written");
});

Deno.test("auto: the keyring when it answers, else the file, saying which in one line", async () => {
  await using h = await tempHome();
  const up = await openCredentialStore(
    h.home,
    { credentialsStore: "auto" },
    () => Promise.resolve(memoryKeyring()),
  );
  assert.equal(up.store.kind, "keyring");
  assert.match(
    up.note ?? "",
    /^Using the test keyring \(service "Codex Auth".*\(cli_auth_credentials_store = "auto"\)\.$/,
  );
  const down = await openCredentialStore(
    h.home,
    { credentialsStore: "auto" },
    () => Promise.resolve(memoryKeyring(true)),
  );
  assert.equal(down.store.kind, "file");
  assert.equal(
    down.note,
    `No keyring answered (${keyringName()} cannot be reached), so credentials go to ${h.home.authFile} (cli_auth_credentials_store = "auto").`,
  );
  const unloadable = await openCredentialStore(
    h.home,
    { credentialsStore: "auto" },
    () =>
      Promise.reject(
        new LoginError("permission", { what: "codex-login needs the ffi permission." }),
      ),
  );
  assert.equal(unloadable.store.kind, "file");
  assert.match(
    unloadable.note ?? "",
    /^No keyring answered \(.* cannot be used here\), so credentials go to /,
  );
});
