/**
 * Several accounts from the command line, as a person runs it: `login --add`, `accounts`,
 * `switch`, `--account` on token/status/refresh/logout, `logout --all`, `accounts --usage`,
 * against the fake issuer (token families, reuse detection) and a fake ChatGPT backend.
 */
import assert from "node:assert/strict";
import type { AuthData, ChatGptAuth } from "../lib/store/auth_data.ts";
import { CodexHome } from "../lib/store/codex_home.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { type FakeAccount, type FakeIssuer, startFakeIssuer } from "./support/fake_issuer.ts";
import { startFakeChatGpt } from "./support/fake_chatgpt.ts";
import { browse, tempHome } from "./support/helpers.ts";
import { BASE_PERMISSIONS, loginArgs, ON, spawnCli } from "./support/cli_process.ts";

const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/;
const PERMISSIONS = [...BASE_PERMISSIONS, "--allow-run=lsof"];
const NO_RUN = [...BASE_PERMISSIONS];
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

async function cli(args: string[], permissions = PERMISSIONS): Promise<Run> {
  await using p = spawnCli(args, { permissions });
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
): Promise<Run> {
  issuer.scenario.account = account;
  await using p = spawnCli(loginArgs(issuer.url, home, extra), { permissions: PERMISSIONS });
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

/** Two accounts signed in with `login` then `login --add`: A saved, B active. */
async function twoAccounts(issuer: FakeIssuer, home: string): Promise<void> {
  await signIn(issuer, home, A);
  await signIn(issuer, home, B, ["--add", "--label", "personal"]);
}

Deno.test({
  name: ON + "accounts: login --add keeps the first account (not revoked), the new one is active",
  ignore: NO_LSOF !== undefined,
  async fn() {
    await using issuer = startFakeIssuer({ reuseDetection: true });
    await using h = await tempHome();
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
  },
});

Deno.test({
  name: ON + "accounts: the table marks the active account; no list yet says how to add one",
  ignore: NO_LSOF !== undefined,
  async fn() {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
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
});

Deno.test({
  name: ON + "switch: saves the active tokens as last rotated, writes the copy, loses nothing",
  ignore: NO_LSOF !== undefined,
  async fn() {
    await using issuer = startFakeIssuer({ reuseDetection: true });
    await using h = await tempHome();
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
  },
});

Deno.test({
  name: ON + "switch: an unknown or ambiguous ACCOUNT exits 2 listing candidates, nothing changed",
  ignore: NO_LSOF !== undefined,
  async fn() {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
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
});

Deno.test({
  name: ON + "switch: refused while a Codex holds files in the home; --force marks the old copy",
  ignore: NO_LSOF !== undefined,
  async fn() {
    await using issuer = startFakeIssuer({ reuseDetection: true });
    await using h = await tempHome();
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
  },
});

Deno.test(
  ON + "switch: without lsof granted it cannot tell, says so, and --force goes ahead",
  async () => {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await saveAuthFile(new CodexHome(h.home), issuer.signedInAuth());
    issuer.scenario.account = B;
    await using p = spawnCli(loginArgs(issuer.url, h.home, ["--add"]), {
      permissions: NO_RUN,
    });
    await browse(await p.waitFor(URL_LINE));
    assert.equal((await p.done()).code, 0);
    const refused = await cli(
      ["switch", "person@example.com", ...at(issuer, h.home)],
      NO_RUN,
    );
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /cannot tell whether Codex runs on this codex home: lsof is not granted \(run with --allow-run=lsof\)/,
    );
    const forced = await cli(
      ["switch", "person@example.com", "--force", ...at(issuer, h.home)],
      NO_RUN,
    );
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /could not tell whether Codex runs here/);
  },
);
