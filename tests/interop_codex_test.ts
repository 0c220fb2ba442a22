/**
 * codex-login beside the real Codex CLI (the pinned @openai/codex binary), both ways: Codex
 * accepts, refreshes and revokes what we write, we read what it writes, and a refresh by both
 * at once leaves both working. Everything stays on loopback: the fake issuer, and Codex's
 * own override variables (CODEX_REFRESH_TOKEN_URL_OVERRIDE is not needed: Codex (0.169 on)
 * refreshes at the provenance we write).
 */
import assert from "node:assert/strict";
import { saveAccessToken, saveApiKey } from "../lib/signin/account.ts";
import { getStatus } from "../lib/signin/status_report.ts";
import { currentToken } from "../lib/signin/token_refresh.ts";
import type { ChatGptAuth } from "../lib/store/auth_data.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import {
  CODEX_MISSING,
  CODEX_VERSION,
  codexEnv,
  runCodex,
  spawnCodex,
  stopCodex,
} from "./support/codex_cli.ts";
import { makeJwt, startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, issuerClient, tempHome } from "./support/helpers.ts";
import { loginArgs, spawnCli } from "./support/cli_process.ts";
import { fixture } from "./support/login_fixture.ts";
import { keyringMissing, startKeyring } from "./support/keyring_session.ts";

if (CODEX_MISSING) console.error(`SKIPPED interop tests: ${CODEX_MISSING}`);

function interop(name: string, fn: () => Promise<void>, skip = CODEX_MISSING): void {
  Deno.test({ name: `codex ${CODEX_VERSION}: ${name}`, ignore: skip !== undefined, fn });
}

const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/;

/** Codex's status line: its exit code and what it printed. */
async function codexStatus(home: string, env: Record<string, string> = {}, extra: string[] = []) {
  const run = await runCodex(["login", "status", ...extra], codexEnv(home, env));
  return { code: run.code, text: `${run.stdout}${run.stderr}`.trim() };
}

/** Wait until `check` holds (polling), at most `ms`. */
async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interop("codex login status accepts every mode we write to auth.json", async () => {
  await using f = await fixture();
  await browse(f.session.authUrl);
  await f.session.result;
  assert.deepEqual(await codexStatus(f.home.path), { code: 0, text: "Logged in using ChatGPT" });

  await using h = await tempHome();
  const store = new FileCredentialStore(h.home);
  await saveApiKey(store, "sk-proj-interop0123456789abcdef");
  const apiKey = await codexStatus(h.home.path);
  assert.equal(apiKey.code, 0);
  assert.match(apiKey.text, /^API key configured - sk-proj-\*\*\*bcdef/);

  f.issuer.accessTokens.add("at-interop-token-0123456789");
  await saveAccessToken(
    store,
    issuerClient(f.issuer.url),
    "at-interop-token-0123456789",
  );
  const pat = await codexStatus(h.home.path, {
    CODEX_AUTHAPI_BASE_URL: `${f.issuer.url}/api/accounts`,
  });
  assert.equal(pat.code, 0, pat.text);
  assert.equal(f.issuer.requestsTo("/api/accounts/v1/user-auth-credential/whoami").length, 2);
});

const keyringSkip = CODEX_MISSING ?? await keyringMissing();
interop(
  "codex login status accepts what we write to the keyring (ChatGPT and API key)",
  async () => {
    await using kr = await startKeyring();
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    const keyring = ["-c", "cli_auth_credentials_store=keyring"];
    await using cli = spawnCli(loginArgs(issuer.url, h.home.path, keyring), {
      env: kr.env,
    });
    await browse(await cli.waitFor(URL_LINE));
    assert.equal((await cli.done()).code, 0);
    await assert.rejects(Deno.stat(h.home.authFile), Deno.errors.NotFound, "in the keyring");
    assert.deepEqual(await codexStatus(h.home.path, kr.env, keyring), {
      code: 0,
      text: "Logged in using ChatGPT",
    });
    await using key = spawnCli(
      ["login", "--with-api-key", "--codex-home", h.home.path, ...keyring],
      {
        env: kr.env,
        stdin: "sk-proj-keyring0123456789abcdef\n",
      },
    );
    assert.equal((await key.done()).code, 0);
    const status = await codexStatus(h.home.path, kr.env, keyring);
    assert.match(status.text, /^API key configured - sk-proj-\*\*\*bcdef/);
  },
  keyringSkip,
);

