/**
 * A surface snapshot of a Codex binary's sign-in, for `make drift` (tools/codex_surface.ts):
 * run inside a private network and mount namespace where auth.openai.com is the fake issuer
 * (private_network.ts), it records, as JSON that is the same on every run (surface_format.ts):
 *
 * - `--version`, and the help of `login`, `logout` and `login status`;
 * - the authorize URL (parameters in order, fixed values, state and challenge masked), the
 *   redirect_uri, and with port 1455 held: what Codex sends there and the port it falls back to;
 * - the requests of the code exchange, the API-key exchange, a refresh (`codex exec` with an
 *   expired access token), the revoke (`logout`) and device sign-in: path, content type,
 *   parameters in order;
 * - auth.json's key paths and value formats and the codex home's file modes after each kind of
 *   sign-in and after a refresh, and which unknown fields a refresh keeps;
 * - the keyring entry's attributes (skipped, with the reason, without a Secret Service);
 * - `login status` text and exit code on each auth.json fixture and on the environment sweep
 *   (codex_surface_env.ts), with and without stored credentials;
 * - the success page's SHA-256.
 *
 * @module
 */

import { ROOT } from "./helpers.ts";
import { makeJwt } from "./fake_issuer.ts";
import type { MappedIssuer } from "./private_network.ts";
import { keyringMissing, startKeyring } from "./keyring_session.ts";
import { type Json, type JsonObject, mask, sha256Hex } from "./surface_format.ts";
import {
  authorizeUrl,
  type Context,
  grant,
  newHome,
  requestsSince,
  run,
  spawn,
  storedShape,
  until,
  URL_PATTERN,
} from "./codex_surface_run.ts";
import { KNOWN_ACCESS_TOKEN, SWEEP_ASSERTION, sweepRows } from "./codex_surface_env.ts";

/** The browser sign-in, played to the end: the authorize URL, callback, pages, requests. */
async function browserSignIn(ctx: Context) {
  const home = await newHome(ctx, "browser sign-in");
  const from = ctx.mapped.issuer.requests.length;
  const c = spawn(ctx, ["login"], home);
  const url = await until(
    "the authorize URL",
    () => URL_PATTERN.exec(c.output())?.[1],
  );
  const authorize = await fetch(url, {
    redirect: "manual",
    client: ctx.mapped.client,
  });
  await authorize.body?.cancel();
  const callbackUrl = authorize.headers.get("location") ?? "";
  const callback = await fetch(callbackUrl, { redirect: "manual" });
  await callback.body?.cancel();
  const location = callback.headers.get("location") ?? "";
  const page = await fetch(new URL(location, callbackUrl), {
    redirect: "manual",
  });
  const body = new Uint8Array(await page.arrayBuffer());
  const exit = (await c.finished()).code;
  const requests = requestsSince(ctx, from);
  return {
    home,
    authorize: authorizeUrl(ctx, url),
    successPage: {
      "callback answer": `${callback.status} ${mask(location, ctx.paths)}`,
      status: page.status,
      "content type": page.headers.get("content-type") ?? "(none)",
      sha256: await sha256Hex(body),
    },
    exit,
    codeExchange: grant(requests, "authorization_code"),
    apiKeyExchange: grant(
      requests,
      "urn:ietf:params:oauth:grant-type:token-exchange",
    ),
    stored: await storedShape(ctx, home),
  };
}

/** With port 1455 held by a server that records what it gets: what Codex sends, where it goes. */
async function heldPort(ctx: Context): Promise<JsonObject> {
  const seen: string[] = [];
  const holder = Deno.serve({
    hostname: "127.0.0.1",
    port: 1455,
    onListen: () => {},
  }, (req) => {
    const u = new URL(req.url);
    seen.push(`${req.method} ${u.pathname}${u.search}`);
    return new Response("held", { status: 200 });
  });
  try {
    const c = spawn(ctx, ["login"], await newHome(ctx, "port 1455 held"));
    const url = await until(
      "the authorize URL",
      () => URL_PATTERN.exec(c.output())?.[1],
    );
    c.child.kill("SIGKILL");
    await c.finished();
    return {
      "requests to 1455": seen,
      redirect_uri: authorizeUrl(ctx, url).redirect_uri,
    };
  } finally {
    await holder.shutdown();
  }
}

