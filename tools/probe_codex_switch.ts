/**
 * Probe: what a RUNNING Codex CLI does when the active account in its codex home changes
 * under it (issue 29). Runs the real Codex binary against the repo's fake issuer (rotating
 * refresh tokens with reuse detection and family revocation) and a fake ChatGPT backend on
 * loopback, and prints a structured verdict per scenario and per Codex binary. Tokens are never
 * printed: each is named by its account and family (`A#1` = account A, family 1). The set-up is
 * the tests': fake_issuer.ts, fake_chatgpt.ts, codex_app_server.ts (`codex app-server` over
 * stdio, the environment Codex runs with) and account_docs.ts (accounts A, B and C, sign-ins)
 * under tests/support/.
 *
 *   node_modules/.bin/deno run --allow-read --allow-write --allow-env --allow-net=127.0.0.1 \
 *     --allow-run tools/probe_codex_switch.ts [--codex PATH]... [--only NAME,...] [--json]
 *
 * `--codex` defaults to the Codex binary tests/package.json pins (installed in tests/node_modules
 * by `make test-tools`); give it more than once to compare versions (e.g. 0.169.0 and 0.171.0
 * installed with npm into scratch directories).
 *
 * The detector on its own (what a switcher would ship), with the grants it needs:
 *
 *   deno run --allow-read=/proc,HOME tools/probe_codex_switch.ts --detect HOME          (Linux)
 *   deno run --allow-read=HOME --allow-run=lsof tools/probe_codex_switch.ts --detect HOME --lsof
 *
 * Scenarios (all with access tokens that live 120 s, inside Codex's 5-minute proactive window,
 * so every `auth()` inside Codex refreshes unless said otherwise):
 *   idle-switch-other       app-server holds A; auth.json replaced by B (other workspace)
 *   idle-switch-same        app-server holds A; replaced by C (A's workspace, another user)
 *   no-reread               as idle-switch-same with 1-hour tokens: does Codex re-read at all?
 *   switch-back[-refreshed] A -> B -> A from the copy saved at the switch (refreshed by the
 *                           switcher while B was active): the path that loses nothing
 *   race                    auth.json changed while Codex's refresh is in flight (one run per
 *                           kind of change): does Codex commit, abort, or mix?
 *   race-then-restore       the switcher's copy of A (taken during that race) restored later
 *   stale-restore           an older copy of A restored after Codex refreshed A
 *   invalidated             A's family revoked at the issuer while Codex holds A
 *   exec-401                `codex exec`: the model answers 401 after a switch to B mid-turn
 *   detect                  what a running exec / app-server keeps open; the detector's answer
 *   auto-store              cli_auth_credentials_store=auto: keyring or file first; where the
 *                           refresh writes (needs dbus-daemon, gnome-keyring, secret-tool)
 *
 * @module
 */