interop("codex logout revokes the refresh token we stored and removes auth.json", async () => {
  await using f = await fixture();
  await browse(f.session.authUrl);
  await f.session.result;
  const ours = (await readAuthFile(f.home)) as ChatGptAuth;
  const run = await runCodex(
    ["logout"],
    codexEnv(f.home.path, { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${f.issuer.url}/oauth/revoke` }),
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout + run.stderr, /Successfully logged out/);
  assert.ok(f.issuer.revoked.some((r) => r.token === ours.tokens.refresh_token));
  assert.equal(await readAuthFile(f.home), undefined);
});

/** Sign in with codex-login, then make the stored access token expired (Codex refreshes). */
async function expiredSignIn() {
  const f = await fixture();
  await browse(f.session.authUrl);
  await f.session.result;
  const auth = (await readAuthFile(f.home)) as ChatGptAuth;
  auth.tokens.access_token = makeJwt({ exp: Math.floor(Date.now() / 1000) - 60 });
  await saveAuthFile(f.home, auth);
  return { f, auth };
}

interop("Codex refreshes what we stored (at its provenance) and we read the result", async () => {
  const { f, auth } = await expiredSignIn();
  await using _ = f;
  const codex = spawnCodex(["exec", "--skip-git-repo-check", "hi"], codexEnv(f.home.path));
  try {
    await until(async () => {
      const now = await readAuthFile(f.home).catch(() => undefined) as ChatGptAuth | undefined;
      return now !== undefined && now.tokens.refresh_token !== auth.tokens.refresh_token;
    }, "Codex's refresh");
  } finally {
    await stopCodex(codex);
  }
  const [refresh] = f.issuer.tokenRequests("refresh_token");
  assert.equal(refresh.params.refresh_reason, "proactive_expiry");
  const after = (await readAuthFile(f.home)) as ChatGptAuth;
  assert.equal(after.tokens.login_owner_id, auth.tokens.login_owner_id, "Codex keeps our id");
  assert.deepEqual(after.tokens.oauth_provenance, auth.tokens.oauth_provenance);
  const store = new FileCredentialStore(f.home);
  const got = await currentToken({
    store,
    client: issuerClient(f.issuer.url),
    now: () => new Date(),
  });
  assert.deepEqual([got.token, got.refreshed], [after.tokens.access_token, false]);
  assert.equal((await getStatus(store)).logged_in, true);
});

interop(
  "we read every shape Codex writes: API key, access token, device sign-in, logout",
  async () => {
    await using issuer = startFakeIssuer({ deviceInterval: "1" });
    await using h = await tempHome();
    await Deno.mkdir(h.home.path, { mode: 0o700 });
    const store = new FileCredentialStore(h.home);
    const client = issuerClient(issuer.url);
    const env = codexEnv(h.home.path, { CODEX_AUTHAPI_BASE_URL: `${issuer.url}/api/accounts` });

    assert.equal(
      (await runCodex(["login", "--with-api-key"], env, "sk-proj-fromcodex0123456789\n")).code,
      0,
    );
    const key = await getStatus(store);
    assert.deepEqual([key.auth_mode, key.api_key], ["apikey", "sk-proj-***56789"]);

    issuer.accessTokens.add("at-from-codex-0123456789");
    const pat = await runCodex(["login", "--with-access-token"], env, "at-from-codex-0123456789\n");
    assert.equal(pat.code, 0, pat.stderr);
    assert.equal((await getStatus(store)).auth_mode, "personalAccessToken");
    const token = await currentToken({ store, client, now: () => new Date() });
    assert.deepEqual([token.token, token.kind], [
      "at-from-codex-0123456789",
      "personal_access_token",
    ]);

    const device = await runCodex(
      ["login", "--device-auth", "--experimental_issuer", issuer.url],
      env,
    );
    assert.equal(device.code, 0, device.stderr);
    const signedIn = (await readAuthFile(h.home)) as ChatGptAuth;
    assert.equal(signedIn.auth_mode, "chatgpt");
    assert.equal(signedIn.tokens.oauth_provenance?.issuer, issuer.url);
    assert.match(signedIn.tokens.login_owner_id ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await getStatus(store)).email, "person@example.com");

    assert.equal((await runCodex(["logout"], env)).code, 0);
    assert.equal((await getStatus(store)).logged_in, false);
  },
);

interop(
  "a refresh by both at once: Codex wins, codex-login token uses Codex's save, exit 0",
  async () => {
    const { f, auth } = await expiredSignIn();
    await using _ = f;
    const { promise: hold, resolve: release } = Promise.withResolvers<void>();
    f.issuer.refreshHold = hold;
    const codex = spawnCodex(["exec", "--skip-git-repo-check", "hi"], codexEnv(f.home.path));
    try {
      await until(
        () => f.issuer.tokenRequests("refresh_token").length === 1,
        "Codex's refresh",
      );
      f.issuer.refreshHold = undefined; // Codex spent the token; its answer is still held
      await using ours = spawnCli(["token", "--codex-home", f.home.path, "--issuer", f.issuer.url]);
      await until(() => f.issuer.tokenRequests("refresh_token").length === 2, "our refresh");
      release();
      const done = await ours.done();
      assert.equal(done.code, 0, done.stderr);
      assert.doesNotMatch(done.stderr, /session has ended/);
      await until(async () => {
        const now = await readAuthFile(f.home).catch(() => undefined) as ChatGptAuth | undefined;
        return now?.tokens.access_token === done.stdout.trim();
      }, "the token we printed to be the one Codex saved");
    } finally {
      release();
      await stopCodex(codex);
    }
    const sent = f.issuer.tokenRequests("refresh_token").map((r) => r.params.refresh_token);
    assert.deepEqual(sent, [auth.tokens.refresh_token, auth.tokens.refresh_token]);
    // Both keep working: Codex's saved session refreshes, and Codex accepts it.
    const after = (await readAuthFile(f.home)) as ChatGptAuth;
    assert.equal((await codexStatus(f.home.path)).code, 0);
    assert.notEqual(after.tokens.refresh_token, auth.tokens.refresh_token);
    assert.equal(f.issuer.refreshTokens.get(after.tokens.refresh_token), true, "still valid");
  },
);

/** Why the fixed-port tests cannot run here (they need a private network namespace). */
const namespaceMissing = CODEX_MISSING ?? await (async () => {
  const probe = await new Deno.Command("unshare", {
    args: ["-n", "sh", "-c", "ip link set lo up"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  return probe?.success
    ? undefined
    : "a private network namespace (unshare --net, ip) is not available here (needs root)";
})();
if (namespaceMissing && !CODEX_MISSING) console.error(`SKIPPED port tests: ${namespaceMissing}`);

/** Run one `port_scenario.ts` case on the real ports 1455/1457, alone in a namespace. */
async function portScenario(mode: string): Promise<Record<string, unknown>> {
  const out = await new Deno.Command("unshare", {
    args: [
      "-n",
      "sh",
      "-c",
      `ip link set lo up && exec "$0" run -A tests/support/port_scenario.ts ${mode}`,
      Deno.execPath(),
    ],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(text);
}

interop("port 1455: a waiting codex login is taken over by codex-login", async () => {
  const r = await portScenario("codex-first");
  assert.equal(r.codexListening1455, true);
  assert.equal(r.ourPort, 1455);
  assert.deepEqual(r.said, ["Stopped a waiting `codex login` on port 1455."]);
  assert.equal(r.ourExit, 0);
}, namespaceMissing);

interop("port 1455: a Codex started second falls back to 1457 and both keep working", async () => {
  const r = await portScenario("ours-first");
  assert.equal(r.ourPort, 1455);
  assert.equal(r.codexListening1457, true);
  assert.equal(r.ourExit, 0, "our sign-in completed beside it");
  assert.equal(r.codexStillWaiting, true, "Codex still waits on 1457");
}, namespaceMissing);
