import assert from "node:assert/strict";
import { askForLsof, savedAccounts, savedContext } from "../../lib/cli/saved_context.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { FileCredentialStore } from "../../lib/store/file_store.ts";
import { keyringAccount, KeyringCredentialStore } from "../../lib/store/keyring_store.ts";
import type { CommandSetup } from "../../lib/cli/flags.ts";
import { HttpClient } from "../../lib/issuer/http_client.ts";
import { LoginLog } from "../../lib/store/login_log.ts";

import { accountsHome, memoryKeyring } from "../support/account_docs.ts";

Deno.test("saved context: copies kept where the credentials are; the Codex check on this home", async () => {
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  assert.equal(savedAccounts({ home, store: new FileCredentialStore(home) }).copyStore, "file");
  const keyring = new KeyringCredentialStore(home, await keyringAccount(home), memoryKeyring());
  assert.equal(savedAccounts({ home, store: keyring }).copyStore, "keyring");
  const setup: CommandSetup = {
    home,
    settings: {},
    store: new FileCredentialStore(home),
    trace: new LoginLog(),
    http: new HttpClient(),
    issuer: () => {
      throw new Error("not used");
    },
  };
  const ctx = savedContext(setup);
  assert.equal(ctx.saved.home, home);
  // No terminal here: nothing is asked, and without lsof granted the check says it cannot tell.
  askForLsof();
  const granted = (await Deno.permissions.query({ name: "run", command: "lsof" })).state;
  const seen = await ctx.detect();
  assert.equal(ctx.detect(), ctx.detect(), "lsof runs once a command");
  if (granted !== "granted") assert.equal(seen.state, "unknown");
  else assert.notEqual(seen.state, "running");
});
