/**
 * One running browser sign-in, built whole by `login_server.ts`: the context, the callback
 * machine, the links and the server are given to it ready, and its public fields never change.
 * It settles the result once, cancels, and turns each callback (from the browser or pasted)
 * into an outcome. Its routes are `login_routes.ts`.
 *
 * @module
 */

import { type CallbackMachine, type CallbackOutcome, pasteReply } from "./callback.ts";
import { interrupted, LoginError } from "../base/errors.ts";
import { type Handler, type HttpServer, type Preview, serveHttp } from "../loopback/http_server.ts";
import { removeCancelSecret } from "../loopback/port_claim.ts";
import { admitPeers, PeerLookup } from "../loopback/peer_lookup.ts";
import { parsePastedRedirect } from "./paste.ts";
import { OneTimeLink } from "./one_time_link.ts";
import { afterSignIn } from "./after_sign_in.ts";
import { generateState } from "../base/pkce.ts";
import type { LoginDeps, LoginRequest, PasteReply } from "./login_types.ts";
import { type LoginResult, loginResult, type SignInContext } from "./sign_in.ts";

/** The timers of one run, cleared together when it settles. */
export class Timers {
  readonly #ids = new Set<ReturnType<typeof setTimeout>>();

  /** Run `fn` once after `ms`. */
  later(ms: number, fn: () => void): void {
    const id = setTimeout(() => {
      this.#ids.delete(id);
      fn();
    }, ms);
    this.#ids.add(id);
  }

  /** Run `fn` every `ms` without keeping the process alive. */
  every(ms: number, fn: () => void): void {
    const id = setInterval(fn, ms);
    Deno.unrefTimer(Number(id));
    this.#ids.add(id);
  }

  /** Clear every timer (intervals too). */
  clear(): void {
    for (const id of this.#ids) clearTimeout(id);
    this.#ids.clear();
  }
}

/** Everything a run is built from, ready before it starts serving. */
export interface RunParts {
  /** The sign-in's context. */
  ctx: SignInContext;
  /** What was asked. */
  request: LoginRequest;
  /** What it depends on. */
  deps: LoginDeps;
  /** The bound listener (served by the run). */
  listener: Deno.TcpListener;
  /** Our uid, for the peer check (null: nobody is checked). */
  ownUid: number | null;
  /** `http://127.0.0.1:{port}`. */
  origin: string;
  /** The authorize URL. */
  authUrl: string;
  /** The callback machine, waiting. */
  machine: CallbackMachine;
  /** Aborts the token steps (the machine was made with its signal). */
  abort: AbortController;
  /** The routes of the run's server: its handler, and the preview of requests being admitted. */
  routes: (run: LoginRun) => { handler: Handler; preview: Preview };
}

/** One running sign-in: what every route and timer shares. */
export class LoginRun {
  /** The sign-in's context. */
  readonly ctx: SignInContext;
  /** What was asked. */
  readonly request: LoginRequest;
  /** What it depends on. */
  readonly deps: LoginDeps;
  /** The port the server listens on. */
  readonly port: number;
  /** `http://127.0.0.1:{port}`. */
  readonly origin: string;
  /** The authorize URL. */
  readonly authUrl: string;
  /** The callback machine. */
  readonly machine: CallbackMachine;
  /** The secret a newer codex-login cancels this one with. */
  readonly cancelSecret: string = generateState();
  /** The opener's one-time link. */
  readonly startLink: OneTimeLink = new OneTimeLink();
  /** The one-time link of the success page. */
  readonly successLink: OneTimeLink = new OneTimeLink();
  /** The `Host` values the server answers (DNS rebinding: another name is refused). */
  readonly allowedHosts: ReadonlySet<string>;
  /** The run's timers. */
  readonly timers: Timers = new Timers();
  /** The loopback server. */
  readonly server: HttpServer;
  readonly #abort: AbortController;
  readonly #result = Promise.withResolvers<LoginResult>();
  /** Work that must end before the run settles (the cancel secret's write, redemption). */
  readonly #pending = new Set<Promise<unknown>>();
  #settled = false;

