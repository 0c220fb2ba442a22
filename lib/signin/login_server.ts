/**
 * The loopback sign-in: binds the loopback server (see `port_claim.ts`), routes its requests,
 * runs the timers, and settles the result once. `/auth/callback` and a pasted address both go
 * through the {@linkcode CallbackMachine}; a completed sign-in redirects to `/success`, then
 * every connection is closed.
 *
 * @module
 */

import { CallbackMachine, type CallbackOutcome, failureStatus, pasteReply } from "./callback.ts";
import { interrupted, LoginError, MAX_TIMER_MS } from "../base/errors.ts";
import {
  newerLoginCancel,
  redirect,
  requestLine,
  startLinkReused,
  timeoutError,
} from "./login_stops.ts";
import type { ServerRequest } from "../loopback/http_server.ts";
import { errorPageFor, pageResponse, renderSuccessPage, textResponse } from "../loopback/pages.ts";
import { parsePastedRedirect } from "./paste.ts";
import { OneTimeLink } from "../loopback/one_time_link.ts";
import { generatePkce, generateState } from "../base/pkce.ts";
import { ownUid } from "../store/home_guard.ts";
import {
  claimLoopback,
  DEFAULT_PORT,
  isAuthorizedCancel,
  LOOPBACK_HOST,
  type LoopbackServers,
  removeCancelSecret,
  writeCancelSecret,
} from "../loopback/port_claim.ts";
import { DEFAULT_LOGIN_TIMEOUT_MS, type LoginOptions, type LoginSession } from "./login_types.ts";
import { afterSignIn } from "./after_sign_in.ts";
import {
  type LoginResult,
  loginResult,
  resolveSignInContext,
  type SignInContext,
} from "./sign_in.ts";

export type { LoginOptions, LoginResult, LoginSession };
export { DEFAULT_LOGIN_TIMEOUT_MS, DEFAULT_PORT };

/** Our uid, learnt in the codex home (created 0700 when missing, as the save would); null if not. */
async function ownUidIn(codexHome: string): Promise<number | null> {
  await Deno.mkdir(codexHome, { recursive: true, mode: 0o700 }).catch(() => {});
  return await ownUid(codexHome).catch(() => null);
}

/** One running sign-in: the state every route and timer shares. */
class LoginRun {
  readonly ctx: SignInContext;
  readonly options: LoginOptions;
  readonly abort = new AbortController();
  readonly cancelSecret = generateState();
  readonly startLink = new OneTimeLink();
  readonly successLink = new OneTimeLink();
  authUrl = "";
  readonly result = Promise.withResolvers<LoginResult>();
  readonly timers = new Set<ReturnType<typeof setTimeout>>();
  machine?: CallbackMachine;
  servers?: LoopbackServers;
  allowedHosts = new Set<string>();
  secretWritten: Promise<void> = Promise.resolve();
  /** Credit redemption, started once signed in; the exit waits for it. */
  redemption: Promise<unknown> = Promise.resolve();
  settled = false;

  constructor(options: LoginOptions) {
    this.options = options;
    this.ctx = resolveSignInContext(options);
    this.result.promise.catch(() => {});
  }

  get port(): number {
    return this.servers?.port ?? 0;
  }

  later(ms: number, fn: () => void): void {
    const id = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    this.timers.add(id);
  }

  readonly onAbort = () => this.cancel();

