/**
 * An in-process sign-in against a fresh fake issuer and a temporary codex home, with the
 * helpers most login tests need.
 *
 * @module
 */

import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { type LoginOptions, type LoginSession, startLogin } from "../../lib/signin/login_server.ts";
import { type FakeIssuer, type Scenario, startFakeIssuer } from "./fake_issuer.ts";
import { logCollector, tempHome } from "./helpers.ts";

/** A running sign-in and what it stands on. */
export interface Fixture extends AsyncDisposable {
  issuer: FakeIssuer;
  home: string;
  session: LoginSession;
  logs: ReturnType<typeof logCollector>;
}

/** Start a sign-in against a new fake issuer (port 0, short grace). */
export async function fixture(
  scenario: Partial<Scenario> = {},
  options: Partial<LoginOptions> = {},
): Promise<Fixture> {
  const issuer = startFakeIssuer(scenario);
  const h = await tempHome();
  const logs = logCollector();
  const session = await startLogin({
    codexHome: h.home,
    issuer: issuer.url,
    apiBase: issuer.url,
    platformUrl: "https://platform.example",
    port: 0,
    log: logs.log,
    successGraceMs: 100,
    requestTimeoutMs: 2000,
    ...options,
  });
  return {
    issuer,
    home: h.home,
    session,
    logs,
    async [Symbol.asyncDispose]() {
      session.cancel();
      await session.result.catch(() => {});
      await issuer.close();
      await h[Symbol.asyncDispose]();
    },
  };
}

/** The callback URL with these parameters. */
export function callbackUrl(session: LoginSession, params: Record<string, string>): string {
  return `${session.redirectUri}?${new URLSearchParams(params)}`;
}

/** The LoginError the session rejected with. */
export async function rejection(session: LoginSession): Promise<LoginError> {
  const err = await session.result.then(() => undefined, (e) => e);
  assert.ok(err instanceof LoginError, `expected a LoginError, got ${err}`);
  return err;
}
