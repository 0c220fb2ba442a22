/**
 * `codex-login status` agrees with Codex 0.171's `login status` on every row of the
 * environment sweep in the pinned surface snapshot (tests/fixtures/codex-surface/): the same
 * variables set (a workload identity, CODEX_ACCESS_TOKEN, API keys, Bedrock), with no stored
 * credentials and with a stored API key, give Codex's text (ours may add a line saying what to
 * do next) and Codex's exit code. The whoami and the workload identity's exchange go to the
 * fake issuer (`--issuer`), as Codex's went to it in the snapshot.
 */

import assert from "node:assert/strict";
import { ON, spawnCli } from "./support/cli_process.ts";
import { KNOWN_ACCESS_TOKEN, SWEEP_ASSERTION, sweepRows } from "./support/codex_surface_env.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { ROOT, tempHome } from "./support/helpers.ts";

interface Outcome {
  exit: number;
  text: string;
}

const snapshot: Record<string, Record<string, Outcome>> = JSON.parse(
  await Deno.readTextFile(`${ROOT}tests/fixtures/codex-surface/0.171.0.json`),
)["login status with environment variables"];

const STORED = "stored API key (apikey.json)";
const NONE = "no stored credentials";

Deno.test(`${ON}status agrees with Codex 0.171 on the environment sweep`, async (t) => {
  await using issuer = startFakeIssuer();
  issuer.accessTokens.add(KNOWN_ACCESS_TOKEN);
  await using h = await tempHome();
  const tokenFile = `${h.dir}/identity-token.jwt`;
  await Deno.writeTextFile(tokenFile, SWEEP_ASSERTION);
  const rows = sweepRows({ tokenFile, missingFile: `${h.dir}/missing.jwt` });
  assert.equal(rows.length, Object.keys(snapshot).length, "every row of the snapshot is tried");
  for (const [name, vars] of rows) {
    for (const stored of [NONE, STORED]) {
      await t.step(`${name}, ${stored}`, async () => {
        const codex = snapshot[name]?.[stored];
        assert.ok(codex, `the snapshot has ${name} / ${stored}`);
        const home = `${h.dir}/home-${crypto.randomUUID()}`;
        await Deno.mkdir(home, { mode: 0o700 });
        if (stored === STORED) {
          await Deno.copyFile(`${ROOT}tests/fixtures/auth/apikey.json`, `${home}/auth.json`);
        }
        await using cli = spawnCli(["status", "--issuer", issuer.url, "--codex-home", home], {
          env: vars,
        });
        const { code, stdout, stderr } = await cli.done();
        const ours = `${stdout}${stderr}`.replaceAll(h.dir, "<dir>").trimEnd();
        assert.equal(code, codex.exit, `exit code (ours said:\n${ours})`);
        assert.ok(
          ours.startsWith(codex.text),
          `Codex says:\n${codex.text}\nwe say:\n${ours}`,
        );
      });
    }
  }
});

for (
  const [variable, value, said] of [
    ["CODEX_ACCESS_TOKEN", "at-anything-0123456789", /CODEX_ACCESS_TOKEN is set/],
    ["OPENAI_FEDERATION_RULE_ID", "fr_x", /a workload identity is configured/],
  ] as const
) {
  Deno.test(`${ON}token and refresh say they do not apply when ${variable} takes over`, async () => {
    await using h = await tempHome();
    await Deno.mkdir(h.home, { mode: 0o700 });
    await Deno.copyFile(`${ROOT}tests/fixtures/auth/apikey.json`, `${h.home}/auth.json`);
    for (const command of ["token", "refresh"]) {
      await using cli = spawnCli([command, "--codex-home", h.home], { env: { [variable]: value } });
      const { code, stdout, stderr } = await cli.done();
      assert.equal(code, 1, stderr);
      assert.equal(stdout, "", "no token is handed out");
      assert.match(stderr, said);
      assert.match(stderr, new RegExp(`codex-login ${command} does not apply`));
    }
  });
}
