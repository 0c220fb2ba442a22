import assert from "node:assert/strict";
import { runCli } from "../../../lib/cli/cli.ts";
import { refreshCommand } from "../../../lib/cli/commands/refresh.ts";
import { accountClaims } from "../../../lib/issuer/jwt.ts";
import { readAuthFile } from "../../../lib/store/file_store.ts";
import { collectingIo } from "../../support/command_io.ts";
import { startFakeIssuer } from "../../support/fake_issuer.ts";
import { saveSignedIn, tempHome } from "../../support/helpers.ts";

Deno.test("refresh: new tokens saved in place, and when the new ID token expires", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const before = await saveSignedIn(issuer, h.home);
  const io = collectingIo();
  const args = ["--issuer", issuer.url, "--codex-home", h.home.path];
  assert.equal(await refreshCommand.run(args, { io }), 0, io.text());
  const after = await readAuthFile(h.home);
  assert.ok(after?.auth_mode === "chatgpt");
  assert.notEqual(after.tokens.refresh_token, before.tokens.refresh_token);
  const expires = accountClaims(after.tokens.id_token).expiresAt?.toISOString();
  assert.deepEqual(io.lines, [
    `Refreshed the tokens in ${h.home.authFile}; the ID token now expires ${expires}.`,
  ]);
  const quiet = collectingIo();
  assert.equal(await refreshCommand.run([...args, "-q"], { io: quiet }), 0);
  assert.deepEqual(quiet.lines, []);
});

Deno.test("refresh: an ended session is exit 1, saying to sign in again and that nothing changed", async () => {
  await using issuer = startFakeIssuer({ refresh: "invalid_grant" });
  await using h = await tempHome();
  await saveSignedIn(issuer, h.home);
  const io = collectingIo();
  const code = await runCli(["refresh", "--issuer", issuer.url, "--codex-home", h.home.path], io);
  assert.equal(code, 1);
  assert.match(
    io.lines[0],
    /^Error: Your session has ended \(the issuer no longer accepts your refresh token\): sign in again with `.* login`\. .*auth\.json was left unchanged\.$/,
  );
  assert.equal(io.lines[1], `Details: ${h.home.logFile}`);
});
