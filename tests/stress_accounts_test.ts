/**
 * The soak: two accounts signed in with `login --add` go through many alternating switches and
 * refreshes, by codex-login and by the real Codex (`codex app-server` forced refreshes and
 * `codex exec` proactive ones), against the fake issuer with OpenAI's reuse detection; at the
 * end no family is revoked and both accounts work, for codex-login and for Codex. Then the same
 * accounts with a Codex running beside codex-login the whole time: codex-login's guard keeps its
 * refreshes off every account that Codex may hold, and the soak counts how often a lock-free
 * Codex refresh met one of ours (and, for comparison, how often it does without the guard).
 *
 * `SOAK_ROUNDS` (default 30) and `SOAK_SEED` (default 29) choose the run, `CODEX_ACCOUNTS_BIN`
 * the Codex binary; the figures are printed.
 */
import assert from "node:assert/strict";
import { accountsHome } from "./support/account_docs.ts";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { CodexHome } from "../lib/store/codex_home.ts";
import { readAuthFile } from "../lib/store/file_store.ts";
import { CODEX_BIN, CODEX_MISSING } from "./support/codex_cli.ts";
import { codexWorld, startAppServer } from "./support/codex_app_server.ts";
import { type FakeChatGpt, startFakeChatGpt } from "./support/fake_chatgpt.ts";
import { type FakeAccount, type FakeIssuer, startFakeIssuer } from "./support/fake_issuer.ts";
import { browse } from "./support/helpers.ts";
import { BASE_PERMISSIONS, loginArgs, spawnCli } from "./support/cli_process.ts";

const HAVE_LSOF = await new Deno.Command("sh", { args: ["-c", "command -v lsof"] }).output()
  .then((o) => o.success, () => false);
/** The Codex binary (`CODEX_ACCOUNTS_BIN` runs the soak against another, e.g. 0.171.0). */
const BIN = Deno.env.get("CODEX_ACCOUNTS_BIN") ?? CODEX_BIN;
const SKIP = (BIN ? undefined : CODEX_MISSING) ?? (HAVE_LSOF ? undefined : "lsof is not installed");
if (SKIP) console.error(`SKIPPED accounts soak: ${SKIP}`);
const ROUNDS = Number(Deno.env.get("SOAK_ROUNDS") ?? 30);
const SEED = Number(Deno.env.get("SOAK_SEED") ?? 29);
const PERMISSIONS = [...BASE_PERMISSIONS, "--allow-run=lsof"];
const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/;
const A: FakeAccount = { email: "a@example.com", accountId: "acct_A", planType: "plus" };
const B: FakeAccount = { email: "b@example.com", accountId: "acct_B", planType: "pro" };
const LABELS = { a: "a@example.com", b: "personal" } as const;
const EMAILS = { a: "a@example.com", b: "b@example.com" } as const;
type Side = keyof typeof LABELS;

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface World {
  issuer: FakeIssuer;
  backend: FakeChatGpt;
  home: string;
}

async function cli(w: World, args: string[], permissions = PERMISSIONS) {
  await using p = spawnCli([...args, "--issuer", w.issuer.url, "--codex-home", w.home], {
    permissions,
  });
  return await p.done();
}

async function signIn(w: World, account: FakeAccount, extra: string[] = []): Promise<void> {
  w.issuer.scenario.account = account;
  await using p = spawnCli(loginArgs(w.issuer.url, w.home, extra), { permissions: PERMISSIONS });
  await browse(await p.waitFor(URL_LINE));
  const run = await p.done();
  assert.equal(run.code, 0, run.stderr);
}

/** Who sent each refresh the issuer answered: codex-login (its user agent) or Codex. */
function senders(issuer: FakeIssuer): ("ours" | "codex")[] {
  return issuer.tokenRequests("refresh_token").map((r) =>
    (r.headers.get("user-agent") ?? "").startsWith("codex-login/") ? "ours" : "codex"
  );
}

/** Refresh tokens presented more than once: races met (each revokes its family). */
function racesMet(issuer: FakeIssuer): { token: string; by: string[] }[] {
  const who = senders(issuer);
  const seen = new Map<string, string[]>();
  issuer.refreshAnswers.forEach((a, i) => {
    seen.set(a.refreshToken, [...(seen.get(a.refreshToken) ?? []), who[i]]);
  });
  return [...seen].filter(([, by]) => by.length > 1).map(([token, by]) => ({ token, by }));
}

