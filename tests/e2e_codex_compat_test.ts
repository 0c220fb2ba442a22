/**
 * Codex's config.toml policies and the `token` command, through the CLI as a person runs it
 * (and, in `make test`, again through the bundle).
 */
import assert from "node:assert/strict";
import type { CodexHome } from "../lib/store/codex_home.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, tempHome } from "./support/helpers.ts";
import { loginArgs, ON, spawnCli } from "./support/cli_process.ts";

async function withConfig(home: CodexHome, toml: string): Promise<void> {
  await Deno.mkdir(home.path, { recursive: true });
  await Deno.writeTextFile(home.config, toml);
}

Deno.test(
  ON + "cli: forced_login_method = api refuses the browser sign-in before anything opens",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await withConfig(h.home, 'forced_login_method = "api"\n');
    await using cli = spawnCli(loginArgs(issuer.url, h.home.path));
    const { code, stderr } = await cli.done();
    assert.equal(code, 1);
    assert.match(stderr, /^Error: ChatGPT login is disabled\. Use API key login instead\./m);
    assert.ok(!/Starting local login server/.test(stderr), "no server started");
    assert.equal(issuer.requests.length, 0);
    assert.equal(await readAuthFile(h.home), undefined);
    await using device = spawnCli([...loginArgs(issuer.url, h.home.path), "--device-auth"]);
    assert.equal((await device.done()).code, 1);
    assert.equal(issuer.requests.length, 0, "device sign-in refused too");
  },
);

Deno.test(
  ON + "cli: -c forced_login_method=chatgpt refuses --with-api-key, file untouched",
  async () => {
    await using h = await tempHome();
    await saveAuthFile(h.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-keep-this-one-please" });
    await using cli = spawnCli(
      ["login", "--with-api-key", "--codex-home", h.home.path, "-c", "forced_login_method=chatgpt"],
      { stdin: "sk-proj-new0123456789abcdefghij\n" },
    );
    const { code, stderr } = await cli.done();
    assert.equal(code, 1);
    assert.match(stderr, /^Error: API key login is disabled\. Use ChatGPT login instead\./m);
    assert.equal((await readAuthFile(h.home))?.OPENAI_API_KEY, "sk-keep-this-one-please");
  },
);

Deno.test(
  ON + "cli: -c forced_chatgpt_workspace_id: another workspace exits 1 naming both",
  async () => {
    await using issuer = startFakeIssuer({
      account: { accountId: "ws-b", email: "p@example.com" },
    });
    await using h = await tempHome();
    await using cli = spawnCli([
      ...loginArgs(issuer.url, h.home.path),
      "-c",
      'forced_chatgpt_workspace_id=["ws-a"]',
    ]);
    const url = await cli.waitFor(/\/oauth\/authorize\?/);
    assert.match(url, /allowed_workspace_id=ws-a(&|$)/);
    const page = (await browse(url)).at(-1)!;
    assert.equal(page.status, 403);
    const { code, stderr } = await cli.done();
    assert.equal(code, 1);
    assert.match(stderr, /Login is restricted to workspace\(s\) ws-a, but you chose ws-b/);
    assert.equal(await readAuthFile(h.home), undefined);
    assert.equal(issuer.revoked.length, 1, "the refused tokens were revoked");
  },
);

Deno.test(
  ON + "cli: a malformed config.toml is one line naming the file and line, exit 2",
  async () => {
    await using h = await tempHome();
    await withConfig(h.home, 'model = "o3"\nforced_login_method = = "api"\n');
    await using cli = spawnCli(["status", "--codex-home", h.home.path]);
    const { code, stderr } = await cli.done();
    assert.equal(code, 2);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], new RegExp(`^Error: ${h.home}/config\\.toml, line 2: not valid TOML`));
  },
);

Deno.test(ON + "cli status: credentials that break the policy are flagged, exit 1", async () => {
  await using issuer = startFakeIssuer({ account: { accountId: "ws-b" } });
  await using h = await tempHome();
  await saveAuthFile(h.home, issuer.signedInAuth());
  await withConfig(h.home, 'forced_chatgpt_workspace_id = "ws-a"\n');
  await using cli = spawnCli(["status", "--codex-home", h.home.path]);
  const { code, stdout } = await cli.done();
  assert.equal(code, 1);
  assert.match(stdout, /^Logged in using ChatGPT$/m);
  assert.match(
    stdout,
    /Warning: Login is restricted to workspace\(s\) ws-a, but current credentials belong to ws-b\. Codex will log these credentials out/,
  );
  await using json = spawnCli(["status", "--json", "--codex-home", h.home.path]);
  const report = JSON.parse((await json.done()).stdout);
  assert.equal(report.policy_violations.length, 1);
});

Deno.test(
  ON + "cli token: only the token on stdout; --json facts; not logged in exits 1",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await using none = spawnCli(["token", "--issuer", issuer.url, "--codex-home", h.home.path]);
    const a = await none.done();
    assert.equal(a.code, 1);
    assert.equal(a.stdout, "");
    assert.match(a.stderr, /Not logged in/);
    const auth = issuer.signedInAuth();
    await saveAuthFile(h.home, auth);
    await using plain = spawnCli(["token", "--issuer", issuer.url, "--codex-home", h.home.path]);
    const b = await plain.done();
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, `${auth.tokens.access_token}\n`);
    assert.equal(b.stderr, "");
    await using json = spawnCli([
      "token",
      "--json",
      "--issuer",
      issuer.url,
      "--codex-home",
      h.home.path,
    ]);
    const facts = JSON.parse((await json.done()).stdout);
    assert.equal(facts.token, auth.tokens.access_token);
    assert.equal(facts.kind, "access_token");
    assert.equal(facts.refreshed, false);
    assert.equal(facts.account_id, "acct_123");
  },
);

Deno.test(
  ON + "cli login --with-api-key: a key of another format is saved with a warning",
  async () => {
    await using h = await tempHome();
    await using cli = spawnCli(["login", "--with-api-key", "--codex-home", h.home.path], {
      stdin: "gateway-issued-key-42\n",
    });
    const { code, stderr } = await cli.done();
    assert.equal(code, 0, stderr);
    assert.match(stderr, /does not look like an OpenAI API key.*saved anyway/);
    assert.ok(!stderr.includes("gateway-issued-key-42"));
    assert.equal((await readAuthFile(h.home))?.OPENAI_API_KEY, "gateway-issued-key-42");
  },
);

Deno.test(
  ON + "cli: CODEX_INTERNAL_ORIGINATOR_OVERRIDE reaches the authorize URL and every request",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await using cli = spawnCli(loginArgs(issuer.url, h.home.path), {
      env: { CODEX_INTERNAL_ORIGINATOR_OVERRIDE: "my_ide" },
    });
    const url = await cli.waitFor(/\/oauth\/authorize\?/);
    assert.equal(new URL(url).searchParams.get("originator"), "my_ide");
    await browse(url);
    assert.equal((await cli.done()).code, 0);
    for (const r of issuer.requests.filter((r) => r.method === "POST")) {
      assert.equal(r.headers.get("originator"), "my_ide");
    }
  },
);