import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { ACCOUNT_A, ACCOUNT_B, ACCOUNT_C, signedIn } from "../tests/support/account_docs.ts";
import { CODEX_BIN } from "../tests/support/codex_cli.ts";
import {
  type Answer,
  CodexAppServer,
  codexWorld,
  startAppServer,
} from "../tests/support/codex_app_server.ts";
import { FakeChatGpt } from "../tests/support/fake_chatgpt.ts";
import {
  type FakeAccount,
  type FakeIssuer,
  startFakeIssuer,
} from "../tests/support/fake_issuer.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Verdict = { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value.a.b...` when every step is an object, else undefined. */
function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The claims of a JWT (unverified), or undefined. */
function claims(token: string): Record<string, unknown> | undefined {
  try {
    const body = token.split(".")[1] ?? "";
    const value: unknown = JSON.parse(
      new TextDecoder().decode(Uint8Array.fromBase64(body, { alphabet: "base64url" })),
    );
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- auth.json, as the report shows it ------------------------------------------------------

/** A token's name in reports: `A#1` (account letter, family), `:revoked` when its family is. */
function label(issuer: FakeIssuer, token: unknown, state = true): string {
  if (typeof token !== "string" || token === "") return "none";
  const family = issuer.familyOf(token);
  if (!family) return "unknown";
  const letter = (family.account?.email ?? "?").slice(0, 1).toUpperCase();
  return `${letter}#${family.id}${state && family.revoked ? ":revoked" : ""}`;
}

/** Replace auth.json the way a switcher would: a private temporary file renamed over it. */
async function writeAuth(home: string, doc: unknown): Promise<void> {
  const temp = `${home}/.probe-switch.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(doc, null, 2), { mode: 0o600 });
  await Deno.rename(temp, `${home}/auth.json`);
}

async function readAuthText(home: string): Promise<string | undefined> {
  return await Deno.readTextFile(`${home}/auth.json`).catch(() => undefined);
}

/** auth.json as the report shows it: accounts and token families, never a token. */
async function disk(issuer: FakeIssuer, home: string): Promise<Verdict> {
  const raw = await readAuthText(home);
  if (raw === undefined) return { present: false };
  const doc: unknown = JSON.parse(raw);
  const tokens = at(doc, "tokens");
  const id = claims(text(at(tokens, "id_token")) ?? "");
  const idAccount = text(at(id, "https://api.openai.com/auth", "chatgpt_account_id")) ?? null;
  const names = ["id_token", "access_token", "refresh_token"].map((k) =>
    label(issuer, at(tokens, k))
  );
  const families = new Set(names.map((n) => n.replace(":revoked", "")));
  const accountId = text(at(tokens, "account_id")) ?? null;
  return {
    present: true,
    top_level: isObject(doc) ? Object.keys(doc) : [],
    account_id: accountId,
    id_token_account: idAccount,
    id_token_email: text(at(id, "email")) ?? null,
    login_owner_id: (text(at(tokens, "login_owner_id")) ?? "").slice(0, 6) || null,
    tokens: { id: names[0], access: names[1], refresh: names[2] },
    refresh_token_live: issuer.refreshTokens.get(text(at(tokens, "refresh_token")) ?? "") ??
      null,
    OPENAI_API_KEY: text(at(doc, "OPENAI_API_KEY")) ?? null,
    mixed: accountId !== idAccount || families.size !== 1,
  };
}

/** The refreshes the issuer answered since index `from`: token presented and answer. */
function refreshesSince(issuer: FakeIssuer, from: number): Json[] {
  return issuer.refreshAnswers.slice(from).map((a, i) => {
    const request = issuer.tokenRequests("refresh_token")[from + i];
    return `${request?.params.refresh_reason ?? "no refresh_reason (not Codex)"}: ${
      label(issuer, a.refreshToken, false)
    } -> ${a.status === 200 ? "200" : `${a.status} ${a.code}`}`;
  });
}

// --- One world per scenario; what Codex said ------------------------------------------------

/** What Codex logged about reloads, commits and refresh failures (its own words). */
function codexSaid(stderr: string): Json[] {
  const plain = stderr.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  const patterns = [
    /Skipping auth reload due to account id mismatch \(expected: \S+, found: [^)]+\)/g,
    /Skipping token refresh because auth changed after guarded reload\./g,
    /Account credentials changed during refresh\./g,
    /Credentials changed before refresh commit\./g,
    /Token data is not available\./g,
    /Your access token could not be refreshed because [^.]*\./g,
  ];
  const seen: string[] = [];
  for (const pattern of patterns) {
    for (const match of plain.matchAll(pattern)) {
      if (!seen.includes(match[0])) seen.push(match[0]);
    }
  }
  return seen;
}

/** Wait until Codex has sent no refresh for a while (its start-up refreshes are over). */
async function settle(issuer: FakeIssuer): Promise<void> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const now = issuer.refreshAnswers.length;
    if (now === last) return;
    last = now;
    await sleep(400);
  }
}

/** Everything one scenario needs: a fresh home, issuer, backend; stopped by `close`. */
async function world(ttlS = 120) {
  const home = await Deno.makeTempDir({ prefix: "probe-codex-home-" });
  const issuer = startFakeIssuer({ accessTtlS: ttlS, reuseDetection: true });
  const backend = new FakeChatGpt(issuer);
  backend.model = "hold"; // the model holds every turn open, unless a scenario says 401
  return {
    home,
    issuer,
    backend,
    ttlS,
    async close(): Promise<void> {
      await backend.close();
      await issuer.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}
type World = Awaited<ReturnType<typeof world>>;

/** An app-server holding `account`, settled. */
async function appServerHolding(bin: string, w: World, account: FakeAccount) {
  const doc = signedIn(w.issuer, account, w.ttlS);
  await writeAuth(w.home, doc);
  const app = await startAppServer(w.home, w.issuer, w.backend, bin);
  await app.heldEmail();
  await settle(w.issuer);
  return app;
}

/**
 * Start a refresh (`trigger`), and once its request reached the issuer (the token is spent,
 * the answer held), run `act`; then let the answer through and wait for Codex's reply.
 */
async function duringRefresh(
  issuer: FakeIssuer,
  trigger: () => Promise<Answer>,
  act: () => Promise<void>,
): Promise<Answer> {
  const before = issuer.refreshAnswers.length;
  const hold = Promise.withResolvers<void>();
  issuer.refreshHold = hold.promise;
  const reply = trigger();
  const deadline = Date.now() + 30_000;
  while (issuer.refreshAnswers.length === before && Date.now() < deadline) await sleep(20);
  issuer.refreshHold = undefined;
  await act();
  hold.resolve();
  return await reply;
}

/** The token family the last usage request (`/wham/usage`) carried. */
function usageSentAs(w: World): Json {
  const usage = w.backend.requests.filter((r) => r.path.endsWith("/wham/usage")).at(-1);
  return usage
    ? `${label(w.issuer, usage.token)} (ChatGPT-Account-Id ${usage.accountHeader})`
    : null;
}

// --- Scenarios ------------------------------------------------------------------------------

async function idleSwitch(bin: string, to: FakeAccount, ttlS: number): Promise<Verdict> {
  const w = await world(ttlS);
  try {
    const app = await appServerHolding(bin, w, ACCOUNT_A);
    const before = w.issuer.refreshAnswers.length;
    const written = signedIn(w.issuer, to, ttlS);
    await writeAuth(w.home, written);
    const heldAfterSwitch = await app.heldEmail();
    const rateLimits = await app.call("account/rateLimits/read", {});
    const usage = usageSentAs(w);
    const forced = await app.call("account/read", { refreshToken: true });
    await settle(w.issuer);
    const after = await disk(w.issuer, w.home);
    await app.stop();
    return {
      wrote: `${label(w.issuer, written.tokens.refresh_token)} (${to.email}, ${to.accountId})`,
      held_after_switch: heldAfterSwitch,
      usage_request_sent_as: usage,
      rate_limits: rateLimits.error ?? "ok",
      held_after_forced_refresh: text(at(forced.result, "account", "email")) ?? null,
      refreshes_after_switch: refreshesSince(w.issuer, before),
      auth_json_after: after,
      switch_undone: at(after, "account_id") === ACCOUNT_A.accountId &&
        to.accountId !== ACCOUNT_A.accountId,
      codex_said: codexSaid(app.stderr),
    };
  } finally {
    await w.close();
  }
}

/** Refresh a saved copy directly at the issuer (as a switcher's `refresh --account` would). */
async function refreshCopy(issuer: FakeIssuer, copy: ChatGptAuth): Promise<ChatGptAuth> {
  const answer = await fetch(`${issuer.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_id: issuer.clientId,
      grant_type: "refresh_token",
      refresh_token: copy.tokens.refresh_token,
    }),
  });
  const body: unknown = await answer.json();
  const token = (name: string) => text(at(body, name)) ?? "";
  if (!answer.ok) throw new Error(`refreshing the saved copy: ${answer.status}`);
  return {
    ...copy,
    tokens: {
      ...copy.tokens,
      id_token: token("id_token"),
      access_token: token("access_token"),
      refresh_token: token("refresh_token"),
    },
    last_refresh: new Date().toISOString(),
  };
}

