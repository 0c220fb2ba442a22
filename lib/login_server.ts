/**
 * The loopback sign-in: a `Deno.serve` server on 127.0.0.1 that receives the issuer's
 * redirect at `/auth/callback`, checks `state` (a wrong one is refused and the sign-in keeps
 * waiting), completes the sign-in once, redirects to `/success`, then closes every
 * connection and settles its result.
 *
 * @module
 */

import { ExitCode, interrupted, LoginError } from "./errors.ts";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER,
  defaultApiBase,
  defaultPlatformUrl,
  IssuerClient,
} from "./issuer.ts";
import { parsePastedRedirect } from "./paste.ts";
import { generatePkce, generateState, timingSafeEqual } from "./pkce.ts";
import {
  claimLoopback,
  isAuthorizedCancel,
  type LoopbackServers,
  removeCancelSecret,
  writeCancelSecret,
} from "./port_claim.ts";
import {
  pageResponse,
  pageSummary,
  renderErrorPage,
  renderSuccessPage,
  textResponse,
} from "./pages.ts";
import { redact } from "./redact.ts";
import {
  completeSignIn,
  type LoginResult,
  loginResult,
  redeemAfterSignIn,
  type SignInOutcome,
} from "./sign_in.ts";

export type { LoginResult };

/** The port registered for the Codex CLI's OAuth client. */
export const DEFAULT_PORT = 1455;
/** Default time to wait for the browser: 10 minutes. */
export const DEFAULT_TIMEOUT_MS = 600_000;

/** Options of {@linkcode startLogin}. Only `codexHome` is required. */
export interface LoginOptions {
  /** Where auth.json goes. */
  codexHome: string;
  /** Issuer base URL. Default `https://auth.openai.com`. */
  issuer?: string;
  /** OAuth client id. Default the Codex CLI's. */
  clientId?: string;
  /** API base for credit redemption. Default derived from the issuer, as the seed. */
  apiBase?: string;
  /** Platform site for org setup. Default derived from the issuer, as the seed. */
  platformUrl?: string;
  /**
   * Loopback port; 0 picks a free one. Default: 1455, falling back to 1457 (the other
   * registered port) when 1455 is held by another program. An explicit port never falls back.
   */
  port?: number;
  /** How long to retry binding a taken port after cancelling an earlier login. Default 2 s. */
  bindRetryMs?: number;
  /** Give up after this many ms (exit 124). 0 waits forever. Default 10 minutes. */
  timeoutMs?: number;
  /** Opens the authorize URL; `undefined` opens nothing. Its failure is only a note. */
  openBrowser?: (url: string) => Promise<boolean> | boolean;
  /** Where progress lines go. Default: standard error. */
  log?: (line: string) => void;
  /** Log each request the server answers. */
  verbose?: boolean;
  /** The clock (for last_refresh, the API key's name, token expiry). */
  now?: () => Date;
  /** Per outbound request timeout, ms. Default 30 s. */
  requestTimeoutMs?: number;
  /** Replace `fetch` for outbound requests. */
  fetch?: typeof fetch;
  /** How long to wait for the browser to load `/success` after the redirect. Default 3 s. */
  successGraceMs?: number;
  /** Cancels the sign-in (like {@linkcode LoginSession.cancel}). */
  signal?: AbortSignal;
}

/** A sign-in in progress. */
export interface LoginSession {
  /** The URL to open in a browser. */
  readonly authUrl: string;
  /** The port the server listens on. */
  readonly port: number;
  /** `http://localhost:{port}/auth/callback`. */
  readonly redirectUri: string;
  /** Settles once: the result, or a {@linkcode LoginError} with its exit code. */
  readonly result: Promise<LoginResult>;
  /** Stop waiting: the result rejects with `reason` (default: interrupted, exit 130). */
  cancel(reason?: LoginError): void;
  /**
   * Complete the sign-in with the address the browser ended on, pasted by the person (the
   * whole callback URL or its query string). Same state check and exchange as the callback;
   * whichever arrives first wins. Resolves to a line to show the person.
   */
  submitRedirect(text: string): Promise<{ accepted: boolean; message: string }>;
}

type Phase = "waiting" | "completing" | "done";

/**
 * Start a sign-in: bind the loopback server, then print and open the authorize URL.
 *
 * @example Sign in and wait for the result
 * ```ts ignore
 * import { startLogin } from "./login_server.ts";
 * const session = await startLogin({ codexHome: "/home/me/.codex" });
 * console.error(session.authUrl);
 * const result = await session.result; // throws LoginError on failure
 * console.error(`Signed in, account ${result.accountId}`);
 * ```
 */