async function deviceSignIn(ctx: Context) {
  const home = await newHome(ctx, "device sign-in");
  const from = ctx.mapped.issuer.requests.length;
  const result = await run(ctx, ["login", "--device-auth"], home);
  const requests = requestsSince(ctx, from);
  const first = (path: string) => requests.find((r) => r.path === path) ?? "(not sent)";
  return {
    exit: result.exit,
    requests: {
      "user code": first("/api/accounts/deviceauth/usercode"),
      "token poll": first("/api/accounts/deviceauth/token"),
      "code exchange": grant(requests, "authorization_code"),
    },
    stored: await storedShape(ctx, home),
  };
}

const UNKNOWN = "x_codex_login_unknown";

/** An expired access token and unknown fields at each level, then `codex exec` refreshes. */
async function refresh(ctx: Context, home: string) {
  const auth = JSON.parse(await Deno.readTextFile(`${home}/auth.json`));
  auth[UNKNOWN] = "top level";
  auth.tokens[UNKNOWN] = "tokens";
  auth.tokens.oauth_provenance[UNKNOWN] = "tokens.oauth_provenance";
  auth.tokens.access_token = makeJwt({
    exp: Math.floor(Date.now() / 1000) - 60,
  });
  await Deno.writeTextFile(`${home}/auth.json`, JSON.stringify(auth, null, 2), {
    mode: 0o600,
  });
  const from = ctx.mapped.issuer.requests.length;
  const c = spawn(ctx, ["exec", "--skip-git-repo-check", "hi"], home);
  try {
    await until("Codex's refresh to be saved", async () => {
      const now = JSON.parse(
        await Deno.readTextFile(`${home}/auth.json`).catch(() => "{}"),
      );
      return now.tokens?.refresh_token &&
          now.tokens.refresh_token !== auth.tokens.refresh_token
        ? true
        : undefined;
    });
  } finally {
    c.child.kill("SIGKILL");
    await c.finished();
  }
  const after = JSON.parse(await Deno.readTextFile(`${home}/auth.json`));
  return {
    request: grant(
      requestsSince(ctx, from, (p) => p === "/oauth/token"),
      "refresh_token",
    ),
    stored: {
      ...(await storedShape(ctx, home)),
      "unknown fields kept": {
        "top level": UNKNOWN in after,
        tokens: UNKNOWN in (after.tokens ?? {}),
        "tokens.oauth_provenance": UNKNOWN in
          (after.tokens?.oauth_provenance ?? {}),
      },
    },
  };
}

async function logout(ctx: Context, home: string): Promise<Json> {
  const from = ctx.mapped.issuer.requests.length;
  await run(ctx, ["logout"], home);
  return requestsSince(ctx, from).find((r) => r.path === "/oauth/revoke") ??
    "(not sent)";
}

async function keySignIns(ctx: Context) {
  const keyHome = await newHome(ctx, "API key");
  await run(
    ctx,
    ["login", "--with-api-key"],
    keyHome,
    {},
    "sk-proj-surface-0123456789\n",
  );
  const tokenHome = await newHome(ctx, "access token");
  ctx.mapped.issuer.accessTokens.add(KNOWN_ACCESS_TOKEN);
  await run(
    ctx,
    ["login", "--with-access-token"],
    tokenHome,
    {},
    `${KNOWN_ACCESS_TOKEN}\n`,
  );
  return {
    apiKey: await storedShape(ctx, keyHome),
    accessToken: await storedShape(ctx, tokenHome),
  };
}

