import assert from "node:assert/strict";
import { runCli } from "../../../lib/cli/cli.ts";
import { statusCommand } from "../../../lib/cli/commands/status.ts";
import { collectingIo } from "../../support/command_io.ts";
import { startFakeIssuer } from "../../support/fake_issuer.ts";
import { saveSignedIn, signedInFrom, tempHome } from "../../support/helpers.ts";
import { accountKeeper } from "../../../lib/signin/account_keeper.ts";
import { FileCredentialStore } from "../../../lib/store/file_store.ts";
import { SavedAccounts } from "../../../lib/store/saved_accounts.ts";

Deno.test("status: the report on stdout; exit 0 signed in, 1 not; nothing written either way", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const none = collectingIo();
  assert.equal(await statusCommand.run(["--codex-home", h.home.path], { io: none }), 1);
  assert.deepEqual(none.outs, ["Not logged in"]);
  await assert.rejects(Deno.stat(h.home.path), Deno.errors.NotFound, "no home created");
  await saveSignedIn(issuer, h.home);
  const before = [...Deno.readDirSync(h.home.path)].map((e) => e.name).sort();
  const text = collectingIo();
  assert.equal(await statusCommand.run(["--codex-home", h.home.path], { io: text }), 0);
  assert.match(text.outs[0], /^Logged in using ChatGPT\n {2}Email: +person@example\.com/);
  assert.deepEqual(text.lines, [], "nothing on stderr");
  const json = collectingIo();
  assert.equal(await statusCommand.run(["--json", "--codex-home", h.home.path], { io: json }), 0);
  const report = JSON.parse(json.outs[0]);
  assert.equal(report.logged_in, true);
  assert.equal(report.auth_file, h.home.authFile);
  const after = [...Deno.readDirSync(h.home.path)].map((e) => e.name).sort();
  assert.deepEqual(after, before, "status never writes (no log either)");
});

Deno.test("status: credentials that break config.toml's policy are exit 1, flagged in the report", async () => {
  await using issuer = startFakeIssuer({ account: { accountId: "ws-b" } });
  await using h = await tempHome();
  await saveSignedIn(issuer, h.home);
  const io = collectingIo();
  const code = await runCli([
    "status",
    "--json",
    "--codex-home",
    h.home.path,
    "-c",
    'forced_chatgpt_workspace_id="ws-a"',
  ], io);
  assert.equal(code, 1);
  assert.deepEqual(JSON.parse(io.outs[0]).policy_violations, [
    "Login is restricted to workspace(s) ws-a, but current credentials belong to ws-b.",
  ]);
});

Deno.test("status: credentials from the environment are not labelled as the stored account", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  await accountKeeper({ saved: new SavedAccounts(h.home), settings: {}, add: true, label: "work" })
    .save(store, signedInFrom(issuer));
  const args = ["status", "--json", "--codex-home", h.home.path, "--issuer", issuer.url];
  const stored = collectingIo();
  await runCli(args, stored);
  assert.equal(JSON.parse(stored.outs[0]).saved_as, "work", "the stored account is labelled");
  Deno.env.set("CODEX_ACCESS_TOKEN", "at-anything-0123456789");
  try {
    const io = collectingIo();
    await runCli(args, io);
    const report = JSON.parse(io.outs[0]);
    assert.equal(report.source, "environment");
    assert.equal(report.saved_as, undefined, "CODEX_ACCESS_TOKEN is not the saved work");
  } finally {
    Deno.env.delete("CODEX_ACCESS_TOKEN");
  }
});
