/**
 * Several accounts from the command line, as a person runs it: `login --add`, `accounts`,
 * `switch`, `--account` on token/status/refresh/logout, `logout --all`, `accounts --usage`,
 * against the fake issuer (token families, reuse detection) and a fake ChatGPT backend.
 */
import assert from "node:assert/strict";
import { accountsHome } from "./support/account_docs.ts";
import type { AuthData, ChatGptAuth } from "../lib/store/auth_data.ts";
import { CodexHome } from "../lib/store/codex_home.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { type FakeAccount, type FakeIssuer, startFakeIssuer } from "./support/fake_issuer.ts";
import { startFakeChatGpt } from "./support/fake_chatgpt.ts";
import { keyringMissing, startKeyring } from "./support/keyring_session.ts";
import { KEYRING_SERVICE, keyringAccount } from "../lib/store/keyring_store.ts";
import { SAVED_KEYRING_SERVICE } from "../lib/store/saved_accounts.ts";
import { browse } from "./support/helpers.ts";
import { INSTALLED, launcherPermissions, loginArgs, ON, spawnCli } from "./support/cli_process.ts";

const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/;
/** The launcher's grants for `args`, but no program may run (so lsof cannot say). */
const noRun = (args: string[]) =>
  launcherPermissions(args).filter((flag) => !flag.startsWith("--allow-run"));
const HAVE_LSOF = await new Deno.Command("sh", { args: ["-c", "command -v lsof"] }).output()
  .then((o) => o.success, () => false);
const NO_LSOF = HAVE_LSOF ? undefined : "lsof is not installed (apt-get install lsof)";

