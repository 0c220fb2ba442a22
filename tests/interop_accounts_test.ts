/**
 * Several accounts beside the real Codex (the pinned binary; `CODEX_ACCOUNTS_BIN` runs them
 * against another, e.g. 0.171.0): Codex reads the account `switch` wrote (auth.json and the
 * keyring), `switch` sees a running Codex and refuses, a forced switch is neither undone nor
 * mixed by that Codex, and Codex's own refreshes of a switched-in account survive the switches
 * after it. Everything on loopback: the fake issuer (reuse detection on) and a fake ChatGPT
 * backend.
 */
import assert from "node:assert/strict";
import { accountsHome } from "./support/account_docs.ts";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { CodexHome } from "../lib/store/codex_home.ts";
import { readAuthFile } from "../lib/store/file_store.ts";
import { CODEX_BIN, CODEX_MISSING } from "./support/codex_cli.ts";
import { codexWorld, startAppServer } from "./support/codex_app_server.ts";
import { startFakeChatGpt } from "./support/fake_chatgpt.ts";
import { type FakeAccount, type FakeIssuer, startFakeIssuer } from "./support/fake_issuer.ts";
import { browse } from "./support/helpers.ts";
import { loginArgs, spawnCli } from "./support/cli_process.ts";
import { keyringMissing, startKeyring } from "./support/keyring_session.ts";

const BIN = Deno.env.get("CODEX_ACCOUNTS_BIN") ?? CODEX_BIN;
const VERSION = BIN
  ? new TextDecoder().decode((await new Deno.Command(BIN, { args: ["--version"] }).output()).stdout)
    .trim().replace(/^codex-cli /, "")
  : "missing";
const HAVE_LSOF = await new Deno.Command("sh", { args: ["-c", "command -v lsof"] }).output()
  .then((o) => o.success, () => false);
const SKIP = !BIN ? CODEX_MISSING : HAVE_LSOF ? undefined : "lsof is not installed";
if (SKIP) console.error(`SKIPPED accounts interop tests: ${SKIP}`);

const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/;
const A: FakeAccount = { email: "a@example.com", accountId: "acct_A", planType: "plus" };
const B: FakeAccount = { email: "b@example.com", accountId: "acct_B", planType: "pro" };

function interop(name: string, fn: () => Promise<void>, skip = SKIP): void {
  Deno.test({ name: `codex ${VERSION}: ${name}`, ignore: skip !== undefined, fn });
}

interface Ctx {
  issuer: FakeIssuer;
  home: string;
  env?: Record<string, string>;
  config?: string[];
}

async function cli(ctx: Ctx, args: string[]) {
  await using p = spawnCli(
    [...args, "--issuer", ctx.issuer.url, "--codex-home", ctx.home, ...(ctx.config ?? [])],
    { env: ctx.env },
  );
  return await p.done();
}

async function signIn(ctx: Ctx, account: FakeAccount, extra: string[] = []): Promise<void> {
  ctx.issuer.scenario.account = account;
  await using p = spawnCli(loginArgs(ctx.issuer.url, ctx.home, [...extra, ...(ctx.config ?? [])]), {
    env: ctx.env,
  });
  await browse(await p.waitFor(URL_LINE));
  const run = await p.done();
  assert.equal(run.code, 0, run.stderr);
}