  async settle(value: LoginResult | LoginError): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    for (const id of this.timers) clearTimeout(id); // clears the intervals too
    this.options.signal?.removeEventListener("abort", this.onAbort);
    await this.redemption;
    if (this.ctx.ownsHttp) this.ctx.http.close();
    await this.servers?.shutdown();
    await this.secretWritten;
    await removeCancelSecret(this.ctx.codexHome, this.port, this.cancelSecret);
    this.ctx.trace.event("login_end", {
      result: value instanceof LoginError ? value.kind : "signed_in",
      exit: value instanceof LoginError ? value.exitCode : 0,
    });
    if (value instanceof LoginError) this.result.reject(value);
    else this.result.resolve(value);
  }

  cancel(reason?: LoginError): void {
    if (this.settled || this.machine?.phase === "done") return;
    const error = reason ?? interrupted();
    this.abort.abort(error);
    this.machine?.stop();
    void this.settle(error);
  }

  finishSuccess(): void {
    const outcome = this.machine?.outcome;
    if (outcome) void this.settle(loginResult(this.ctx, outcome));
  }

  /** Settle after the current response went out (settle() waits for in-flight responses). */
  failAfterResponse(error: LoginError): void {
    setTimeout(() => void this.settle(error), 0);
  }

  /** Run one callback through the machine; start redemption or failure as it says. */
  async process(params: URLSearchParams): Promise<CallbackOutcome> {
    this.ctx.trace.secret(params.get("code"), params.get("state"));
    const outcome = await (this.machine as CallbackMachine).handle(params);
    this.ctx.trace.event("callback", {
      outcome: outcome.kind,
      error: outcome.kind === "signed_in" ? undefined : outcome.error.kind,
    });
    if (outcome.kind === "failed" && !this.settled) this.failAfterResponse(outcome.error);
    if (outcome.kind === "signed_in") {
      // Started on the next turn, so that the answer to the browser is written first.
      this.redemption = new Promise((r) => setTimeout(r, 0))
        .then(() => afterSignIn(this.ctx, outcome.outcome))
        .catch(() => {});
    }
    return outcome;
  }

  async handleCallback(params: URLSearchParams): Promise<Response> {
    const outcome = await this.process(params);
    switch (outcome.kind) {
      case "rejected":
        this.ctx.log(`Ignored a callback: ${outcome.error.message} Still waiting.`);
        return pageResponse(errorPageFor(outcome.error, outcome.status));
      case "failed":
        if (this.settled) return textResponse(503, "This sign-in was stopped.");
        return pageResponse(
          errorPageFor(outcome.error, failureStatus(outcome.error), outcome.description),
        );
      case "signed_in":
        this.later(this.options.successGraceMs ?? 3000, () => this.finishSuccess());
        return redirect(`/success?v=${this.successLink.value}`);
    }
  }

  async submitRedirect(text: string): Promise<{ accepted: boolean; message: string }> {
    const params = parsePastedRedirect(text);
    if (!params) {
      return {
        accepted: false,
        message:
          "That is not a sign-in address. Paste the whole address from the browser's address bar (it starts with http://127.0.0.1).",
      };
    }
    if (this.settled) return { accepted: false, message: "This sign-in has already ended." };
    const outcome = await this.process(params);
    if (outcome.kind === "signed_in") this.later(0, () => this.finishSuccess());
    return pasteReply(outcome);
  }

  /** Whether the request names this server (DNS rebinding: another name is refused). */
  addressedToUs(req: ServerRequest): boolean {
    return this.allowedHosts.has((req.headers.get("host") ?? "").toLowerCase());
  }

  route(req: ServerRequest): Response | Promise<Response> {
    if (!this.addressedToUs(req)) {
      return textResponse(
        421,
        `Misdirected request: this server only answers http://${LOOPBACK_HOST}:${this.port}.`,
      );
    }
    const url = new URL(req.url);
    if (url.pathname === "/cancel") {
      if (req.method !== "POST") return textResponse(405, "Method not allowed.", { allow: "POST" });
      if (!isAuthorizedCancel(req, this.cancelSecret)) return textResponse(403, "Forbidden.");
      this.cancel(newerLoginCancel());
      return textResponse(200, "Cancelled.");
    }
    if (req.method !== "GET") return textResponse(405, "Method not allowed.", { allow: "GET" });
    if (url.pathname === "/auth/callback") return this.handleCallback(url.searchParams);
    if (url.pathname.startsWith("/start/")) return this.start(url.pathname.slice(7));
    const outcome = this.machine?.outcome;
    if (url.pathname === "/success" && this.machine?.phase === "done" && outcome) {
      // Only the browser that was redirected here gets the page with the org-setup link
      // (it carries the id_token), and only its load ends the sign-in; anyone else on this
      // machine gets the plain page.
      const first = this.successLink.use(url.searchParams.get("v") ?? "") === "first";
      if (first) this.later(0, () => this.finishSuccess());
      return pageResponse(renderSuccessPage({ setupUrl: first ? outcome.setupUrl : undefined }));
    }
    return textResponse(404, "Not found.");
  }

  /** The opener's one-time link: the first use goes on to the issuer, a second stops all. */
  start(value: string): Response {
    const use = this.startLink.use(value);
    if (use === "first") return redirect(this.authUrl);
    if (use === "wrong" || this.machine?.phase !== "waiting") {
      return textResponse(404, "Not found.");
    }
    const error = startLinkReused();
    this.ctx.log(`Warning: ${error.message}`);
    this.cancel(error);
    return pageResponse(errorPageFor(error, 409));
  }

  readonly handler = (req: ServerRequest): Response | Promise<Response> => {
    const response = this.route(req);
    if (this.options.verbose) {
      Promise.resolve(response).then((r) => this.ctx.log(requestLine(req, r.status)), () => {});
    }
    return response;
  };

  /**
   * A callback whose connection's owner is still being checked: start its code exchange now,
   * so the check and the exchange's round trip overlap (the tokens are used only if the same
   * code then reaches {@linkcode handleCallback}, from an admitted connection).
   */
  readonly preview = (req: ServerRequest): void => {
    if (req.method !== "GET" || this.settled) return;
    if (!this.addressedToUs(req)) return;
    const url = new URL(req.url);
    if (url.pathname === "/auth/callback") this.machine?.prefetch(url.searchParams);
  };

  /**
   * While the person is on the sign-in page, keep a pooled connection to the issuer warm
   * (now, then about once a minute), so the code exchange costs one round trip.
   */
  warmIssuer(): void {
    const url = `${this.ctx.client.issuer}/.well-known/openid-configuration`;
    const warm = () => {
      if (this.machine?.phase === "waiting") void this.ctx.http.warm(url);
    };
    warm();
    const id = setInterval(warm, 60_000);
    Deno.unrefTimer(Number(id));
    this.timers.add(id);
  }

  startTimers(): void {
    if (this.options.signal?.aborted) this.cancel();
    else this.options.signal?.addEventListener("abort", this.onAbort, { once: true });
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
    if (timeoutMs > 0) {
      this.later(Math.min(timeoutMs, MAX_TIMER_MS), () => {
        if (this.machine?.phase === "waiting") this.cancel(timeoutError(timeoutMs));
      });
    }
  }

  /** Print the authorize URL; hand the opener the one-time start link instead. */
  async announce(authUrl: string, startUrl: string): Promise<void> {
    const { log } = this.ctx;
    const open = this.options.openBrowser;
    log(`Starting local login server on http://${LOOPBACK_HOST}:${this.port}`);
    log(
      open
        ? "If your browser did not open, navigate to this URL to authenticate:"
        : "Open this URL in a browser to sign in:",
    );
    log("");
    log(authUrl);
    log("");
    if (!open) return;
    const opened = await Promise.resolve().then(() => open(startUrl)).catch(() => false);
    if (!opened) log("Could not open a browser here (that is fine): open the URL above yourself.");
  }
}