export async function startLogin(options: LoginOptions): Promise<LoginSession> {
  const log = options.log ?? ((line: string) => console.error(line));
  const now = options.now ?? (() => new Date());
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  const client = new IssuerClient({
    issuer,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    timeoutMs: options.requestTimeoutMs,
    fetch: options.fetch,
  });
  const apiBase = options.apiBase ?? defaultApiBase(issuer);
  const platformUrl = options.platformUrl ?? defaultPlatformUrl(issuer);
  // Web Crypto's first digest and the bind both take a few ms: overlap them.
  const pkcePromise = generatePkce();
  const state = generateState();
  const abort = new AbortController();

  let phase: Phase = "waiting";
  let outcome: SignInOutcome | undefined;
  let settled = false;
  const { promise: result, resolve: resolveResult, reject: rejectResult } = Promise
    .withResolvers<LoginResult>();
  result.catch(() => {});

  const allowedHosts = new Set<string>();
  const cancelSecret = generateState();
  const handler = (req: Request): Response | Promise<Response> => {
    const response = route(req);
    if (options.verbose) {
      Promise.resolve(response).then((r) =>
        log(`${req.method} ${new URL(req.url).pathname} -> ${r.status}`)
      );
    }
    return response;
  };
  const servers: LoopbackServers = await claimLoopback({
    port: options.port,
    codexHome: options.codexHome,
    handler,
    log,
    retryMs: options.bindRetryMs,
  });
  const port = servers.port;
  const pkce = await pkcePromise;
  for (const host of ["localhost", "127.0.0.1", "[::1]"]) allowedHosts.add(`${host}:${port}`);
  const redirectUri = `http://localhost:${port}/auth/callback`;
  const authUrl = client.authorizeUrl({ redirectUri, codeChallenge: pkce.challenge, state });
  // Off the critical path; without the file a newer login cannot take over, nothing else.
  const secretWritten = writeCancelSecret(options.codexHome, port, cancelSecret).catch(() => {});

  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, fn: () => void) => {
    const id = setTimeout(() => {
      timers.delete(id);
      fn();
    }, ms);
    timers.add(id);
  };
  const onAbort = () => cancel();
  /** Credit redemption, started once signed in; the exit waits for it. */
  let redemption: Promise<unknown> = Promise.resolve();

  async function settle(value: LoginResult | LoginError): Promise<void> {
    if (settled) return;
    settled = true;
    for (const id of timers) clearTimeout(id);
    options.signal?.removeEventListener("abort", onAbort);
    await redemption;
    await servers.shutdown();
    await secretWritten;
    await removeCancelSecret(options.codexHome, port, cancelSecret);
    if (value instanceof LoginError) rejectResult(value);
    else resolveResult(value);
  }

  function cancel(reason?: LoginError): void {
    if (settled || phase === "done") return;
    const error = reason ?? interrupted();
    abort.abort(error);
    phase = "done";
    void settle(error);
  }

  function finishSuccess(): void {
    if (outcome) void settle(loginResult(options.codexHome, outcome));
  }

  function failAfterResponse(error: LoginError): void {
    phase = "done";
    // Let the error page go out first; settle() waits for in-flight responses.
    setTimeout(() => void settle(error), 0);
  }

  function errorPage(error: LoginError, status: number, description?: string): Response {
    const message = error.kind === "access_denied"
      ? "The sign-in was declined at the sign-in service."
      : error.kind === "oauth_error"
      ? "The sign-in service could not complete the sign-in."
      : pageSummary(error.message);
    return pageResponse(renderErrorPage({
      kind: error.kind,
      status,
      message,
      code: error.oauthCode,
      description,
    }));
  }

  /** How one callback (over HTTP or pasted) came out. */
  type CallbackOutcome =
    | { kind: "rejected"; status: number; error: LoginError }
    | { kind: "failed"; error: LoginError; description?: string }
    | { kind: "signed_in" };

  async function processCallback(params: URLSearchParams): Promise<CallbackOutcome> {
    if (!timingSafeEqual(params.get("state") ?? "", state)) {
      return {
        kind: "rejected",
        status: 400,
        error: new LoginError(
          "state_mismatch",
          "The sign-in link does not belong to this sign-in.",
        ),
      };
    }
    if (phase !== "waiting") {
      return {
        kind: "rejected",
        status: 409,
        error: new LoginError("already_used", "This sign-in has already received its code."),
      };
    }
    const oauthError = params.get("error");
    if (oauthError !== null) {
      const code = redact(oauthError, [], 80);
      const description = redact(params.get("error_description") ?? "", [], 300);
      const kind = code === "access_denied" ? "access_denied" : "oauth_error";
      const error = new LoginError(
        kind,
        `Sign-in failed: the issuer answered ${code}${
          description ? ` (${description})` : ""
        }. Nothing was saved; run codex-login again to retry.`,
        { oauthCode: code },
      );
      failAfterResponse(error);
      return { kind: "failed", error, description };
    }
    const code = params.get("code");
    if (!code) {
      return {
        kind: "rejected",
        status: 400,
        error: new LoginError("invalid_input", "The sign-in link has no authorization code."),
      };
    }
    phase = "completing";
    try {
      outcome = await completeSignIn({
        client,
        codexHome: options.codexHome,
        platformUrl,
        now,
        log,
        signal: abort.signal,
      }, { code, redirectUri, codeVerifier: pkce.verifier });
    } catch (err) {
      const error = err instanceof LoginError ? err : new LoginError(
        "other",
        `Sign-in failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
      if (!settled) failAfterResponse(error);
      return { kind: "failed", error };
    }
    phase = "done";
    redemption = redeemAfterSignIn(outcome, {
      apiBase,
      now,
      log,
      requestTimeoutMs: options.requestTimeoutMs,
      fetch: options.fetch,
    }).catch(() => {});
    return { kind: "signed_in" };
  }

  async function handleCallback(params: URLSearchParams): Promise<Response> {
    const result = await processCallback(params);
    switch (result.kind) {
      case "rejected":
        log(`Ignored a callback: ${result.error.message} Still waiting.`);
        return errorPage(result.error, result.status);
      case "failed":
        if (settled) {
          return textResponse(503, "This sign-in was stopped.");
        }
        // 200: the callback was handled; the page reports the outcome (a 4xx/5xx document
        // would also put an error in the browser's console).
        return errorPage(result.error, 200, result.description);
      case "signed_in":
        later(options.successGraceMs ?? 3000, finishSuccess);
        return new Response(null, {
          status: 302,
          headers: {
            location: "/success",
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
          },
        });
    }
  }

  async function submitRedirect(text: string): Promise<{ accepted: boolean; message: string }> {
    const params = parsePastedRedirect(text);
    if (!params) {
      return {
        accepted: false,
        message:
          "That is not a sign-in address. Paste the whole address from the browser's address bar (it starts with http://localhost).",
      };
    }
    if (settled) return { accepted: false, message: "This sign-in has already ended." };
    const result = await processCallback(params);
    switch (result.kind) {
      case "rejected":
        return {
          accepted: false,
          message: result.status === 400 && result.error.kind === "state_mismatch"
            ? "That address belongs to another sign-in (its state does not match); still waiting. Open the URL above and paste the address you end on."
            : `${result.error.message} Still waiting.`,
        };
      case "failed":
        return { accepted: true, message: "The pasted address ended the sign-in." };
      case "signed_in":
        later(0, finishSuccess);
        return { accepted: true, message: "Signed in with the pasted address." };
    }
  }

  function route(req: Request): Response | Promise<Response> {
    const host = req.headers.get("host") ?? "";
    if (!allowedHosts.has(host.toLowerCase())) {
      return textResponse(
        421,
        `Misdirected request: this server only answers http://localhost:${port}.`,
      );
    }
    const url = new URL(req.url);
    if (url.pathname === "/cancel") {
      if (req.method !== "POST") return textResponse(405, "Method not allowed.", { allow: "POST" });
      if (!isAuthorizedCancel(req, cancelSecret)) return textResponse(403, "Forbidden.");
      cancel(
        new LoginError(
          "cancelled",
          "Sign-in cancelled by a newer login (started in another terminal); nothing was saved.",
          { exitCode: ExitCode.Interrupted },
        ),
      );
      return textResponse(200, "Cancelled.");
    }
    if (req.method !== "GET") {
      return textResponse(405, "Method not allowed.", { allow: "GET" });
    }
    if (url.pathname === "/auth/callback") return handleCallback(url.searchParams);
    if (url.pathname === "/success" && phase === "done" && outcome) {
      const page = renderSuccessPage({ setupUrl: outcome.setupUrl });
      later(0, finishSuccess);
      return pageResponse(page);
    }
    return textResponse(404, "Not found.");
  }

  if (options.signal?.aborted) {
    cancel();
  } else {
    options.signal?.addEventListener("abort", onAbort, { once: true });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (timeoutMs > 0) {
    later(timeoutMs, () => {
      if (phase !== "waiting") return;
      cancel(
        new LoginError(
          "timeout",
          `Timed out after ${
            Math.round(timeoutMs / 1000)
          } s waiting for the browser sign-in; nothing was saved. Run codex-login again (use --timeout to wait longer).`,
          { exitCode: ExitCode.Timeout },
        ),
      );
    });
  }

  log(`Starting local login server on http://localhost:${port}`);
  log(
    options.openBrowser
      ? "If your browser did not open, navigate to this URL to authenticate:"
      : "Open this URL in a browser to sign in:",
  );
  log("");
  log(authUrl);
  log("");
  if (options.openBrowser) {
    let opened = false;
    try {
      opened = await options.openBrowser(authUrl);
    } catch {
      opened = false;
    }
    if (!opened) log("Could not open a browser here (that is fine): open the URL above yourself.");
  }
  await secretWritten;
  return { authUrl, port, redirectUri, result, cancel, submitRedirect };
}