/** `codex login status` on the home: exit code and text. */
async function codexStatus(ctx: Ctx): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(BIN!, {
    args: ["login", "status", ...(ctx.config ?? [])],
    env: codexWorld(ctx.home, ctx.issuer, ctx.env ?? {}),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return {
    code: out.code,
    text: text.split("\n").filter((l) => !l.startsWith("WARNING")).join("\n").trim(),
  };
}

function revokedFamilies(issuer: FakeIssuer): number {
  return issuer.refreshAnswers.filter((a) => a.code === "refresh_token_reused").length;
}

interop(
  "codex login status and a running Codex read the switched account (auth.json)",
  async () => {
    await using issuer = startFakeIssuer({ reuseDetection: true });
    await using backend = startFakeChatGpt(issuer);
    await using h = await accountsHome();
    const ctx = { issuer, home: h.home };
    await signIn(ctx, A);
    await signIn(ctx, B, ["--add", "--label", "personal"]);
    assert.equal((await cli(ctx, ["switch", "a@example.com"])).code, 0);
    assert.deepEqual(await codexStatus(ctx), { code: 0, text: "Logged in using ChatGPT" });
    {
      await using app = await startAppServer(h.home, issuer, backend, BIN);
      assert.equal(await app.heldEmail(), "a@example.com");
    }
    const back = await cli(ctx, ["switch", "personal"]);
    assert.equal(back.code, 0, back.stderr);
    await using app = await startAppServer(h.home, issuer, backend, BIN);
    assert.equal(await app.heldEmail(), "b@example.com");
  },
);

const keyringSkip = SKIP ?? await keyringMissing();
interop("codex login status and a running Codex read the switched account (keyring)", async () => {
  await using kr = await startKeyring();
  await using issuer = startFakeIssuer({ reuseDetection: true });
  await using backend = startFakeChatGpt(issuer);
  await using h = await accountsHome();
  const ctx = {
    issuer,
    home: h.home,
    env: kr.env,
    config: ["-c", "cli_auth_credentials_store=keyring"],
  };
  await signIn(ctx, A);
  await signIn(ctx, B, ["--add", "--label", "personal"]);
  const run = await cli(ctx, ["switch", "a@example.com"]);
  assert.equal(run.code, 0, run.stderr);
  await assert.rejects(Deno.stat(`${h.home}/auth.json`), Deno.errors.NotFound);
  assert.deepEqual(await codexStatus(ctx), { code: 0, text: "Logged in using ChatGPT" });
  // The app-server takes the store from config.toml, as a person's Codex would.
  await Deno.writeTextFile(`${h.home}/config.toml`, 'cli_auth_credentials_store = "keyring"\n');
  {
    await using held = await startAppServer(h.home, issuer, backend, BIN, kr.env);
    assert.equal(await held.heldEmail(), "a@example.com");
  }
  assert.equal((await cli(ctx, ["switch", "personal"])).code, 0);
  await using held = await startAppServer(h.home, issuer, backend, BIN, kr.env);
  assert.equal(await held.heldEmail(), "b@example.com");
}, keyringSkip);

interop(
  "switch sees a running Codex and refuses; forced, Codex neither undoes it nor mixes",
  async () => {
    await using issuer = startFakeIssuer({ reuseDetection: true, accessTtlS: 120 });
    await using backend = startFakeChatGpt(issuer);
    await using h = await accountsHome();
    const ctx = { issuer, home: h.home };
    await signIn(ctx, A);
    await signIn(ctx, B, ["--add", "--label", "personal"]);
    assert.equal((await cli(ctx, ["switch", "a@example.com"])).code, 0);
    await using app = await startAppServer(h.home, issuer, backend, BIN);
    assert.equal(await app.heldEmail(), "a@example.com");
    const refused = await cli(ctx, ["switch", "personal"]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(`Codex is running on this codex home \\(pid ${app.child.pid} \\(codex`),
    );
    const forced = await cli(ctx, ["switch", "personal", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    const before = issuer.refreshAnswers.length;
    // Codex keeps A in memory and will not refresh it against B's credentials.
    assert.equal(await app.forceRefresh(), "a@example.com");
    assert.equal(issuer.refreshAnswers.length, before, "and sends no refresh");
    const auth = (await readAuthFile(new CodexHome(h.home))) as ChatGptAuth;
    assert.equal(auth.tokens.account_id, "acct_B", "the switch was not undone");
    assert.equal(
      issuer.familyOf(auth.tokens.refresh_token)?.account?.accountId,
      "acct_B",
      "not mixed",
    );
    await app.stop();
    // A was switched away from while Codex ran: marked, refreshed only once no Codex runs.
    const refreshed = await cli(ctx, ["refresh", "--account", "a@example.com"]);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.equal(revokedFamilies(issuer), 0);
  },
);

interop("Codex's refreshes of a switched-in account survive the switches after it", async () => {
  await using issuer = startFakeIssuer({ reuseDetection: true, accessTtlS: 120 });
  await using backend = startFakeChatGpt(issuer);
  await using h = await accountsHome();
  const ctx = { issuer, home: h.home };
  await signIn(ctx, A);
  await signIn(ctx, B, ["--add", "--label", "personal"]);
  for (const label of ["a@example.com", "personal", "a@example.com", "personal"]) {
    const run = await cli(ctx, ["switch", label]);
    assert.equal(run.code, 0, run.stderr);
    await using app = await startAppServer(h.home, issuer, backend, BIN);
    const before = issuer.refreshAnswers.length;
    assert.ok(await app.forceRefresh(), `Codex refreshed ${label}`);
    assert.ok(issuer.refreshAnswers.length > before, "Codex sent a refresh");
  }
  assert.ok(
    issuer.refreshAnswers.every((a) => a.status === 200),
    JSON.stringify(issuer.refreshAnswers),
  );
  for (const label of ["a@example.com", "personal"]) {
    const token = await cli(ctx, ["token", "--account", label]);
    assert.equal(token.code, 0, token.stderr);
  }
});
