/**
 * The browser sign-in, started: claim the loopback port (see `port_claim.ts`), build the
 * callback machine and the run around the bound port, then announce the URL, start the
 * timers and keep the issuer connection warm. `/auth/callback` and a pasted address both go
 * through the {@linkcode CallbackMachine}; the run (`login_run.ts`) settles the result once.
 *
 * @module
 */

import { CallbackMachine } from "./callback.ts";
import { LoginError, MAX_TIMER_MS, timedOut } from "../base/errors.ts";
import { commandLine } from "../base/invocation.ts";
import { permissionError } from "../base/permissions.ts";
import { flowEvent } from "../base/events.ts";
import { generatePkce, generateState } from "../base/pkce.ts";
import {
  claimLoopback,
  DEFAULT_PORT,
  LOOPBACK_HOST,
  loopbackOrigin,
  PortUnavailable,
  writeCancelSecret,
} from "../loopback/port_claim.ts";
import { LoginRun } from "./login_run.ts";
import { loginHandler, loginPreview } from "./login_routes.ts";
import {
  CALLBACK_PATH,
  DEFAULT_LOGIN_TIMEOUT_MS,
  type LoginDeps,
  type LoginRequest,
  type LoginSession,
} from "./login_types.ts";
import { type LoginResult, resolveSignInContext } from "./sign_in.ts";

export type { LoginDeps, LoginRequest, LoginResult, LoginSession };
export { DEFAULT_LOGIN_TIMEOUT_MS, DEFAULT_PORT };

/** Why no loopback port could be had, in words that say what to do next. */
function portError(err: unknown): unknown {
  if (!(err instanceof PortUnavailable)) return err;
  const port = err.ports[0];
  const device = `sign in with a one-time code instead: ${commandLine(["login", "--device-auth"])}`;
  if (err.reason === "not_granted") {
    return permissionError(
      { name: "net", host: `${LOOPBACK_HOST}:${port}` },
      "to listen for the browser",
    );
  }
  if (err.reason === "refused") {
    const list = err.ports.join(" and ");
    return new LoginError("port_in_use", {
      what: err.os === "windows"
        ? `Windows refuses to listen on port ${list}: they lie in a range it reserves (Hyper-V or WinNAT excluded port ranges). See the ranges with \`netsh interface ipv4 show excludedportrange protocol=tcp\`; an administrator can free them (\`net stop winnat\`, then \`net start winnat\`).`
        : `The system refuses to listen on port ${list} (permission denied).`,
      next: `Meanwhile, ${device}.`,
      code: "port_in_use.refused",
    });
  }
  const ports = err.ports;
  const one = ports.length === 1;
  const lsof = ports.map((p) => `-iTCP:${p}`).join(" ");
  const ss = ports.map((p) => `sport = :${p}`).join(" or ");
  return new LoginError("port_in_use", {
    what: one
      ? `Port ${port} on ${LOOPBACK_HOST} is already in use by another program.`
      : `Ports ${ports.join(" and ")} on ${LOOPBACK_HOST} are already in use by other programs.`,
    next: `Stop ${one ? "it" : "one"} (find ${
      one ? "it" : "them"
    } with \`lsof -nP ${lsof} -sTCP:LISTEN\` or \`ss -ltnp '${
      one ? ss : `( ${ss} )`
    }'\`) and try again, or ${device}.`,
  });
}

/** Print the authorize URL; hand the opener the one-time start link instead. */
async function announce(run: LoginRun, startUrl: string): Promise<void> {
  const { report } = run.ctx;
  const open = run.request.openBrowser;
  report(flowEvent(
    "note",
    "login.listening",
    `Starting local login server on ${run.origin}`,
    { origin: run.origin },
  ));
  const where = { redirect_uri: `${run.origin}${CALLBACK_PATH}`, port: run.port };
  report(flowEvent(
    "note",
    "login.url_intro",
    open
      ? "If your browser did not open, navigate to this URL to authenticate:"
      : "Open this URL in a browser to sign in:",
    where,
  ));
  report(flowEvent("action", "login.url", run.authUrl, { url: run.authUrl, ...where }));
  if (!open) return;
  const opened = await Promise.resolve().then(() => open(startUrl)).catch(() => false);
  if (!opened) {
    report(flowEvent(
      "note",
      "login.no_browser",
      "Could not open a browser here (that is fine): open the URL above yourself.",
    ));
  }
}

