import assert from "node:assert/strict";
import { runCli } from "../../../lib/cli/cli.ts";
import { tokenCommand } from "../../../lib/cli/commands/token.ts";
import { saveAuthFile } from "../../../lib/store/file_store.ts";
import { collectingIo } from "../../support/command_io.ts";
import { startFakeIssuer } from "../../support/fake_issuer.ts";
import { saveSignedIn, tempHome } from "../../support/helpers.ts";

Deno.test("token: only the token on stdout, as it is; --json adds what a script needs", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const auth = await saveSignedIn(issuer, h.home);
  const args = ["--issuer", issuer.url, "--codex-home", h.home.path];
  const plain = collectingIo();
  assert.equal(await tokenCommand.run(args, { io: plain }), 0);
  assert.deepEqual(plain.outs, [auth.tokens.access_token]);
  assert.deepEqual(plain.lines, []);
  const json = collectingIo();
  assert.equal(await tokenCommand.run(["--json", ...args], { io: json }), 0);
  const facts = JSON.parse(json.outs[0]);
  assert.equal(facts.token, auth.tokens.access_token);
  assert.equal(facts.kind, "access_token");
  assert.equal(facts.auth_mode, "chatgpt");
  assert.equal(facts.refreshed, false);
  assert.equal(facts.account_id, "acct_123");
  assert.match(facts.expires_at, /^\d{4}-\d\d-\d\dT/);
  assert.equal(issuer.tokenRequests("refresh_token").length, 0);
});

Deno.test("token: a key that looks like a URL with credentials is printed whole (stdout is data)", async () => {
  await using h = await tempHome();
  const key = "https://user:pass@gateway.example/key";
  await saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: key });
  const io = collectingIo();
  assert.equal(await runCli(["token", "--codex-home", h.home.path], io), 0);
  assert.deepEqual(io.outs, [key]);
});

Deno.test("token: not logged in is exit 1 with nothing on stdout", async () => {
  await using h = await tempHome();
  const io = collectingIo();
  assert.equal(await runCli(["token", "--codex-home", h.home.path], io), 1);
  assert.deepEqual(io.outs, []);
  assert.match(io.lines[0], /^Error: Not logged in\. Sign in with `.* login` first\.$/);
});