  /** Build the run from its parts and start serving. */
  constructor(parts: RunParts) {
    this.ctx = parts.ctx;
    this.request = parts.request;
    this.deps = parts.deps;
    this.port = parts.listener.addr.port;
    this.origin = parts.origin;
    this.authUrl = parts.authUrl;
    this.machine = parts.machine;
    this.#abort = parts.abort;
    // The links name 127.0.0.1 (as Codex 0.169); `localhost` is answered too, for a person who
    // types it or forwards the port under that name.
    this.allowedHosts = new Set([`127.0.0.1:${this.port}`, `localhost:${this.port}`]);
    this.#result.promise.catch(() => {});
    const admit = admitPeers(new PeerLookup(this.port, parts.deps.peers), {
      ownUid: parts.ownUid,
      report: this.ctx.report,
      record: (facts) => this.ctx.trace.event("peer", facts),
    });
    const { handler, preview } = parts.routes(this);
    this.server = serveHttp(parts.listener, handler, {
      admit,
      preview: admit ? preview : undefined,
    });
  }

  /** The result, settled once. */
  get result(): Promise<LoginResult> {
    return this.#result.promise;
  }

  /** Whether the run has settled (or is settling). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Keep the run from settling until `work` ends (it must not reject). */
  track(work: Promise<unknown>): void {
    this.#pending.add(work);
    work.finally(() => this.#pending.delete(work));
  }

  /** Settle once: stop timers, wait for pending work, close everything, then resolve. */
  async settle(value: LoginResult | LoginError): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    this.timers.clear();
    this.request.signal?.removeEventListener("abort", this.onAbort);
    await Promise.all(this.#pending);
    if (this.ctx.ownsHttp) this.ctx.http.close();
    await this.server.shutdown();
    await removeCancelSecret(this.ctx.home, this.port, this.cancelSecret);
    this.ctx.trace.event("login_end", {
      result: value instanceof LoginError ? value.kind : "signed_in",
      exit: value instanceof LoginError ? value.exitCode : 0,
    });
    if (value instanceof LoginError) this.#result.reject(value);
    else this.#result.resolve(value);
  }

  /** Stop waiting: the result rejects with `reason` (default: interrupted). */
  cancel(reason?: LoginError): void {
    if (this.#settled || this.machine.phase === "done") return;
    const error = reason ?? interrupted();
    this.#abort.abort(error);
    this.machine.stop();
    void this.settle(error);
  }

  /** The `abort` listener of the request's signal. */
  readonly onAbort = (): void => this.cancel();

  /** Settle with the completed sign-in. */
  finishSuccess(): void {
    const outcome = this.machine.outcome;
    if (outcome) void this.settle(loginResult(this.ctx, outcome));
  }

  /** Settle after the current response went out (settle() waits for in-flight responses). */
  failAfterResponse(error: LoginError): void {
    setTimeout(() => void this.settle(error), 0);
  }

  /** Run one callback through the machine; start what follows a success, or the failure. */
  async process(params: URLSearchParams): Promise<CallbackOutcome> {
    this.ctx.trace.secret(params.get("code"), params.get("state"));
    const outcome = await this.machine.handle(params);
    this.ctx.trace.event("callback", {
      outcome: outcome.kind,
      error: outcome.kind === "signed_in" ? undefined : outcome.error.code,
    });
    if (outcome.kind === "failed" && !this.#settled) this.failAfterResponse(outcome.error);
    if (outcome.kind === "signed_in") {
      // Started on the next turn, so that the answer to the browser is written first.
      this.track(
        new Promise((r) => setTimeout(r, 0))
          .then(() => afterSignIn(this.ctx, outcome.outcome))
          .catch(() => {}),
      );
    }
    return outcome;
  }

  /** A pasted address: the same checks and exchange as the browser's callback. */
  async submitRedirect(text: string): Promise<PasteReply> {
    const params = parsePastedRedirect(text);
    if (!params) {
      return {
        accepted: false,
        message:
          `That is not a sign-in address. Paste the whole address from the browser's address bar (it starts with ${this.origin}).`,
      };
    }
    if (this.#settled) return { accepted: false, message: "This sign-in has already ended." };
    const outcome = await this.process(params);
    if (outcome.kind === "signed_in") this.timers.later(0, () => this.finishSuccess());
    return pasteReply(outcome);
  }
}