/**
 * The safe path: A -> B -> A with the copy of A saved at the switch (optionally refreshed by
 * the switcher while B was active), no refresh in flight at either switch.
 */
async function switchBack(bin: string, refreshWhileAway: boolean): Promise<Verdict> {
  const w = await world();
  try {
    const app = await appServerHolding(bin, w, ACCOUNT_A);
    const mark = w.issuer.refreshAnswers.length;
    let savedA: ChatGptAuth = JSON.parse((await readAuthText(w.home)) ?? "{}");
    await writeAuth(w.home, signedIn(w.issuer, ACCOUNT_B, w.ttlS));
    await app.call("account/rateLimits/read", {});
    if (refreshWhileAway) savedA = await refreshCopy(w.issuer, savedA);
    await writeAuth(w.home, savedA);
    await app.call("account/rateLimits/read", {});
    const usage = usageSentAs(w);
    await app.call("account/read", { refreshToken: true });
    await settle(w.issuer);
    const held = await app.heldEmail();
    const after = await disk(w.issuer, w.home);
    await app.stop();
    return {
      saved_copy_refreshed_while_B_was_active: refreshWhileAway,
      refreshes: refreshesSince(w.issuer, mark),
      usage_after_switch_back_sent_as: usage,
      held_afterwards: held,
      auth_json_after: after,
      any_family_revoked: [...w.issuer.refreshTokens.keys()].some((t) =>
        w.issuer.familyOf(t)?.revoked === true
      ),
      codex_said: codexSaid(app.stderr),
    };
  } finally {
    await w.close();
  }
}

/** The kinds of change a race can meet: what is in auth.json when Codex's answer arrives. */
const RACE_CHANGES: Record<string, (w: World, current: ChatGptAuth) => ChatGptAuth | undefined> = {
  "switched to B (other workspace)": (w) => signedIn(w.issuer, ACCOUNT_B, w.ttlS),
  "switched to C (A's workspace, other person)": (w) => signedIn(w.issuer, ACCOUNT_C, w.ttlS),
  "A signed in again (new family, new owner id)": (w) => signedIn(w.issuer, ACCOUNT_A, w.ttlS),
  "only login_owner_id changed": (_w, c) => ({
    ...c,
    tokens: { ...c.tokens, login_owner_id: "changed-owner-id" },
  }),
  "only tokens.account_id changed": (_w, c) => ({
    ...c,
    tokens: { ...c.tokens, account_id: "acct_Z" },
  }),
  "only access_token changed": (w, c) => ({
    ...c,
    tokens: { ...c.tokens, access_token: w.issuer.issueTokensFor(ACCOUNT_A).access_token },
  }),
  "only id_token changed": (w, c) => ({
    ...c,
    tokens: { ...c.tokens, id_token: w.issuer.issueTokensFor(ACCOUNT_A).id_token },
  }),
  "only last_refresh changed": (_w, c) => ({ ...c, last_refresh: "2026-01-01T00:00:00Z" }),
  "only OPENAI_API_KEY changed": (_w, c) => ({ ...c, OPENAI_API_KEY: "sk-proj-probe0123456789" }),
  "an unknown top-level field added": (_w, c) => ({ ...c, probe_extra: true }),
  "auth.json deleted": () => undefined,
};

async function race(bin: string, change: string): Promise<Verdict> {
  const w = await world();
  try {
    const app = await appServerHolding(bin, w, ACCOUNT_A);
    const before = w.issuer.refreshAnswers.length;
    let written: ChatGptAuth | undefined;
    const reply = await duringRefresh(
      w.issuer,
      () => app.call("account/read", { refreshToken: true }),
      async () => {
        const current: ChatGptAuth = JSON.parse((await readAuthText(w.home)) ?? "{}");
        written = RACE_CHANGES[change](w, current);
        if (written === undefined) await Deno.remove(`${w.home}/auth.json`);
        else await writeAuth(w.home, written);
      },
    );
    await sleep(300);
    const raw = await readAuthText(w.home);
    const codexWrote = raw !== undefined &&
      (written === undefined || JSON.stringify(JSON.parse(raw).tokens) !==
          JSON.stringify(written.tokens));
    const after = await disk(w.issuer, w.home);
    const held = await app.heldEmail();
    await app.stop();
    return {
      change,
      refresh_in_flight: refreshesSince(w.issuer, before).slice(0, 1),
      codex_committed: codexWrote,
      held_afterwards: held ?? (reply.error ?? null),
      auth_json_after: after,
      kept_unknown_field: raw?.includes("probe_extra") ?? false,
      codex_said: codexSaid(app.stderr),
    };
  } finally {
    await w.close();
  }
}