const A: FakeAccount = {
  email: "a@example.com",
  accountId: "acct_A",
  planType: "plus",
  organizationId: "org_a",
  projectId: "proj_a",
  completedPlatformOnboarding: true,
  isOrgOwner: true,
};
const B: FakeAccount = { ...A, email: "b@example.com", accountId: "acct_B", planType: "pro" };
/** A's email in another workspace (a team): the same person, another account. */
const A_TEAM: FakeAccount = { ...A, accountId: "acct_T", planType: "team" };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(
  args: string[],
  permissions?: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Run> {
  await using p = spawnCli(args, { permissions, ...options });
  return await p.done();
}

/** The flags every command of a test takes: the fake issuer, the home, the fake backend. */
function at(issuer: FakeIssuer, home: string, base?: string): string[] {
  const config = base ? ["-c", `chatgpt_base_url=${base}`] : [];
  return ["--issuer", issuer.url, "--codex-home", home, ...config];
}

/** Sign `account` in through the browser flow, with `extra` login flags. */
async function signIn(
  issuer: FakeIssuer,
  home: string,
  account: FakeAccount,
  extra: string[] = [],
  options: { env?: Record<string, string>; permissions?: string[] } = {},
): Promise<Run> {
  issuer.scenario.account = account;
  await using p = spawnCli(loginArgs(issuer.url, home, extra), {
    permissions: options.permissions,
    env: options.env,
  });
  await browse(await p.waitFor(URL_LINE));
  const run = await p.done();
  assert.equal(run.code, 0, run.stderr);
  return run;
}

async function authOf(home: string): Promise<ChatGptAuth> {
  const auth = await readAuthFile(new CodexHome(home));
  assert.ok(auth?.auth_mode === "chatgpt", "auth.json holds a ChatGPT sign-in");
  return auth;
}

function emailOf(auth: AuthData): string | undefined {
  const tokens = auth.tokens as { id_token: string };
  const payload = JSON.parse(
    new TextDecoder().decode(Uint8Array.fromBase64(tokens.id_token.split(".")[1], {
      alphabet: "base64url",
    })),
  );
  return payload.email;
}

/** `accounts --json`, parsed. */
async function listed(issuer: FakeIssuer, home: string): Promise<Record<string, unknown>[]> {
  const run = await cli(["accounts", "--json", ...at(issuer, home)]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/** An e2e test of the accounts (skipped without lsof), given its fake issuer and codex home. */
function accountsTest(
  name: string,
  scenario: Parameters<typeof startFakeIssuer>[0],
  fn: (issuer: FakeIssuer, h: { home: string }) => Promise<void>,
): void {
  Deno.test({
    name: ON + name,
    ignore: NO_LSOF !== undefined,
    async fn() {
      await using issuer = startFakeIssuer(scenario);
      await using h = await accountsHome();
      await fn(issuer, h);
    },
  });
}

/** Two accounts signed in with `login` then `login --add`: A saved, B active. */
async function twoAccounts(issuer: FakeIssuer, home: string): Promise<void> {
  await signIn(issuer, home, A);
  await signIn(issuer, home, B, ["--add", "--label", "personal"]);
}

accountsTest("accounts: login --add keeps the first account (not revoked), the new one is active", {
  reuseDetection: true,
}, async (issuer, h) => {
  await signIn(issuer, h.home, A);
  const first = await authOf(h.home);
  const added = await signIn(issuer, h.home, B, ["--add", "--label", "personal"]);
  assert.match(added.stderr, /Kept a@example\.com in your saved accounts \(not signed out\)/);
  assert.match(added.stderr, /Saved as personal in your accounts/);
  assert.equal(issuer.revoked.length, 0, "the first account was not revoked");
  assert.equal(issuer.refreshTokens.get(first.tokens.refresh_token), true);
  assert.equal(emailOf(await authOf(h.home)), "b@example.com", "Codex now reads B");
  const rows = await listed(issuer, h.home);
  assert.deepEqual(
    rows.map((r) => [r.label, r.email, r.account_id, r.plan, r.active]),
    [
      ["a@example.com", "a@example.com", "acct_A", "plus", false],
      ["personal", "b@example.com", "acct_B", "pro", true],
    ],
  );
  const text = JSON.stringify(rows);
  assert.ok(!text.includes(first.tokens.refresh_token) && !text.includes("eyJ"), "no token");
  const dir = `${h.home}/accounts`;
  assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
  for await (const entry of Deno.readDir(dir)) {
    assert.ok(!entry.name.startsWith("auth"), `never auth*.json: ${entry.name}`);
    if (entry.name === ".lock") continue;
    assert.equal((await Deno.stat(`${dir}/${entry.name}`)).mode! & 0o777, 0o600, entry.name);
  }
});

accountsTest(
  "accounts: the table marks the active account; no list yet says how to add one",
  {},
  async (issuer, h) => {
    const empty = await cli(["accounts", ...at(issuer, h.home)]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /No saved accounts, and not logged in/);
    await signIn(issuer, h.home, A);
    const one = await cli(["accounts", ...at(issuer, h.home)]);
    assert.match(one.stdout, /^\* +\(active\) +a@example\.com +acct_A +plus .*not saved yet/m);
    assert.match(one.stderr, /login --add/);
    await signIn(issuer, h.home, B, ["--add", "--label", "personal"]);
    const two = await cli(["accounts", ...at(issuer, h.home)]);
    assert.match(two.stdout, /^ +LABEL +EMAIL +WORKSPACE +PLAN +LAST REFRESH/);
    assert.match(two.stdout, /^ {3}a@example\.com +a@example\.com +acct_A +plus +\d+ min ago/m);
    assert.match(two.stdout, /^\* +personal +b@example\.com +acct_B +pro/m);
  },
);

accountsTest("switch: saves the active tokens as last rotated, writes the copy, loses nothing", {
  reuseDetection: true,
}, async (issuer, h) => {
  await twoAccounts(issuer, h.home);
  // Codex (here: our refresh) rotates B's tokens in auth.json after the sign-in.
  assert.equal((await cli(["refresh", ...at(issuer, h.home)])).code, 0);
  const rotatedB = await authOf(h.home);
  const toA = await cli(["switch", "a@example.com", ...at(issuer, h.home)]);
  assert.equal(toA.code, 0, toA.stderr);
  assert.match(toA.stderr, /Saved personal to your accounts\./);
  assert.match(toA.stderr, /Switched to a@example\.com \(a@example\.com, workspace acct_A\)/);
  assert.equal(emailOf(await authOf(h.home)), "a@example.com");
  const toB = await cli(["switch", "personal", ...at(issuer, h.home)]);
  assert.equal(toB.code, 0, toB.stderr);
  const back = await authOf(h.home);
  assert.equal(back.tokens.refresh_token, rotatedB.tokens.refresh_token, "B as last rotated");
  assert.equal(back.tokens.login_owner_id, rotatedB.tokens.login_owner_id);
  // Both stay usable: each refreshes once, no family is revoked.
  assert.equal((await cli(["refresh", ...at(issuer, h.home)])).code, 0);
  assert.equal(
    (await cli(["refresh", "--account", "a@example.com", ...at(issuer, h.home)])).code,
    0,
  );
  assert.ok(issuer.refreshAnswers.every((a) => a.status === 200), "no refresh refused");
  const again = await cli(["switch", "personal", ...at(issuer, h.home)]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /is the active account already/);
  const log = await Deno.readTextFile(`${h.home}/log/codex-login.log`);
  assert.match(
    log,
    / switch to=[0-9a-f]{16} from=[0-9a-f]{16} adopted=false already=false codex=none/,
  );
});

accountsTest(
  "switch: an unknown or ambiguous ACCOUNT exits 2 listing candidates, nothing changed",
  {},
  async (issuer, h) => {
    await signIn(issuer, h.home, A);
    await signIn(issuer, h.home, A_TEAM, ["--add", "--label", "team"]);
    await signIn(issuer, h.home, B, ["--add", "--label", "personal"]);
    const before = await Deno.readTextFile(`${h.home}/auth.json`);
    const requests = issuer.requests.length;
    const unknown = await cli(["switch", "nobody", ...at(issuer, h.home)]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No saved account is called "nobody"; nothing was changed\./);
    assert.match(unknown.stderr, /team \(a@example\.com, workspace acct_T\)/);
    assert.match(unknown.stderr, /personal \(b@example\.com, workspace acct_B\)/);
    const ambiguous = await cli(["switch", "A@example.com", ...at(issuer, h.home)]);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /"A@example\.com" names 2 saved accounts/);
    for (const command of ["token", "status", "refresh", "logout"]) {
      const run = await cli([command, "--account", "nobody", ...at(issuer, h.home)]);
      assert.equal(run.code, 2, `${command}: ${run.stderr}`);
    }
    assert.equal(await Deno.readTextFile(`${h.home}/auth.json`), before);
    assert.equal(issuer.requests.length, requests, "no request sent");
    const missing = await cli(["switch", ...at(issuer, h.home)]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Say which account to switch to/);
  },
);

accountsTest("switch: refused while a Codex holds files in the home; --force marks the old copy", {
  reuseDetection: true,
}, async (issuer, h) => {
  await twoAccounts(issuer, h.home);
  // What a running Codex looks like to lsof: a state database held open in the home.
  await Deno.writeTextFile(`${h.home}/state_5.sqlite`, "");
  const holder = new Deno.Command("bash", {
    args: ["-c", `exec sleep 60 < "${h.home}/state_5.sqlite"`],
    stdin: "null",
  }).spawn();
  try {
    await new Promise((r) => setTimeout(r, 300));
    const before = await Deno.readTextFile(`${h.home}/auth.json`);
    const refused = await cli(["switch", "a@example.com", ...at(issuer, h.home)]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(`Codex is running on this codex home \\(pid ${holder.pid} \\(sleep\\)\\)`),
    );
    assert.match(refused.stderr, /switch anyway with `.*switch a@example\.com --force`/);
    assert.equal(await Deno.readTextFile(`${h.home}/auth.json`), before, "nothing changed");
    const forced = await cli(["switch", "a@example.com", "--force", ...at(issuer, h.home)]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /Warning: switched with --force.*keeps using personal/);
    const rows = await listed(issuer, h.home);
    assert.equal(rows.find((r) => r.label === "personal")?.codex_may_hold, true);
    const held = await cli(["refresh", "--account", "personal", ...at(issuer, h.home)]);
    assert.equal(held.code, 1);
    assert.match(held.stderr, /personal was switched away from while a Codex ran/);
    // Its access token is still valid: `token` hands it out without refreshing.
    const token = await cli(["token", "--account", "personal", ...at(issuer, h.home)]);
    assert.equal(token.code, 0, token.stderr);
    const active = await cli(["refresh", ...at(issuer, h.home)]);
    assert.equal(active.code, 1, "the active account is not refreshed beside a Codex");
    assert.match(active.stderr, /It refreshes this account itself/);
  } finally {
    holder.kill();
    await holder.status;
  }
  const after = await cli(["refresh", "--account", "personal", ...at(issuer, h.home)]);
  assert.equal(after.code, 0, after.stderr);
  const rows = await listed(issuer, h.home);
  assert.equal(rows.find((r) => r.label === "personal")?.codex_may_hold, false, "mark cleared");
});

Deno.test({
  name: ON + "switch: without lsof granted it cannot tell, says so, and --force goes ahead",
  // A deno run without --allow-run=lsof: the installed command always grants it.
  ignore: INSTALLED,
  async fn() {
    await using issuer = startFakeIssuer();
    await using h = await accountsHome();
    await saveAuthFile(new CodexHome(h.home), issuer.signedInAuth());
    issuer.scenario.account = B;
    const login = loginArgs(issuer.url, h.home, ["--add"]);
    await using p = spawnCli(login, { permissions: noRun(login) });
    await browse(await p.waitFor(URL_LINE));
    assert.equal((await p.done()).code, 0);
    const switchTo = ["switch", "person@example.com", ...at(issuer, h.home)];
    const refused = await cli(switchTo, noRun(switchTo));
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /cannot tell whether Codex runs on this codex home: lsof is not granted \(run with --allow-run=lsof\)/,
    );
    const forced = await cli([...switchTo, "--force"], noRun(switchTo));
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /could not tell whether Codex runs here/);
  },
});