/** Cancel on the request's signal, and time out (exit 124) unless the timeout is 0. */
function startTimers(run: LoginRun): void {
  const signal = run.request.signal;
  if (signal?.aborted) run.cancel();
  else signal?.addEventListener("abort", run.onAbort, { once: true });
  const timeoutMs = run.request.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  if (timeoutMs <= 0) return;
  run.timers.later(Math.min(timeoutMs, MAX_TIMER_MS), () => {
    if (run.machine.phase !== "waiting") return;
    run.cancel(
      timedOut(
        "the browser sign-in",
        timeoutMs,
        `To wait longer: ${
          commandLine(["login", "--timeout", String(Math.max(600, 2 * timeoutMs / 1000))])
        }.`,
      ),
    );
  });
}

/**
 * While the person is on the sign-in page, keep a pooled connection to the issuer warm
 * (now, then about once a minute), so the code exchange costs one round trip.
 */
function warmIssuer(run: LoginRun): void {
  const url = `${run.ctx.client.issuer}/.well-known/openid-configuration`;
  const warm = () => {
    if (run.machine.phase === "waiting") void run.ctx.http.warm(url);
  };
  warm();
  run.timers.every(60_000, warm);
}

/**
 * Start a sign-in: bind the loopback server, then print and open the authorize URL.
 *
 * @example Sign in and wait for the result
 * ```ts
 * import assert from "node:assert/strict";
 * import { startLogin } from "./login_server.ts";
 * import { resolveIssuer } from "../issuer/issuer_config.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * const session = await startLogin({ home, endpoints: resolveIssuer(), port: 0, timeoutMs: 50 });
 * assert.equal(session.redirectUri, `http://127.0.0.1:${session.port}/auth/callback`);
 * // Nobody signs in within 50 ms here: the result rejects with exit code 124.
 * await assert.rejects(session.result, (e: { exitCode?: number }) => e.exitCode === 124);
 * ```
 */
export async function startLogin(
  request: LoginRequest,
  deps: LoginDeps = {},
): Promise<LoginSession> {
  const ctx = resolveSignInContext(request, deps);
  // Web Crypto's first digest and the bind both take a few ms: overlap them.
  const pkcePromise = generatePkce();
  const state = generateState();
  const ownUid = await ctx.home.ownerUid();
  const listener = await claimLoopback({
    port: request.port,
    home: ctx.home,
    report: ctx.report,
    peers: { ownUid, lookup: deps.peers },
  }, deps.claim).catch((err) => {
    throw portError(err);
  });
  const origin = loopbackOrigin(listener.addr.port);
  const redirectUri = `${origin}${CALLBACK_PATH}`;
  const pkce = await pkcePromise;
  const abort = new AbortController();
  const authUrl = ctx.client.authorizeUrl({
    redirectUri,
    codeChallenge: pkce.challenge,
    state,
    allowedWorkspaceIds: ctx.settings.forcedWorkspaceIds,
  });
  const machine = new CallbackMachine({
    ctx,
    state,
    redirectUri,
    codeVerifier: pkce.verifier,
    signal: abort.signal,
  });
  const routes = (r: LoginRun) => ({ handler: loginHandler(r), preview: loginPreview(r) });
  const parts = { ctx, request, deps, listener, ownUid, origin, authUrl, machine, abort, routes };
  const run = new LoginRun(parts);
  // Off the critical path; without the file a newer login cannot take over, nothing else.
  const secretWritten = writeCancelSecret(ctx.home, run.port, run.cancelSecret).catch(() => {});
  run.track(secretWritten);
  ctx.trace.secret(state, pkce.verifier, run.cancelSecret, run.startLink.value);
  ctx.trace.secret(run.successLink.value);
  ctx.trace.event("login_start", {
    port: run.port,
    issuer: ctx.client.issuer,
    store: ctx.store.kind,
  });
  const startUrl = `${origin}/start/${run.startLink.value}`;
  await announce(run, startUrl);
  // Timers after the URL is shown: a process's first timer costs Deno about 13 ms.
  startTimers(run);
  warmIssuer(run); // after the URL is printed: it never delays it
  await secretWritten; // a newer codex-login can take over from the moment this resolves
  return {
    authUrl,
    port: run.port,
    redirectUri,
    startUrl,
    result: run.result,
    cancel: (reason) => run.cancel(reason),
    submitRedirect: (text) => run.submitRedirect(text),
  };
}