async function raceThenRestore(bin: string): Promise<Verdict> {
  const w = await world();
  try {
    const app = await appServerHolding(bin, w, ACCOUNT_A);
    const before = w.issuer.refreshAnswers.length;
    let savedA = "";
    await duringRefresh(
      w.issuer,
      () => app.call("account/read", { refreshToken: true }),
      async () => {
        // The switcher, under the locks, saves A's current tokens and writes B.
        savedA = (await readAuthText(w.home)) ?? "";
        await writeAuth(w.home, signedIn(w.issuer, ACCOUNT_B, w.ttlS));
      },
    );
    await sleep(300);
    const savedCopy = JSON.parse(savedA);
    const liveA = [...w.issuer.refreshTokens].filter(([token, live]) =>
      live && w.issuer.familyOf(token)?.account?.email === ACCOUNT_A.email
    ).map(([token]) => token);
    const onDisk = text(
      at(JSON.parse((await readAuthText(w.home)) ?? "{}"), "tokens", "refresh_token"),
    );
    const savedCopyLive = w.issuer.refreshTokens.get(savedCopy.tokens.refresh_token) ?? null;
    const afterRace = await disk(w.issuer, w.home);
    // Later: switch back to A from the saved copy, while the same Codex still runs.
    const mark = w.issuer.refreshAnswers.length;
    await writeAuth(w.home, savedCopy);
    const forced = await app.call("account/read", { refreshToken: true });
    const again = w.issuer.refreshAnswers.length;
    await app.call("account/rateLimits/read", {});
    await app.call("account/read", { refreshToken: true });
    const retries = w.issuer.refreshAnswers.length - again;
    const after = await disk(w.issuer, w.home);
    await app.stop();
    return {
      in_flight_refresh: refreshesSince(w.issuer, before).slice(0, 1),
      auth_json_after_race: afterRace,
      saved_copy_of_A_refresh_token_live: savedCopyLive,
      live_A_refresh_tokens_at_issuer: liveA.length,
      live_A_refresh_token_in_saved_copy_or_auth_json: liveA.some((t) =>
        t === savedCopy.tokens.refresh_token || t === onDisk
      ),
      after_restoring_saved_A: {
        refreshes: refreshesSince(w.issuer, mark),
        account_read_after: isObject(forced.result)
          ? (text(at(forced.result, "account", "email")) ?? null)
          : null,
        refresh_requests_on_later_calls: retries,
        auth_json: after,
      },
      codex_said: codexSaid(app.stderr),
    };
  } finally {
    await w.close();
  }
}

async function staleRestore(bin: string): Promise<Verdict> {
  const w = await world();
  try {
    const app = await appServerHolding(bin, w, ACCOUNT_A);
    const stale = (await readAuthText(w.home)) ?? "";
    await app.call("account/read", { refreshToken: true }); // Codex rotates A's tokens
    await settle(w.issuer);
    await writeAuth(w.home, signedIn(w.issuer, ACCOUNT_B, w.ttlS));
    await app.call("account/read", {});
    const mark = w.issuer.refreshAnswers.length;
    await writeAuth(w.home, JSON.parse(stale)); // back to A from a copy older than Codex's
    await app.call("account/rateLimits/read", {});
    await app.call("account/read", { refreshToken: true });
    const after = await disk(w.issuer, w.home);
    const held = await app.heldEmail();
    await app.stop();
    return {
      restored: `${label(w.issuer, JSON.parse(stale).tokens.refresh_token, false)}, spent by Codex`,
      refreshes_after_restore: refreshesSince(w.issuer, mark),
      held_afterwards: held,
      auth_json_after: after,
      codex_said: codexSaid(app.stderr),
    };
  } finally {
    await w.close();
  }
}

async function invalidated(bin: string): Promise<Verdict> {
  const w = await world();
  try {
    const app = await appServerHolding(bin, w, ACCOUNT_A);
    const raw = (await readAuthText(w.home)) ?? "";
    const family = w.issuer.familyOf(JSON.parse(raw).tokens.refresh_token);
    if (family) family.revoked = true; // e.g. another program presented a spent A token
    const mark = w.issuer.refreshAnswers.length;
    const forced = await app.call("account/read", { refreshToken: true });
    await app.call("account/rateLimits/read", {});
    await app.call("account/read", { refreshToken: true });
    const after = await readAuthText(w.home);
    await app.stop();
    return {
      refreshes: refreshesSince(w.issuer, mark),
      account_read_after: isObject(forced.result)
        ? (text(at(forced.result, "account", "email")) ?? null)
        : null,
      auth_json_unchanged: after === raw,
      codex_said: codexSaid(app.stderr),
    };
  } finally {
    await w.close();
  }
}