function refused(issuer: FakeIssuer): string[] {
  return issuer.refreshAnswers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.code}`);
}

async function activeAuth(w: World): Promise<ChatGptAuth> {
  const auth = await readAuthFile(new CodexHome(w.home));
  assert.ok(auth?.auth_mode === "chatgpt");
  return auth;
}

/** `codex exec` on a short-lived access token: Codex refreshes it once (proactive) and works. */
async function codexExec(w: World): Promise<void> {
  w.issuer.scenario.accessTtlS = 120; // our refresh leaves a token inside Codex's 5-minute window
  assert.equal((await cli(w, ["refresh"])).code, 0);
  w.issuer.scenario.accessTtlS = 3600; // Codex's refresh gets a long one: it refreshes once
  const before = w.issuer.refreshAnswers.length;
  const out = await new Deno.Command(BIN!, {
    args: ["exec", "--skip-git-repo-check", ...w.backend.codexConfig(), "say hi"],
    env: codexWorld(w.home, w.issuer),
    clearEnv: true,
    cwd: w.home,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr).slice(-2000));
  assert.ok(w.issuer.refreshAnswers.length > before, "codex exec refreshed");
}

type Op = "switch" | "refresh" | "refresh-other" | "token" | "token-other" | "app" | "exec";
const OPS: Op[] = [
  "switch",
  "switch",
  "refresh",
  "refresh-other",
  "token",
  "token-other",
  "app",
  "exec",
];

/** One step of the soak; returns the side now active. */
async function step(w: World, op: Op, active: Side): Promise<Side> {
  const other: Side = active === "a" ? "b" : "a";
  const expectOk = async (args: string[]) => {
    const run = await cli(w, args);
    assert.equal(run.code, 0, `${args.join(" ")}: ${run.stderr}`);
  };
  switch (op) {
    case "switch":
      await expectOk(["switch", LABELS[other]]);
      return other;
    case "refresh":
      await expectOk(["refresh"]);
      break;
    case "refresh-other":
      await expectOk(["refresh", "--account", LABELS[other]]);
      break;
    case "token":
      await expectOk(["token"]);
      break;
    case "token-other":
      await expectOk(["token", "--account", LABELS[other]]);
      break;
    case "app": {
      await using app = await startAppServer(w.home, w.issuer, w.backend, BIN);
      assert.equal(await app.forceRefresh(), EMAILS[active], "Codex refreshed the active account");
      break;
    }
    case "exec":
      await codexExec(w);
      break;
  }
  return active;
}

async function world(): Promise<World & AsyncDisposable> {
  const issuer = startFakeIssuer({ reuseDetection: true, accessTtlS: 3600 });
  const backend = startFakeChatGpt(issuer);
  const h = await accountsHome();
  const w = { issuer, backend, home: h.home };
  await signIn(w, A);
  await signIn(w, B, ["--add", "--label", LABELS.b]);
  return Object.assign(w, {
    async [Symbol.asyncDispose]() {
      await backend.close();
      await issuer.close();
      await h[Symbol.asyncDispose]();
    },
  });
}

Deno.test({
  name:
    `soak: ${ROUNDS} rounds of switches and refreshes by codex-login and the real Codex, one after another`,
  ignore: SKIP !== undefined,
  async fn() {
    await using w = await world();
    const next = random(SEED);
    let active: Side = "b";
    const done: Op[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const op = OPS[Math.floor(next() * OPS.length)];
      done.push(op);
      active = await step(w, op, active);
      assert.deepEqual(refused(w.issuer), [], `after ${done.join(", ")}`);
      const auth = await activeAuth(w);
      assert.equal(w.issuer.accessTokenAccount(auth.tokens.access_token)?.email, EMAILS[active]);
      assert.equal(
        auth.tokens.account_id,
        auth.tokens.account_id && `acct_${active.toUpperCase()}`,
      );
    }
    // Both accounts still work, for codex-login and for Codex.
    for (const side of ["a", "b"] as const) {
      assert.equal((await cli(w, ["switch", LABELS[side]])).code, 0);
      await using app = await startAppServer(w.home, w.issuer, w.backend, BIN);
      assert.equal(await app.forceRefresh(), EMAILS[side]);
      await app.stop();
      const token = await cli(w, ["refresh", "--account", LABELS[side]]);
      assert.equal(token.code, 0, token.stderr);
    }
    assert.deepEqual(refused(w.issuer), []);
    assert.deepEqual(racesMet(w.issuer), [], "no refresh token was presented twice");
    const who = senders(w.issuer);
    const count = (op: Op) => done.filter((d) => d === op).length;
    console.log(
      `soak (seed ${SEED}): ${ROUNDS} rounds, ${count("switch") + 2} switches, ${
        who.filter((s) => s === "ours").length
      } refreshes by codex-login, ${who.filter((s) => s === "codex").length} by Codex (${
        count("app") + 2
      } app-server, ${count("exec")} exec), races met: ${
        racesMet(w.issuer).length
      }, families revoked: 0`,
    );
  },
});

/** Codex refreshing over and over while `fn` runs; how many refreshes it made. */
async function withBusyCodex(w: World, fn: () => Promise<void>): Promise<number> {
  await using app = await startAppServer(w.home, w.issuer, w.backend, BIN);
  await app.heldEmail();
  let stop = false;
  let refreshes = 0;
  const loop = (async () => {
    while (!stop) {
      if (await app.forceRefresh()) refreshes++;
      else break; // its session ended (the unguarded measurement)
    }
  })();
  try {
    await fn();
  } finally {
    stop = true;
    await loop;
  }
  return refreshes;
}

Deno.test({
  name:
    "soak: a Codex refreshing the whole time beside codex-login: the guard keeps every race away",
  ignore: SKIP !== undefined,
  async fn() {
    await using w = await world();
    const results: Record<string, number[]> = {};
    const codex = await withBusyCodex(w, async () => {
      for (let i = 0; i < 4; i++) {
        for (
          const [name, args] of [
            ["refresh", ["refresh"]],
            ["token", ["token"]],
            ["switch", ["switch", LABELS.a]],
            ["refresh-other", ["refresh", "--account", LABELS.a]],
            ["token-other", ["token", "--account", LABELS.a]],
          ] as const
        ) {
          const run = await cli(w, [...args]);
          (results[name] ??= []).push(run.code);
        }
      }
    });
    assert.deepEqual(results, {
      refresh: [1, 1, 1, 1], // refused: the running Codex refreshes B itself
      token: [0, 0, 0, 0], // B's unexpired access token, not refreshed
      switch: [1, 1, 1, 1], // refused: Codex runs
      "refresh-other": [0, 0, 0, 0], // A is not held by that Codex
      "token-other": [0, 0, 0, 0],
    });
    assert.deepEqual(refused(w.issuer), []);
    assert.deepEqual(racesMet(w.issuer), []);
    const ours = senders(w.issuer).filter((s) => s === "ours").length;
    console.log(
      `busy Codex beside codex-login, guarded: ${codex} Codex refreshes, ${ours} codex-login refreshes (of the other account), races met: 0`,
    );
  },
});

Deno.test({
  name: "soak, for comparison: without lsof granted nothing tells codex-login a Codex runs",
  ignore: SKIP !== undefined,
  async fn() {
    await using w = await world();
    const codes: number[] = [];
    let codex = 0;
    codex = await withBusyCodex(w, async () => {
      for (let i = 0; i < 12; i++) {
        codes.push((await cli(w, ["refresh"], [...BASE_PERMISSIONS])).code);
        if (racesMet(w.issuer).length > 0) break;
      }
    });
    const met = racesMet(w.issuer);
    const ours = senders(w.issuer).filter((s) => s === "ours").length;
    console.log(
      `busy Codex beside codex-login, unguarded: ${codex} Codex refreshes, ${ours} codex-login refreshes, races met: ${met.length}`,
    );
    // codex-login never presents a token twice itself: every race met is one of ours against
    // one of Codex's. When ours came second (the spent token), it ends the session (exit 1)
    // instead of retrying; when Codex's came second, ours had succeeded (and the issuer then
    // revoked the whole family, as OpenAI does).
    for (const race of met) assert.deepEqual([...race.by].sort(), ["codex", "ours"]);
    if (met.length > 0 && met[0].by[1] === "ours") assert.equal(codes.at(-1), 1);
    assert.ok(ours > 0 && codex > 0, "both refreshed during the run");
  },
});
