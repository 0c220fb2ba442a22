/**
 * Shared test helpers: a temporary codex home, a collector of a flow's events, an issuer
 * client for a test issuer, and a minimal "browser" that follows the sign-in's redirects over
 * plain HTTP (loopback only).
 *
 * @module
 */

import { errorText } from "../../lib/base/errors.ts";
import type { FlowEvent } from "../../lib/base/events.ts";
import { HttpClient, type HttpOptions } from "../../lib/issuer/http_client.ts";
import { IssuerClient } from "../../lib/issuer/issuer.ts";
import { type IssuerInput, resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import type { ChatGptAuth } from "../../lib/store/auth_data.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";
import { saveAuthFile } from "../../lib/store/file_store.ts";
import type { FakeIssuer } from "./fake_issuer.ts";

/**
 * A fresh temporary directory `dir`, and the codex home `dir/codex` in it (not created:
 * tests decide).
 */
export async function tempHome(): Promise<{ dir: string; home: CodexHome } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "codex-login-test-" });
  return {
    dir,
    home: new CodexHome(`${dir}/codex`),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Collects what a flow reports: every event, and its text as the lines a person would see. */
export function logCollector(): {
  lines: string[];
  events: FlowEvent[];
  log: (line: string) => void;
  report: (event: FlowEvent) => void;
  text: () => string;
} {
  const lines: string[] = [];
  const events: FlowEvent[] = [];
  return {
    lines,
    events,
    log: (line) => lines.push(line),
    report: (event) => {
      events.push(event);
      lines.push(event.text);
    },
    text: () => lines.join("\n"),
  };
}

/**
 * Save a ChatGPT sign-in at `issuer` (live tokens, an API key, account `acct_123`) in `home`,
 * as a test's starting point.
 */
export async function saveSignedIn(issuer: FakeIssuer, home: CodexHome): Promise<ChatGptAuth> {
  const t = issuer.issueTokens();
  const auth: ChatGptAuth = {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: "sk-proj-abcdefghijklmnop1234",
    tokens: {
      id_token: t.id_token,
      access_token: t.access_token,
      refresh_token: t.refresh_token,
      account_id: "acct_123",
    },
    last_refresh: "2026-11-01T00:00:00.000Z",
  };
  await saveAuthFile(home, auth);
  return auth;
}

/** A signed-in auth.json whose tokens came from `from` (its provenance, a sign-in id), as 0.169 writes it. */
export function signedInFrom(from: FakeIssuer, owner = "owner-of-this-sign-in"): ChatGptAuth {
  const auth: ChatGptAuth = from.signedInAuth();
  auth.tokens = {
    ...auth.tokens,
    oauth_provenance: { issuer: from.url, client_id: from.clientId },
    login_owner_id: owner,
  };
  return auth;
}

/** An issuer client for a test issuer at `url` (its own outbound client with `http`). */
export function issuerClient(
  url: string,
  http: HttpOptions = {},
  input: Omit<IssuerInput, "issuer"> = {},
): IssuerClient {
  return new IssuerClient({
    endpoints: resolveIssuer({ issuer: url, ...input }),
    http: new HttpClient(http),
  });
}

/** One page load of the fake browser. */
export interface Visit {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

function assertLoopback(url: URL): void {
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
    throw new Error(`test browser refused to leave loopback: ${url.href}`);
  }
}

/**
 * Load `url` and follow redirects (up to 10), like a browser would, recording each response.
 * `localhost` is dialled as 127.0.0.1 with the original Host header kept.
 */
export async function browse(start: string): Promise<Visit[]> {
  const visits: Visit[] = [];
  let url = new URL(start);
  for (let i = 0; i < 10; i++) {
    assertLoopback(url);
    const response = await fetch(url.href.replace("//localhost:", "//127.0.0.1:"), {
      redirect: "manual",
      headers: { host: url.host },
    });
    const body = await response.text();
    visits.push({ url: url.href, status: response.status, headers: response.headers, body });
    const location = response.headers.get("location");
    if (response.status < 300 || response.status > 399 || !location) break;
    url = new URL(location, url);
  }
  return visits;
}

/**
 * Approve at the fake issuer (its `/oauth/authorize` redirects at once), then time the
 * callback the browser would send: from the request to the response (not followed).
 */
export async function timeCallback(authUrl: string): Promise<{ ms: number; status: number }> {
  const authorize = await fetch(authUrl, { redirect: "manual" });
  await authorize.body?.cancel();
  const callback = new URL(authorize.headers.get("location")!);
  const started = performance.now();
  const response = await fetch(
    `http://127.0.0.1:${callback.port}${callback.pathname}${callback.search}`,
    { redirect: "manual", headers: { host: callback.host } },
  );
  await response.body?.cancel();
  return { ms: performance.now() - started, status: response.status };
}

/** Send a raw GET with a chosen Host header; returns status and body. */
export async function rawGet(
  port: number,
  path: string,
  host = `localhost:${port}`,
  method = "GET",
): Promise<{ status: number; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const text = new TextDecoder().decode(
      new Uint8Array(chunks.flatMap((c) => [...c])),
    );
    const status = Number(text.split(" ")[1]);
    return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/** What a finished command printed, decoded. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `cmd` to its end, with no input, and decode what it printed. */
export async function runCommand(
  cmd: string,
  options: Omit<Deno.CommandOptions, "stdin" | "stdout" | "stderr">,
): Promise<CommandOutput> {
  const out = await new Deno.Command(cmd, {
    ...options,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Repository root. */
export const ROOT = new URL("../..", import.meta.url).pathname;

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export async function portAccepts(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the tests cannot listen on [::1], or `undefined` when they can: the address missing here
 * (an IPv6-less container) is a reason to skip; a missing grant is a mistake in the test run.
 */
export const IPV6_MISSING: string | undefined = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw new Error("the tests need --allow-net=[::1] (tools/run_tests.sh grants it)");
    }
    return `this machine has no [::1] to listen on (${errorText(err)})`;
  }
})();

/** Whether this machine can listen on [::1] (tests of IPv6 behaviour skip without it). */
export const HAVE_IPV6: boolean = IPV6_MISSING === undefined;

/** The names of the entries of a directory (none when it does not exist). */
export function filesIn(dir: string | CodexHome): string[] {
  try {
    return [...Deno.readDirSync(typeof dir === "string" ? dir : dir.path)].map((e) => e.name);
  } catch {
    return [];
  }
}

/** Whether 127.0.0.1:`port` can be bound now (nothing holds it). */
export function portIsFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}