async function exec401(bin: string): Promise<Verdict> {
  const w = await world(3600);
  try {
    await writeAuth(w.home, signedIn(w.issuer, ACCOUNT_A, w.ttlS));
    w.backend.model = "401";
    let wrote = "";
    w.backend.onFirstModelRequest = async () => {
      const b = signedIn(w.issuer, ACCOUNT_B, w.ttlS);
      wrote = label(w.issuer, b.tokens.refresh_token);
      await writeAuth(w.home, b);
    };
    const child = new Deno.Command(bin, {
      args: ["exec", "--skip-git-repo-check", ...w.backend.codexConfig(), "say hi"],
      env: codexWorld(w.home, w.issuer),
      clearEnv: true,
      cwd: w.home,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    const out = await child.output();
    clearTimeout(timer);
    const stderr = new TextDecoder().decode(out.stderr);
    const model = w.backend.requests.filter((r) => r.path.endsWith("/codex/responses"));
    return {
      switched_to: wrote,
      model_requests: model.map((r) => label(w.issuer, r.token)),
      refreshes: refreshesSince(w.issuer, 0),
      exit_code: out.code,
      auth_json_after: await disk(w.issuer, w.home),
      error_printed: stderr.split("\n").find((l) => l.startsWith("ERROR:")) ?? null,
      codex_said: codexSaid(stderr),
    };
  } finally {
    await w.close();
  }
}

// --- Detection ------------------------------------------------------------------------------

/** A process found using a codex home, and how it was found. */
interface Holder {
  pid: number;
  exe: string | null;
  evidence: string[];
}

/** `maj:min:ino` as /proc/locks prints it, for a file's stat. */
function lockKey(info: Deno.FileInfo): string | undefined {
  if (info.dev === null || info.ino === null) return undefined;
  const dev = BigInt(info.dev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  return `${hex(major)}:${hex(minor)}:${info.ino}`;
}

/**
 * Linux: which processes use this codex home. Three sources, each needing only
 * `--allow-read=/proc` (plus the home): /proc/locks (world-readable; Codex's SQLite databases
 * in the home carry POSIX locks for the life of every Codex process, of any user), the fd
 * links of the caller's own processes (/proc/PID/fd), and the CODEX_HOME (or HOME/.codex) in
 * the environment of the caller's own processes whose executable is named `codex`.
 */
export async function detectCodexLinux(codexHome: string): Promise<Holder[]> {
  const home = await Deno.realPath(codexHome);
  const found = new Map<number, Holder>();
  const note = (pid: number, evidence: string) => {
    const holder = found.get(pid) ?? { pid, exe: null, evidence: [] };
    if (!holder.evidence.includes(evidence)) holder.evidence.push(evidence);
    found.set(pid, holder);
  };
  const byKey = new Map<string, string>();
  for await (const entry of Deno.readDir(home)) {
    if (!entry.isFile) continue;
    const info = await Deno.stat(`${home}/${entry.name}`).catch(() => undefined);
    const key = info && lockKey(info);
    if (key) byKey.set(key, entry.name);
  }
  const locks = await Deno.readTextFile("/proc/locks").catch(() => "");
  for (const line of locks.split("\n")) {
    const m = /^\d+: (FLOCK|POSIX|OFDLCK)\s+\S+\s+(READ|WRITE)\s+(-?\d+) (\S+) /.exec(line);
    const name = m && byKey.get(m[4]);
    if (m && name && Number(m[3]) > 0) note(Number(m[3]), `${m[1]} ${m[2]} lock on ${name}`);
  }
  for await (const proc of Deno.readDir("/proc")) {
    const pid = Number(proc.name);
    if (!Number.isInteger(pid) || pid === Deno.pid) continue;
    const exe = await Deno.readLink(`/proc/${pid}/exe`).catch(() => null);
    try {
      for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
        const target = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "");
        if (target.startsWith(`${home}/`)) note(pid, `open: ${target.slice(home.length + 1)}`);
      }
    } catch {
      // another user's process: its fds are not ours to read
    }
    if (exe && /\/codex( \(deleted\))?$/.test(exe)) {
      const environ = await Deno.readTextFile(`/proc/${pid}/environ`).catch(() => "");
      const vars = new Map(
        environ.split("\0").map((
          kv,
        ) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      );
      const cwd = await Deno.readLink(`/proc/${pid}/cwd`).catch(() => "/");
      const named = vars.get("CODEX_HOME") ??
        (vars.has("HOME") ? `${vars.get("HOME")}/.codex` : undefined);
      if (named) {
        const absolute = named.startsWith("/") ? named : `${cwd}/${named}`;
        const real = await Deno.realPath(absolute).catch(() => absolute);
        if (real === home) note(pid, `codex process with CODEX_HOME=${named}`);
      }
    }
    const holder = found.get(pid);
    if (holder) holder.exe = exe;
  }
  return [...found.values()].sort((a, b) => a.pid - b.pid);
}

/**
 * macOS (and Linux): `lsof -n -w -F pcn +d HOME` lists the processes with files open directly
 * in the home (Codex's SQLite databases are). Needs `--allow-run=lsof`; lsof shows only the
 * caller's own processes unless run as root.
 */
export async function detectCodexLsof(codexHome: string): Promise<Holder[]> {
  const home = await Deno.realPath(codexHome);
  const dirs = [home];
  if (await Deno.stat(`${home}/log`).then((i) => i.isDirectory, () => false)) {
    dirs.push(`${home}/log`); // a waiting `codex login` holds only log/codex-login.log
  }
  const out = await new Deno.Command("lsof", {
    args: ["-n", "-w", "-F", "pcfn", ...dirs.flatMap((d) => ["+d", d])],
    stdout: "piped",
    stderr: "null",
  }).output();
  const found: Holder[] = [];
  let current: Holder | undefined;
  let fd = "";
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (line.startsWith("p")) {
      current = { pid: Number(line.slice(1)), exe: null, evidence: [] };
      if (current.pid !== Deno.pid) found.push(current);
    } else if (line.startsWith("c") && current) {
      current.exe = line.slice(1);
    } else if (line.startsWith("f")) {
      fd = line.slice(1);
    } else if (line.startsWith("n") && current && !["cwd", "rtd"].includes(fd)) {
      // A shell whose working directory is the home is not a Codex.
      current.evidence.push(`open: ${line.slice(1).replace(`${home}/`, "")}`);
    }
  }
  return found.filter((h) => h.evidence.length > 0);
}

async function runDetector(home: string, lsof: boolean): Promise<Json> {
  const holders = lsof
    ? await detectCodexLsof(home)
    : Deno.build.os === "linux"
    ? await detectCodexLinux(home)
    : await detectCodexLsof(home);
  return holders.map((h) => ({ pid: h.pid, exe: h.exe, evidence: h.evidence }));
}

/** Our uid (`id -u`: Deno.uid() would need --allow-sys). */
async function myUid(): Promise<number> {
  const out = await new Deno.Command("id", { args: ["-u"], stdout: "piped" }).output();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

/** Run `argv` as uid 65534 when we are root (else as ourselves); stdout, or stderr if none. */
async function asOtherUser(argv: string[], env: Record<string, string>): Promise<string> {
  const root = (await myUid()) === 0;
  const [cmd, ...args] = root
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...argv]
    : argv;
  const out = await new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  return stdout.trim() ? stdout : new TextDecoder().decode(out.stderr);
}

/** The Codex processes a switcher must notice, each started in its own codex home. */
const KINDS = ["exec mid-turn", "app-server idle", "TUI idle", "login --device-auth waiting"];

/** One Codex of `kind` running as `asUser` on `w.home`; resolves once it is doing its thing. */
async function startKind(
  bin: string,
  kind: string,
  w: World,
  asUser: string[],
): Promise<Deno.ChildProcess> {
  const env = codexWorld(w.home, w.issuer, { RUST_LOG: "error", TERM: "xterm" });
  const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
  const argv = kind === "exec mid-turn"
    ? [bin, "exec", "--skip-git-repo-check", ...w.backend.codexConfig(), "say hi"]
    : kind === "app-server idle"
    ? [bin, "app-server", ...w.backend.codexConfig()]
    : kind === "TUI idle"
    ? ["script", "-qfc", [bin, ...w.backend.codexConfig()].map(quote).join(" "), "/dev/null"]
    : [bin, "login", "--device-auth", "--experimental_issuer", w.issuer.url];
  const [cmd, ...args] = [...asUser, ...argv];
  let modelSeen = false;
  w.backend.onFirstModelRequest = () => {
    modelSeen = true;
    return Promise.resolve();
  };
  const child = new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    cwd: w.home,
    stdin: kind === "exec mid-turn" ? "null" : "piped",
    stdout: "null",
    stderr: Deno.env.get("PROBE_DEBUG") ? "inherit" : "null",
  }).spawn();
  const ready = () =>
    kind === "exec mid-turn"
      ? modelSeen
      : kind === "login --device-auth waiting"
      ? w.issuer.requestsTo("/api/accounts/deviceauth/token").length > 0
      : false;
  const deadline = Date.now() + (ready() || kind.endsWith("idle") ? 5000 : 60_000);
  while (!ready() && Date.now() < deadline) await sleep(200);
  await sleep(1000);
  return child;
}

