import assert from "node:assert/strict";
import { runCli } from "../../../lib/cli/cli.ts";
import { logoutCommand } from "../../../lib/cli/commands/logout.ts";
import { readAuthFile } from "../../../lib/store/file_store.ts";
import { collectingIo } from "../../support/command_io.ts";
import { startFakeIssuer } from "../../support/fake_issuer.ts";
import { saveSignedIn, tempHome } from "../../support/helpers.ts";

Deno.test("logout: revokes, removes, says both; not logged in is fine and creates nothing", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  const auth = await saveSignedIn(issuer, h.home);
  const io = collectingIo();
  const args = ["--issuer", issuer.url, "--codex-home", h.home.path];
  assert.equal(await logoutCommand.run(args, { io }), 0);
  assert.deepEqual(io.lines, [
    "Revoked the refresh token at the issuer.",
    `Logged out: removed ${h.home.authFile}.`,
  ]);
  assert.deepEqual(issuer.revoked.map((r) => r.token), [auth.tokens.refresh_token]);
  assert.equal(await readAuthFile(h.home), undefined);
  const again = collectingIo();
  assert.equal(await logoutCommand.run(args, { io: again }), 0);
  assert.deepEqual(again.lines, ["Not logged in; nothing to do."]);
});

Deno.test("logout: a failed revoke is a warning (even with --quiet); the credentials go anyway", async () => {
  await using issuer = startFakeIssuer({ revoke: "500" });
  await using h = await tempHome();
  await saveSignedIn(issuer, h.home);
  const io = collectingIo();
  const args = ["--issuer", issuer.url, "--codex-home", h.home.path, "--quiet"];
  assert.equal(await logoutCommand.run(args, { io }), 0);
  assert.equal(io.lines.length, 1, io.text());
  assert.match(
    io.lines[0],
    /^Warning: Could not revoke the refresh token: the issuer answered 500 .*\. The refresh token may stay valid until it expires\.$/,
  );
  assert.equal(await readAuthFile(h.home), undefined);
});

Deno.test("logout --no-revoke: nothing sent to the issuer, the credentials removed", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await saveSignedIn(issuer, h.home);
  const io = collectingIo();
  const code = await runCli(
    ["logout", "--no-revoke", "--issuer", issuer.url, "--codex-home", h.home.path],
    io,
  );
  assert.equal(code, 0);
  assert.deepEqual(io.lines, [`Logged out: removed ${h.home.authFile}.`]);
  assert.equal(issuer.requests.length, 0);
});