/** The Secret Service entry `codex login --with-api-key` makes with a keyring store. */
async function keyringEntry(ctx: Context): Promise<JsonObject> {
  const missing = await keyringMissing();
  if (missing) return { skipped: missing };
  await using kr = await startKeyring();
  const home = await newHome(ctx, "keyring");
  const store = ["-c", "cli_auth_credentials_store=keyring"];
  await run(
    ctx,
    ["login", "--with-api-key", ...store],
    home,
    kr.env,
    "sk-proj-keyring-0123456789\n",
  );
  const out = await new Deno.Command("secret-tool", {
    args: ["search", "--all", "service", "Codex Auth"],
    env: kr.env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  // secret-tool prints the label on stdout and the attributes on stderr. Its `schema` line
  // comes and goes from one run to the next (libsecret's, not Codex's), so it is left out.
  const text = `${new TextDecoder().decode(out.stdout)}\n${new TextDecoder().decode(out.stderr)}`;
  const digest = await sha256Hex(
    new TextEncoder().encode(await Deno.realPath(home)),
  );
  const user = `cli|${digest.slice(0, 16)}`;
  const entry: JsonObject = {};
  for (const line of text.split("\n")) {
    const m = /^(label|attribute\.[\w.:-]+) = (.*)$/.exec(line);
    if (m) {
      entry[m[1]] = m[2].replaceAll(
        user,
        "cli|<first 16 hex of sha256(CODEX_HOME)>",
      );
    }
  }
  return Object.keys(entry).length > 0 ? entry : { "no entry found": mask(text.trim()) };
}

/** `login status` on each auth.json fixture (tests/fixtures/auth/). */
async function statusOnFixtures(ctx: Context): Promise<JsonObject> {
  const dir = `${ROOT}tests/fixtures/auth`;
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(".json")) names.push(e.name);
  }
  const out: JsonObject = {};
  for (const name of names.sort()) {
    const text = await Deno.readTextFile(`${dir}/${name}`);
    const token = JSON.parse(text).personal_access_token;
    if (typeof token === "string") ctx.mapped.issuer.accessTokens.add(token);
    const home = await newHome(ctx, name);
    await Deno.writeTextFile(`${home}/auth.json`, text, { mode: 0o600 });
    out[name] = await run(ctx, ["login", "status"], home);
  }
  return out;
}

/** `login status` under each row of the environment sweep, with and without a stored key. */
async function statusOnEnvironment(ctx: Context): Promise<JsonObject> {
  const tokenFile = `${ctx.dir}/identity-token.jwt`;
  await Deno.writeTextFile(tokenFile, SWEEP_ASSERTION);
  ctx.mapped.issuer.accessTokens.add(KNOWN_ACCESS_TOKEN);
  const empty = await newHome(ctx, "no stored credentials");
  const stored = await newHome(ctx, "stored API key");
  await Deno.copyFile(
    `${ROOT}tests/fixtures/auth/apikey.json`,
    `${stored}/auth.json`,
  );
  await Deno.chmod(`${stored}/auth.json`, 0o600);
  const out: JsonObject = {};
  for (
    const [name, vars] of sweepRows({
      tokenFile,
      missingFile: `${ctx.dir}/missing.jwt`,
    })
  ) {
    out[name] = {
      "no stored credentials": await run(ctx, ["login", "status"], empty, vars),
      "stored API key (apikey.json)": await run(
        ctx,
        ["login", "status"],
        stored,
        vars,
      ),
    };
  }
  return out;
}

/** Take the snapshot of `bin` (inside the namespace, with the mapped issuer running). */
export async function takeSurface(
  bin: string,
  mapped: MappedIssuer,
): Promise<JsonObject> {
  const dir = await Deno.makeTempDir({ prefix: "codex-surface-" });
  const ctx: Context = { bin, mapped, dir, paths: { [dir]: "<dir>" } };
  try {
    const scratch = await newHome(ctx, "help");
    const text = async (args: string[]) => (await run(ctx, args, scratch)).text;
    const browser = await browserSignIn(ctx);
    const held = await heldPort(ctx);
    const device = await deviceSignIn(ctx);
    const keys = await keySignIns(ctx);
    const refreshed = await refresh(ctx, browser.home);
    const revoke = await logout(ctx, browser.home);
    return {
      "--version": await text(["--version"]),
      help: {
        "login --help": await text(["login", "--help"]),
        "logout --help": await text(["logout", "--help"]),
        "login status --help": await text(["login", "status", "--help"]),
      },
      "authorize URL": { ...browser.authorize, "with port 1455 held": held },
      "success page": browser.successPage,
      requests: {
        "code exchange": browser.codeExchange,
        "API-key exchange": browser.apiKeyExchange,
        refresh: refreshed.request,
        "revoke (logout)": revoke,
        "device sign-in": device.requests,
      },
      "after sign-in": {
        browser: { exit: browser.exit, ...browser.stored },
        "device code": { exit: device.exit, ...device.stored },
        "API key (--with-api-key)": keys.apiKey,
        "access token (--with-access-token)": keys.accessToken,
        "after a refresh (codex exec, expired access token)": refreshed.stored,
      },
      "keyring entry": await keyringEntry(ctx),
      "login status on auth.json fixtures": await statusOnFixtures(ctx),
      "login status with environment variables": await statusOnEnvironment(ctx),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