/** A detector's answer, short: each process with its first pieces of evidence. */
function shortly(output: string): Json {
  try {
    const value: unknown = JSON.parse(output);
    if (!Array.isArray(value)) return output.trim().split("\n").at(-1) ?? null;
    return value.map((h: unknown) => {
      const evidence = at(h, "evidence");
      const unique = Array.isArray(evidence) ? [...new Set(evidence.map(String))].sort() : [];
      return {
        pid: Number(at(h, "pid")),
        exe: text(at(h, "exe")) ?? null,
        evidence: [
          ...unique.slice(0, 8),
          ...(unique.length > 8 ? [`+${unique.length - 8} more`] : []),
        ],
      };
    });
  } catch {
    return output.trim().split("\n").find((l) => /error|NotCapable/i.test(l))?.trim() ??
      (output.trim() || null);
  }
}

interface DetectContext {
  root: boolean;
  asUser: string[];
  self: string;
  haveLsof: boolean;
}

/** Stop a child if it still runs. */
async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // already gone
  }
  await child.status;
}

/** One kind of running Codex, and what each detector sees of it and after it. */
async function detectKind(bin: string, kind: string, ctx: DetectContext): Promise<Verdict> {
  const w = await world(3600);
  const denoDir = await Deno.makeTempDir({ prefix: "probe-deno-dir-" });
  let child: Deno.ChildProcess | undefined;
  try {
    await writeAuth(w.home, signedIn(w.issuer, ACCOUNT_A, w.ttlS));
    if (kind.startsWith("login")) {
      w.issuer.scenario.deviceApproveAfterPolls = Infinity;
      w.issuer.scenario.deviceInterval = "1"; // Codex wants whole seconds
    }
    if (ctx.root) {
      for (const path of [w.home, `${w.home}/auth.json`, denoDir]) {
        await Deno.chown(path, 65534, 65534);
      }
    }
    child = await startKind(bin, kind, w, ctx.asUser);
    const env = { PATH: "/usr/bin:/bin", HOME: denoDir, DENO_DIR: denoDir, NO_COLOR: "1" };
    const detector = (extra: string[], grants: string[]) =>
      asOtherUser([
        Deno.execPath(),
        "run",
        "--quiet",
        "--no-prompt",
        ...grants,
        ctx.self,
        "--detect",
        w.home,
        ...extra,
      ], env);
    const lsofGrants = [`--allow-read=${w.home}`, "--allow-run=lsof"];
    const viaLsof = async () =>
      ctx.haveLsof ? shortly(await detector(["--lsof"], lsofGrants)) : "lsof missing";
    const lsof = await viaLsof();
    const procNarrow = shortly(await detector([], [`--allow-read=/proc,${w.home}`]));
    const procAll = shortly(await detector([], ["--allow-all"]));
    // Stop what we started: the pids the detector found in our own throwaway home.
    const found = Array.isArray(procAll) ? procAll.map((h) => Number(at(h, "pid"))) : [];
    for (const pid of found) {
      await new Deno.Command("kill", { args: ["-KILL", String(pid)] }).output();
    }
    await stop(child);
    child = undefined;
    await sleep(500);
    return {
      "lsof (--allow-read=HOME --allow-run=lsof)": lsof,
      "/proc (--allow-read=/proc,HOME)": procNarrow,
      "/proc (--allow-all)": procAll,
      "lsof after Codex was killed": await viaLsof(),
    };
  } finally {
    if (child) await stop(child);
    await Deno.remove(denoDir, { recursive: true }).catch(() => {});
    await w.close();
  }
}

