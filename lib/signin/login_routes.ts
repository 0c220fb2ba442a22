/**
 * The routes of a browser sign-in's loopback server, in one table: the callback, the opener's
 * one-time start link, the success page and the authenticated cancel of a newer codex-login.
 * Every request is first checked to name this server (DNS rebinding). The stops a route can
 * cause (start link reused, cancelled by a newer login) are here too.
 *
 * @module
 */

import { LoginError } from "../base/errors.ts";
import { flowEvent } from "../base/events.ts";
import { safeLine } from "../base/terminal_safe.ts";
import type { Handler, Preview, ServerRequest } from "../loopback/http_server.ts";
import { isAuthorizedCancel } from "../loopback/port_claim.ts";
import { redirect, textResponse } from "../loopback/responses.ts";
import type { LoginRun } from "./login_run.ts";
import { CALLBACK_PATH } from "./login_types.ts";
import { errorPageFor, pageResponse, renderSuccessPage } from "./pages.ts";

/** The opener's one-time start link was used a second time. */
export function startLinkReused(): LoginError {
  return new LoginError("start_link_reused", {
    what:
      "Someone else on this machine opened this sign-in's start link, so the sign-in was stopped: finishing it could have signed you in to their account.",
    next: "Nothing was saved; run codex-login again.",
  });
}

/** A newer codex-login took the port over. */
export function newerLoginCancel(): LoginError {
  return new LoginError("cancelled", {
    what: "Sign-in cancelled by a newer login (started in another terminal); nothing was saved.",
    code: "cancelled.newer_login",
  });
}

/** One route: a method and a path (or a path prefix), and what answers it. */
interface Route {
  readonly method: "GET" | "POST";
  readonly path: string;
  /** The path is a prefix (the rest is the route's argument). */
  readonly prefix?: boolean;
  readonly answer: (run: LoginRun, url: URL, req: ServerRequest) => Response | Promise<Response>;
}

async function callback(run: LoginRun, url: URL): Promise<Response> {
  const outcome = await run.process(url.searchParams);
  switch (outcome.kind) {
    case "rejected":
      run.ctx.report(flowEvent(
        "warning",
        "callback.ignored",
        `Ignored a callback: ${outcome.error.what} Still waiting.`,
        { code: outcome.error.code },
      ));
      return pageResponse(errorPageFor(outcome.error));
    case "failed":
      if (run.settled) return textResponse(503, "This sign-in was stopped.");
      return pageResponse(errorPageFor(outcome.error, outcome.description));
    case "signed_in":
      run.timers.later(run.deps.successGraceMs ?? 3000, () => run.finishSuccess());
      return redirect(`/success?v=${run.successLink.value}`);
  }
}

/** The opener's one-time link: the first use goes on to the issuer, a second stops all. */
function start(run: LoginRun, url: URL): Response {
  const use = run.startLink.use(url.pathname.slice("/start/".length));
  if (use === "first") return redirect(run.authUrl);
  if (use === "wrong" || run.machine.phase !== "waiting") return textResponse(404, "Not found.");
  const error = startLinkReused();
  run.ctx.report(flowEvent("warning", "start_link.reused", `Warning: ${error.message}`));
  run.cancel(error);
  return pageResponse(errorPageFor(error));
}

/**
 * The success page. Only the browser that was redirected here gets the page with the
 * org-setup link (it carries the id_token), and only its load ends the sign-in; anyone else
 * on this machine gets the plain page.
 */
function success(run: LoginRun, url: URL): Response {
  const outcome = run.machine.outcome;
  if (run.machine.phase !== "done" || !outcome) return textResponse(404, "Not found.");
  const first = run.successLink.use(url.searchParams.get("v") ?? "") === "first";
  if (first) run.timers.later(0, () => run.finishSuccess());
  return pageResponse(renderSuccessPage({ setupUrl: first ? outcome.setupUrl : undefined }));
}

/** A newer codex-login, proving it can read our codex home, takes the port over. */
function cancel(run: LoginRun, _url: URL, req: ServerRequest): Response {
  if (!isAuthorizedCancel(req, run.cancelSecret)) return textResponse(403, "Forbidden.");
  run.cancel(newerLoginCancel());
  return textResponse(200, "Cancelled.");
}

/** The route table. */
const ROUTES: readonly Route[] = [
  { method: "GET", path: CALLBACK_PATH, answer: callback },
  { method: "GET", path: "/start/", prefix: true, answer: start },
  { method: "GET", path: "/success", answer: success },
  { method: "POST", path: "/cancel", answer: cancel },
];

function routeOf(path: string): Route | undefined {
  return ROUTES.find((r) => (r.prefix ? path.startsWith(r.path) : path === r.path));
}

/** Whether the request names this server (DNS rebinding: another name is refused). */
function addressedTo(run: LoginRun, req: ServerRequest): boolean {
  return run.allowedHosts.has((req.headers.get("host") ?? "").toLowerCase());
}

function route(run: LoginRun, req: ServerRequest): Response | Promise<Response> {
  if (!addressedTo(run, req)) {
    return textResponse(421, `Misdirected request: this server only answers ${run.origin}.`);
  }
  const url = new URL(req.url);
  const found = routeOf(url.pathname);
  const method = found?.method ?? "GET";
  if (req.method !== method) return textResponse(405, "Method not allowed.", { allow: method });
  return found ? found.answer(run, url, req) : textResponse(404, "Not found.");
}

/** The `--verbose` line for a request; never throws, whatever the request held. */
export function requestLine(req: ServerRequest, status: number): string {
  try {
    const path = new URL(req.url).pathname.replace(/^\/start\/.+/, "/start/…");
    return safeLine(`${req.method} ${path} -> ${status}`);
  } catch {
    return `(unreadable request) -> ${status}`;
  }
}

/** The run's request handler: the route table, and a line per request under `--verbose`. */
export function loginHandler(run: LoginRun): Handler {
  return (req) => {
    const response = route(run, req);
    if (run.request.verbose) {
      Promise.resolve(response).then(
        (r) => run.ctx.report(flowEvent("note", "http.request", requestLine(req, r.status))),
        () => {},
      );
    }
    return response;
  };
}

/**
 * A callback whose connection's owner is still being checked: start its code exchange now,
 * so the check and the exchange's round trip overlap (the tokens are used only if the same
 * code then reaches the callback route, from an admitted connection).
 */
export function loginPreview(run: LoginRun): Preview {
  return (req) => {
    if (req.method !== "GET" || run.settled || !addressedTo(run, req)) return;
    const url = new URL(req.url);
    if (url.pathname === CALLBACK_PATH) run.machine.prefetch(url.searchParams);
  };
}