accountsTest(
  "--account: token, status and refresh use the copy; for the active one, Codex's store",
  { reuseDetection: true },
  async (issuer, h) => {
    await twoAccounts(issuer, h.home);
    const home = new CodexHome(h.home);
    const active = await authOf(h.home);
    const token = await cli(["token", "--account", "a@example.com", ...at(issuer, h.home)]);
    assert.equal(token.code, 0, token.stderr);
    assert.equal(issuer.accessTokenAccount(token.stdout.trim())?.email, "a@example.com");
    const status = await cli(["status", "--account", "a@example.com", ...at(issuer, h.home)]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Email: +a@example\.com/);
    assert.match(status.stdout, /Saved as: +a@example\.com/);
    const json = await cli([
      "status",
      "--json",
      "--account",
      "a@example.com",
      ...at(issuer, h.home),
    ]);
    assert.match(
      JSON.parse(json.stdout).auth_file,
      /^the saved copy of a@example\.com \(.*accounts/,
    );
    const mine = await cli(["status", ...at(issuer, h.home)]);
    assert.match(mine.stdout, /Email: +b@example\.com[\s\S]*Saved as: +personal/);
    const refreshed = await cli(["refresh", "--account", "a@example.com", ...at(issuer, h.home)]);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.match(refreshed.stderr, /Refreshed the tokens in the saved copy of a@example\.com/);
    assert.deepEqual(await readAuthFile(home), active, "auth.json untouched");
    const activeRefresh = await cli(["refresh", "--account", "personal", ...at(issuer, h.home)]);
    assert.equal(activeRefresh.code, 0, activeRefresh.stderr);
    const now = await authOf(h.home);
    assert.notEqual(
      now.tokens.refresh_token,
      active.tokens.refresh_token,
      "the store was refreshed",
    );
    assert.match(activeRefresh.stderr, /auth\.json/);
    assert.ok(issuer.refreshAnswers.every((a) => a.status === 200));
  },
);

accountsTest(
  "logout: --account revokes and forgets one, plain forgets the active copy, --all every one",
  { reuseDetection: true },
  async (issuer, h) => {
    await twoAccounts(issuer, h.home);
    const active = await Deno.readTextFile(`${h.home}/auth.json`);
    const one = await cli(["logout", "--account", "a@example.com", ...at(issuer, h.home)]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(
      one.stderr,
      /Revoked the session of a@example\.com at the issuer\.\nForgot a@example\.com\./,
    );
    assert.equal(issuer.revoked.length, 1);
    assert.equal(issuer.familyOf(issuer.revoked[0].token)?.account?.email, "a@example.com");
    assert.equal(await Deno.readTextFile(`${h.home}/auth.json`), active, "the active one stays");
    assert.deepEqual((await listed(issuer, h.home)).map((r) => r.label), ["personal"]);
    await signIn(issuer, h.home, A, ["--add"]);
    const plain = await cli(["logout", ...at(issuer, h.home)]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /Logged out a@example\.com: removed .*auth\.json/);
    assert.equal(await readAuthFile(new CodexHome(h.home)), undefined);
    assert.deepEqual((await listed(issuer, h.home)).map((r) => r.label), ["personal"]);
    const all = await cli(["logout", "--all", ...at(issuer, h.home)]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, /Forgot personal\./);
    assert.deepEqual(await listed(issuer, h.home), []);
    assert.equal(issuer.revoked.length, 3, "every session was revoked");
    const files = [];
    for await (const entry of Deno.readDir(`${h.home}/accounts`)) files.push(entry.name);
    assert.deepEqual(files.sort(), [".lock", "index.json"], "no copy left behind");
  },
);

Deno.test({
  name: ON + "accounts --usage: both accounts' windows and credits, expired copies not refreshed",
  ignore: NO_LSOF !== undefined,
  async fn() {
    await using issuer = startFakeIssuer({ reuseDetection: true, accessTtlS: 1 });
    await using backend = startFakeChatGpt(issuer);
    await using h = await accountsHome();
    await signIn(issuer, h.home, A);
    issuer.scenario.accessTtlS = 3600;
    await signIn(issuer, h.home, B, ["--add", "--label", "personal"]);
    backend.usage.set("acct_B", {
      plan_type: "pro",
      rate_limit: {
        allowed: true,
        limit_reached: false,
        primary_window: { used_percent: 42, limit_window_seconds: 18000, reset_at: 4102444800 },
        secondary_window: { used_percent: 7, limit_window_seconds: 604800, reset_at: 4102444800 },
      },
      credits: { has_credits: true, unlimited: false, balance: "3.5" },
    });
    await new Promise((r) => setTimeout(r, 1500)); // A's access token (1 s) has expired
    const refreshes = issuer.tokenRequests("refresh_token").length;
    const run = await cli(["accounts", "--usage", ...at(issuer, h.home, backend.baseUrl)]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /a@example\.com[^\n]*\n +usage: expired/);
    assert.match(
      run.stdout,
      /personal[^\n]*\n +5-hour: 42% used, resets in \d+ days; weekly: 7% used, resets in \d+ days; credits: 3\.5/,
    );
    assert.equal(issuer.tokenRequests("refresh_token").length, refreshes, "nothing refreshed");
    const asked = backend.usageRequests();
    assert.deepEqual(asked.map((r) => [r.path, r.accountHeader]), [
      ["/backend-api/wham/usage", "acct_B"],
    ]);
    // A base without /backend-api: Codex's other path; --json for scripts.
    await signIn(issuer, h.home, A, ["--add"]);
    const json = await cli(["accounts", "--usage", "--json", ...at(issuer, h.home, backend.url)]);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout);
    assert.deepEqual(rows.map((r: { usage: { status: string } }) => r.usage.status), ["ok", "ok"]);
    assert.equal(rows[1].usage.five_hour.used_percent, 42);
    assert.equal(rows[0].usage.weekly.window_seconds, 604800);
    assert.ok(backend.requests.some((r) => r.path === "/api/codex/usage"));
  },
});

accountsTest(
  "switch: config.toml's policy refuses a forbidden account in Codex's words",
  {},
  async (issuer, h) => {
    await twoAccounts(issuer, h.home);
    const workspace = ["-c", "forced_chatgpt_workspace_id=acct_B"];
    const refused = await cli(["switch", "a@example.com", ...workspace, ...at(issuer, h.home)]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /Login is restricted to workspace\(s\) acct_B, but you chose acct_A\./,
    );
    const table = await cli(["accounts", ...workspace, ...at(issuer, h.home)]);
    assert.match(table.stdout, /a@example\.com .*not allowed/);
    const method = await cli([
      "switch",
      "a@example.com",
      "-c",
      "forced_login_method=api",
      ...at(issuer, h.home),
    ]);
    assert.equal(method.code, 1);
    assert.match(method.stderr, /ChatGPT login is disabled\. Use API key login instead\./);
    assert.equal(emailOf(await authOf(h.home)), "b@example.com", "nothing changed");
  },
);

accountsTest(
  "mixed documents: status flags one (exit 1), switch refuses to save it",
  {},
  async (issuer, h) => {
    await twoAccounts(issuer, h.home);
    assert.equal((await cli(["switch", "a@example.com", ...at(issuer, h.home)])).code, 0);
    const home = new CodexHome(h.home);
    const a = await authOf(h.home);
    await saveAuthFile(home, { ...a, tokens: { ...a.tokens, account_id: "acct_B" } });
    const before = await Deno.readTextFile(home.authFile);
    const status = await cli(["status", ...at(issuer, h.home)]);
    assert.equal(status.code, 1);
    assert.match(
      status.stdout,
      /Warning: these credentials mix two accounts: the ID token is for workspace acct_A but tokens\.account_id says acct_B/,
    );
    const json = await cli(["status", "--json", ...at(issuer, h.home)]);
    assert.deepEqual(JSON.parse(json.stdout).mixed_accounts, {
      id_token: "acct_A",
      tokens: "acct_B",
    });
    const refused = await cli(["switch", "personal", ...at(issuer, h.home)]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /mixes two accounts.*neither saved nor switched/);
    assert.equal(await Deno.readTextFile(home.authFile), before);
  },
);

accountsTest(
  "switch adopts credentials not in the list (signed in by codex login), never drops them",
  { reuseDetection: true },
  async (issuer, h) => {
    await twoAccounts(issuer, h.home);
    const d: FakeAccount = { ...A, email: "d@example.com", accountId: "acct_D" };
    const tokens = issuer.issueTokensFor(d);
    await saveAuthFile(new CodexHome(h.home), {
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: { ...tokens, account_id: "acct_D" },
      last_refresh: new Date().toISOString(),
    });
    const run = await cli(["switch", "personal", ...at(issuer, h.home)]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /Added d@example\.com to your accounts \(it was not saved yet\)/);
    assert.deepEqual((await listed(issuer, h.home)).map((r) => r.label), [
      "a@example.com",
      "personal",
      "d@example.com",
    ]);
    const back = await cli(["switch", "d@example.com", ...at(issuer, h.home)]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal((await authOf(h.home)).tokens.refresh_token, tokens.refresh_token);
    assert.equal(issuer.revoked.length, 0);
  },
);

accountsTest(
  "login with a list: a plain sign-in joins it and signs no saved account out; a re-sign-in retires the old copy",
  { reuseDetection: true },
  async (issuer, h) => {
    await twoAccounts(issuer, h.home);
    const d: FakeAccount = { ...A, email: "d@example.com", accountId: "acct_D" };
    await signIn(issuer, h.home, d);
    assert.equal(issuer.revoked.length, 0, "personal stays signed in");
    assert.deepEqual((await listed(issuer, h.home)).map((r) => [r.label, r.active]), [
      ["a@example.com", false],
      ["personal", false],
      ["d@example.com", true],
    ]);
    const oldA = await cli(["token", "--account", "a@example.com", ...at(issuer, h.home)]);
    const oldFamily = issuer.familyOf(oldA.stdout.trim());
    const again = await signIn(issuer, h.home, A, ["--add", "--label", "work"]);
    assert.match(again.stderr, /Saved as work/);
    assert.equal(issuer.revoked.length, 1, "A's earlier session was retired");
    assert.equal(issuer.familyOf(issuer.revoked[0].token), oldFamily);
    assert.deepEqual((await listed(issuer, h.home)).map((r) => r.label), [
      "work",
      "personal",
      "d@example.com",
    ]);
  },
);

accountsTest(
  "accounts/: a directory others could open or a linked copy is refused with the fix",
  {},
  async (issuer, h) => {
    await twoAccounts(issuer, h.home);
    const dir = `${h.home}/accounts`;
    await Deno.chmod(dir, 0o770);
    const open = await cli(["switch", "a@example.com", ...at(issuer, h.home)]);
    assert.equal(open.code, 1);
    assert.match(
      open.stderr,
      new RegExp(`${dir} can be read or written by group or others.*chmod 700 ${dir}`),
    );
    await Deno.chmod(dir, 0o700);
    const index = JSON.parse(await Deno.readTextFile(`${dir}/index.json`));
    const copy = `${
      index.accounts.find((e: { label: string }) => e.label === "a@example.com").id
    }.json`;
    await Deno.rename(`${dir}/${copy}`, `${h.home}/elsewhere.json`);
    await Deno.symlink(`${h.home}/elsewhere.json`, `${dir}/${copy}`);
    const linked = await cli(["switch", "a@example.com", ...at(issuer, h.home)]);
    assert.equal(linked.code, 1);
    assert.match(linked.stderr, /is a symbolic link.*rm /);
    assert.equal(emailOf(await authOf(h.home)), "b@example.com", "nothing changed");
  },
);

accountsTest(
  "accounts: an API key joins the list with --add and is switched to and from",
  {},
  async (issuer, h) => {
    await signIn(issuer, h.home, A);
    const key = "sk-proj-accounts0123456789abcdef";
    const add = await cli(
      ["login", "--with-api-key", "--add", "--label", "ci", ...at(issuer, h.home)],
      undefined,
      { stdin: `${key}\n` },
    );
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(await readAuthFile(new CodexHome(h.home)), {
      auth_mode: "apikey",
      OPENAI_API_KEY: key,
    });
    const table = await cli(["accounts", ...at(issuer, h.home)]);
    assert.match(table.stdout, /^\* +ci +- +apikey/m);
    assert.ok(!table.stdout.includes(key));
    assert.equal((await cli(["switch", "a@example.com", ...at(issuer, h.home)])).code, 0);
    assert.equal(emailOf(await authOf(h.home)), "a@example.com");
    assert.equal((await cli(["switch", "ci", ...at(issuer, h.home)])).code, 0);
    assert.equal((await readAuthFile(new CodexHome(h.home)))?.OPENAI_API_KEY, key);
  },
);

const keyringSkip = NO_LSOF ?? await keyringMissing();
Deno.test({
  name: ON +
    "keyring store: copies are keyring entries of their own service; switch writes Codex's",
  ignore: keyringSkip !== undefined,
  async fn() {
    await using kr = await startKeyring();
    await using issuer = startFakeIssuer();
    await using h = await accountsHome();
    const keyring = ["-c", "cli_auth_credentials_store=keyring"];
    const options = { env: kr.env };
    await signIn(issuer, h.home, A, keyring, options);
    await signIn(issuer, h.home, B, ["--add", "--label", "personal", ...keyring], options);
    const account = await keyringAccount(new CodexHome(h.home));
    const codexEntry = async () => JSON.parse((await kr.lookup(KEYRING_SERVICE, account))!);
    assert.equal(emailOf(await codexEntry()), "b@example.com");
    const index = JSON.parse(await Deno.readTextFile(`${h.home}/accounts/index.json`));
    for (const entry of index.accounts) {
      assert.equal(entry.store, "keyring");
      const copy = await kr.lookup(SAVED_KEYRING_SERVICE, `${account}|${entry.id}`);
      assert.ok(copy, `${entry.label}'s copy is in the keyring`);
    }
    const files = [...Deno.readDirSync(`${h.home}/accounts`)].map((e) => e.name).sort();
    assert.deepEqual(files, [".lock", "index.json"], "no copy on disk");
    const run = await cli(
      ["switch", "a@example.com", ...keyring, ...at(issuer, h.home)],
      undefined,
      { env: kr.env },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(emailOf(await codexEntry()), "a@example.com");
    await assert.rejects(Deno.stat(`${h.home}/auth.json`), Deno.errors.NotFound);
  },
});

accountsTest(
  "login --device-auth --add keeps the first account; accounts renames one",
  {},
  async (issuer, h) => {
    await signIn(issuer, h.home, A);
    issuer.scenario.account = B;
    const device = await cli([
      "login",
      "--device-auth",
      "--add",
      "--label",
      "phone",
      "--api-base",
      issuer.url,
      ...at(issuer, h.home),
    ]);
    assert.equal(device.code, 0, device.stderr);
    assert.match(device.stderr, /Kept a@example\.com in your saved accounts/);
    assert.equal(issuer.revoked.length, 0);
    assert.deepEqual((await listed(issuer, h.home)).map((r) => [r.label, r.active]), [
      ["a@example.com", false],
      ["phone", true],
    ]);
    const renamed = await cli([
      "accounts",
      "--account",
      "a@example.com",
      "--label",
      "work",
      ...at(issuer, h.home),
    ]);
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.match(renamed.stderr, /Renamed a@example\.com to work\./);
    const taken = await cli([
      "accounts",
      "--account",
      "work",
      "--label",
      "phone",
      ...at(issuer, h.home),
    ]);
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /The label phone is already b@example\.com's; nothing was changed/);
    const bad = await cli(["login", "--add", "--label", "-x", ...at(issuer, h.home)]);
    assert.equal(bad.code, 2, "a bad label is refused before anything opens");
    const lone = await cli(["accounts", "--label", "x", ...at(issuer, h.home)]);
    assert.equal(lone.code, 2);
    assert.deepEqual((await listed(issuer, h.home)).map((r) => r.label), ["work", "phone"]);
  },
);