async function detect(bin: string): Promise<Verdict> {
  const uid = await myUid();
  const root = uid === 0;
  const ctx: DetectContext = {
    root,
    asUser: root ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [],
    self: new URL(import.meta.url).pathname,
    haveLsof: await have("lsof"),
  };
  const verdict: Verdict = {
    codex_and_detector_ran_as: root ? "uid 65534 (both; the detector is not root)" : `uid ${uid}`,
  };
  const kinds = Deno.env.get("PROBE_KINDS")?.split(",") ?? KINDS; // PROBE_KINDS: a subset
  for (const kind of kinds) verdict[kind] = await detectKind(bin, kind, ctx);
  return verdict;
}

// --- cli_auth_credentials_store = auto ------------------------------------------------------

async function have(program: string): Promise<boolean> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `command -v ${program}`],
    stdout: "null",
  })
    .output().catch(() => undefined);
  return out?.success === true;
}

type SecretTool = (args: string[], input?: string) => Promise<string>;

interface PrivateKeyring {
  env: Record<string, string>;
  busPid: number;
  secretTool: SecretTool;
}

/** A session bus and an unlocked gnome-keyring in `dir`, reachable only by its address. */
async function privateKeyring(dir: string): Promise<PrivateKeyring> {
  const base = {
    HOME: dir,
    XDG_RUNTIME_DIR: dir,
    XDG_DATA_HOME: `${dir}/data`,
    PATH: "/usr/bin:/bin",
  };
  const address = `unix:path=${dir}/bus`;
  const bus = await new Deno.Command("dbus-daemon", {
    args: ["--session", "--fork", "--print-pid", `--address=${address}`],
    env: base,
    clearEnv: true,
    stdout: "piped",
  }).output();
  const busPid = Number(new TextDecoder().decode(bus.stdout).trim());
  const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address };
  const daemon = new Deno.Command("gnome-keyring-daemon", {
    args: ["--unlock", "--components=secrets"],
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = daemon.stdin.getWriter();
  await writer.write(new TextEncoder().encode("probe-password"));
  await writer.close();
  await daemon.status;
  const secretTool: SecretTool = async (args, input) => {
    const child = new Deno.Command("secret-tool", {
      args,
      env,
      clearEnv: true,
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    if (input !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(input));
      await w.close();
    }
    return new TextDecoder().decode((await child.output()).stdout);
  };
  return { env, busPid, secretTool };
}

interface AutoCase {
  inFile: FakeAccount | undefined;
  inKeyring: FakeAccount | undefined;
  reachable: boolean;
}

/** One `auto` case: what Codex holds and where the refreshed tokens land. */
async function autoCase(bin: string, kr: PrivateKeyring, c: AutoCase): Promise<Verdict> {
  const w = await world();
  try {
    const real = await Deno.realPath(w.home);
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(real)),
    );
    const username = `cli|${digest.toHex().slice(0, 16)}`;
    if (c.inFile) await writeAuth(w.home, signedIn(w.issuer, c.inFile, w.ttlS));
    if (c.inKeyring) {
      await kr.secretTool([
        "store",
        "--label",
        "probe",
        "service",
        "Codex Auth",
        "username",
        username,
        "target",
        "default",
        "application",
        "rust-keyring",
      ], JSON.stringify(signedIn(w.issuer, c.inKeyring, w.ttlS)));
    }
    const keyringEnv = c.reachable ? kr.env : { XDG_RUNTIME_DIR: w.home };
    const env = codexWorld(w.home, w.issuer, { ...keyringEnv, HOME: w.home });
    const app = new CodexAppServer(w.home, w.backend, env, bin, [
      "-c",
      'cli_auth_credentials_store="auto"',
    ]);
    await app.start();
    const held = await app.heldEmail();
    const mark = w.issuer.refreshAnswers.length;
    await app.call("account/read", { refreshToken: true });
    await app.stop();
    const stored = await kr.secretTool(["lookup", "service", "Codex Auth", "username", username]);
    const keyring = stored ? text(at(JSON.parse(stored), "tokens", "account_id")) : undefined;
    const file = await disk(w.issuer, w.home);
    if (stored) await kr.secretTool(["clear", "service", "Codex Auth", "username", username]);
    return {
      keyring_reachable: c.reachable,
      before: { file: c.inFile?.accountId ?? null, keyring: c.inKeyring?.accountId ?? null },
      codex_holds: held,
      refresh: refreshesSince(w.issuer, mark).slice(-1),
      after: { file: file.present ? file.account_id : "absent", keyring: keyring ?? "absent" },
    };
  } finally {
    await w.close();
  }
}