/**
 * Start a sign-in: bind the loopback server, then print and open the authorize URL.
 *
 * @example Sign in and wait for the result
 * ```ts
 * import assert from "node:assert/strict";
 * import { startLogin } from "./login_server.ts";
 * const codexHome = await Deno.makeTempDir();
 * const session = await startLogin({ codexHome, port: 0, log: () => {}, timeoutMs: 50 });
 * assert.equal(session.redirectUri, `http://127.0.0.1:${session.port}/auth/callback`);
 * // Nobody signs in within 50 ms here: the result rejects with exit code 124.
 * await assert.rejects(session.result, (e: { exitCode?: number }) => e.exitCode === 124);
 * ```
 */
export async function startLogin(options: LoginOptions): Promise<LoginSession> {
  const run = new LoginRun(options);
  // Web Crypto's first digest and the bind both take a few ms: overlap them.
  const pkcePromise = generatePkce();
  const state = generateState();
  run.servers = await claimLoopback({
    port: options.port,
    codexHome: run.ctx.codexHome,
    handler: run.handler,
    log: run.ctx.log,
    retryMs: options.bindRetryMs,
    peerCheck: options.peerCheck === false ? undefined : {
      ownUid: await ownUidIn(run.ctx.codexHome),
      log: (line) => {
        run.ctx.log(line);
        run.ctx.trace.event("peer", { line });
      },
      run: options.ssRunner,
      preview: run.preview,
    },
  });
  const port = run.port;
  const pkce = await pkcePromise;
  // The links name 127.0.0.1 (as Codex 0.169); `localhost` is answered too, for a person who
  // types it or forwards the port under that name.
  for (const host of [LOOPBACK_HOST, "localhost"]) run.allowedHosts.add(`${host}:${port}`);
  const redirectUri = `http://${LOOPBACK_HOST}:${port}/auth/callback`;
  const authUrl = run.authUrl = run.ctx.client.authorizeUrl({
    redirectUri,
    codeChallenge: pkce.challenge,
    state,
    allowedWorkspaceIds: run.ctx.settings.forcedWorkspaceIds,
  });
  run.machine = new CallbackMachine({
    ctx: run.ctx,
    state,
    redirectUri,
    codeVerifier: pkce.verifier,
    signal: run.abort.signal,
  });
  // Off the critical path; without the file a newer login cannot take over, nothing else.
  run.secretWritten = writeCancelSecret(run.ctx.codexHome, port, run.cancelSecret).catch(() => {});
  run.ctx.trace.secret(state, pkce.verifier, run.cancelSecret, run.startLink.value);
  run.ctx.trace.secret(run.successLink.value);
  run.ctx.trace.event("login_start", {
    port,
    issuer: run.ctx.client.issuer,
    store: run.ctx.store.kind,
  });
  const startUrl = `http://${LOOPBACK_HOST}:${port}/start/${run.startLink.value}`;
  await run.announce(authUrl, startUrl);
  // Timers after the URL is shown: a process's first timer costs Deno about 13 ms.
  run.startTimers();
  run.warmIssuer(); // after the URL is printed: it never delays it
  await run.secretWritten;
  return {
    authUrl,
    port,
    redirectUri,
    startUrl,
    result: run.result.promise,
    cancel: (reason) => run.cancel(reason),
    submitRedirect: (text) => run.submitRedirect(text),
  };
}
