/**
 * An in-process sign-in against a fresh fake issuer and a temporary codex home, with the
 * helpers most login tests need.
 *
 * @module
 */

import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { HttpClient } from "../../lib/issuer/http_client.ts";
import { type IssuerInput, resolveIssuer } from "../../lib/issuer/issuer_config.ts";
import {
  type LoginDeps,
  type LoginRequest,
  type LoginSession,
  startLogin,
} from "../../lib/signin/login_server.ts";
import type { CodexHome } from "../../lib/store/codex_home.ts";
import { type FakeIssuer, type Scenario, startFakeIssuer } from "./fake_issuer.ts";
import { logCollector, tempHome } from "./helpers.ts";

/** A running sign-in and what it stands on. */
export interface Fixture extends AsyncDisposable {
  issuer: FakeIssuer;
  /** The temporary directory the codex home is in. */
  dir: string;
  home: CodexHome;
  session: LoginSession;
  /** What the sign-in reported (`lines`: each event's text). */
  logs: ReturnType<typeof logCollector>;
}

/** What a test changes in the fixture's sign-in. */
export interface FixtureOptions {
  /** The request's fields (`settings`, `timeoutMs`, `openBrowser`, `verbose`...). */
  request?: Partial<LoginRequest>;
  /** The dependencies (`successGraceMs`, `ss`, `claim`...). Default grace: 100 ms. */
  deps?: LoginDeps;
  /**
   * The issuer's other URLs. Default: the API base at the fake issuer, the platform site
   * `https://platform.example`; `undefined` values derive them as for any other issuer (none).
   */
  issuer?: Pick<IssuerInput, "apiBase" | "platformUrl">;
  /** Each outbound request's timeout. Default 2 s. */
  requestTimeoutMs?: number;
}

/** Start a sign-in against a new fake issuer (port 0, short grace). */
export async function fixture(
  scenario: Partial<Scenario> = {},
  options: FixtureOptions = {},
): Promise<Fixture> {
  const issuer = startFakeIssuer(scenario);
  const h = await tempHome();
  const logs = logCollector();
  const http = new HttpClient({ timeoutMs: options.requestTimeoutMs ?? 2000 });
  const endpoints = resolveIssuer({
    issuer: issuer.url,
    apiBase: issuer.url,
    platformUrl: "https://platform.example",
    ...options.issuer,
  });
  const session = await startLogin(
    { home: h.home, endpoints, port: 0, report: logs.report, ...options.request },
    { successGraceMs: 100, http, ...options.deps },
  );
  return {
    issuer,
    dir: h.dir,
    home: h.home,
    session,
    logs,
    async [Symbol.asyncDispose]() {
      session.cancel();
      await session.result.catch(() => {});
      http.close();
      await issuer.close();
      await h[Symbol.asyncDispose]();
    },
  };
}

/** The callback URL with these parameters. */
export function callbackUrl(session: LoginSession, params: Record<string, string>): string {
  return `${session.redirectUri}?${new URLSearchParams(params)}`;
}

/** The callback URL the fake issuer sends the browser to (its authorize approves at once). */
export async function issuerCallback(session: LoginSession): Promise<string> {
  const r = await fetch(session.authUrl, { redirect: "manual" });
  await r.body?.cancel();
  const location = r.headers.get("location");
  assert.ok(location, `the issuer answered ${r.status} without a redirect`);
  return location;
}

/** The LoginError the session rejected with. */
export async function rejection(session: LoginSession): Promise<LoginError> {
  const err = await session.result.then(() => undefined, (e) => e);
  assert.ok(err instanceof LoginError, `expected a LoginError, got ${err}`);
  return err;
}