async function autoStore(bin: string): Promise<Verdict> {
  for (const program of ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"]) {
    if (!(await have(program))) return { skipped: `${program} is not installed` };
  }
  const dir = await Deno.makeTempDir({ prefix: "probe-keyring-" });
  const kr = await privateKeyring(dir);
  const cases: Verdict = {};
  try {
    cases["A in file, B in keyring"] = await autoCase(bin, kr, {
      inFile: ACCOUNT_A,
      inKeyring: ACCOUNT_B,
      reachable: true,
    });
    cases["A in file only"] = await autoCase(bin, kr, {
      inFile: ACCOUNT_A,
      inKeyring: undefined,
      reachable: true,
    });
    cases["A in file, B in keyring, keyring unreachable"] = await autoCase(bin, kr, {
      inFile: ACCOUNT_A,
      inKeyring: ACCOUNT_B,
      reachable: false,
    });
  } finally {
    if (kr.busPid > 0) Deno.kill(kr.busPid, "SIGTERM"); // gnome-keyring-daemon leaves with its bus
    await sleep(300);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return cases;
}

// --- Main -----------------------------------------------------------------------------------

const SCENARIOS: Record<string, (bin: string) => Promise<Verdict | Verdict[]>> = {
  "idle-switch-other": (bin) => idleSwitch(bin, ACCOUNT_B, 120),
  "idle-switch-same": (bin) => idleSwitch(bin, ACCOUNT_C, 120),
  "no-reread": (bin) => idleSwitch(bin, ACCOUNT_C, 3600),
  race: async (bin) => {
    const all: Verdict[] = [];
    for (const change of Object.keys(RACE_CHANGES)) all.push(await race(bin, change));
    return all;
  },
  "switch-back": (bin) => switchBack(bin, false),
  "switch-back-refreshed": (bin) => switchBack(bin, true),
  "race-then-restore": raceThenRestore,
  "stale-restore": staleRestore,
  invalidated,
  "exec-401": exec401,
  detect,
  "auto-store": autoStore,
};

/** The facts a test would assert, from one binary's results (absent scenarios: null). */
function summary(results: Verdict): Verdict {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const has = (name: string) => name in results;
  const raceRow = (change: string) =>
    list(results.race).find((row) => at(row, "change") === change);
  const lsofFound = (kind: string) =>
    list(at(results.detect, kind, "lsof (--allow-read=HOME --allow-run=lsof)")).length > 0;
  return {
    "idle switch to another workspace: Codex sends no refresh": has("idle-switch-other")
      ? list(at(results["idle-switch-other"], "refreshes_after_switch")).length === 0
      : null,
    "idle switch: Codex keeps using the old account from memory": has("idle-switch-other")
      ? String(at(results["idle-switch-other"], "usage_request_sent_as")).startsWith("A#")
      : null,
    "idle switch: auth.json left as written (not undone, not mixed)": has("idle-switch-other")
      ? at(results["idle-switch-other"], "switch_undone") === false &&
        at(results["idle-switch-other"], "auth_json_after", "mixed") === false
      : null,
    "no re-read of auth.json between refreshes": has("no-reread")
      ? String(at(results["no-reread"], "usage_request_sent_as")).startsWith("A#")
      : null,
    "refresh in flight + switch: Codex aborts its commit": has("race")
      ? at(raceRow("switched to B (other workspace)"), "codex_committed") === false
      : null,
    "refresh in flight + only login_owner_id changed: Codex aborts": has("race")
      ? at(raceRow("only login_owner_id changed"), "codex_committed") === false
      : null,
    "refresh in flight + switch: the old account's saved copy is spent": has("race-then-restore")
      ? at(results["race-then-restore"], "saved_copy_of_A_refresh_token_live") === false
      : null,
    "switch back from the saved copy loses nothing": has("switch-back")
      ? at(results["switch-back"], "any_family_revoked") === false
      : null,
    "a running Codex is found by lsof (every kind)": has("detect") ? KINDS.every(lsofFound) : null,
    "auto store: Codex reads the keyring first": has("auto-store") &&
        !at(results["auto-store"], "skipped")
      ? at(results["auto-store"], "A in file, B in keyring", "codex_holds") === ACCOUNT_B.email
      : null,
  };
}

async function version(bin: string): Promise<string> {
  const out = await new Deno.Command(bin, { args: ["--version"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function main(args: string[]): Promise<number> {
  const detectAt = args.indexOf("--detect");
  if (detectAt >= 0) {
    console.log(JSON.stringify(await runDetector(args[detectAt + 1], args.includes("--lsof"))));
    return 0;
  }
  const bins: string[] = [];
  let only: string[] = Object.keys(SCENARIOS);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--codex") bins.push(args[++i]);
    else if (args[i] === "--only") only = args[++i].split(",");
  }
  if (bins.length === 0 && CODEX_BIN) bins.push(CODEX_BIN);
  if (bins.length === 0) {
    console.error("No Codex binary: run npm ci, or give --codex PATH.");
    return 2;
  }
  const unknown = only.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) {
    console.error(
      `Unknown scenario ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}.`,
    );
    return 2;
  }
  const report: Verdict = {};
  for (const bin of bins) {
    const name = await version(bin);
    const results: Verdict = {};
    for (const scenario of only) {
      const started = Date.now();
      console.error(`${name}: ${scenario} ...`);
      try {
        results[scenario] = await SCENARIOS[scenario](bin);
      } catch (error) {
        results[scenario] = { failed: String(error) };
      }
      console.error(`${name}: ${scenario} done (${Math.round((Date.now() - started) / 1000)} s)`);
      if (!args.includes("--json")) {
        console.log(JSON.stringify({ codex: name, scenario, verdict: results[scenario] }, null, 2));
      }
    }
    results.summary = summary(results);
    if (!args.includes("--json")) {
      console.log(JSON.stringify({ codex: name, summary: results.summary }, null, 2));
    }
    report[name] = results;
  }
  if (args.includes("--json")) console.log(JSON.stringify(report, null, 2));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
