/**
 * Why a loopback sign-in stops without signing in (each a {@linkcode LoginError} with its exit
 * code and next step), and the small responses and log lines of its routes.
 *
 * @module
 */

import { ExitCode, LoginError } from "../base/errors.ts";
import type { ServerRequest } from "../loopback/http_server.ts";
import { safeLine } from "../base/terminal_safe.ts";

/** Nobody finished signing in within `timeoutMs` (exit 124). */
export function timeoutError(timeoutMs: number): LoginError {
  return new LoginError(
    "timeout",
    `Timed out after ${
      Math.round(timeoutMs / 1000)
    } s waiting for the browser sign-in; nothing was saved. Run codex-login again (use --timeout to wait longer).`,
    { exitCode: ExitCode.Timeout },
  );
}

/** A redirect that leaves no trace in caches or referrers. */
export function redirect(location: string): Response {
  return new Response(null, {
    status: 302,
    headers: { location, "cache-control": "no-store", "referrer-policy": "no-referrer" },
  });
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

/** The opener's one-time start link was used a second time. */
export const startLinkReused = (): LoginError =>
  new LoginError(
    "start_link_reused",
    "Someone else on this machine opened this sign-in's start link, so the sign-in was stopped: finishing it could have signed you in to their account. Nothing was saved; run codex-login again.",
  );

/** A newer codex-login took the port over. */
export const newerLoginCancel = (): LoginError =>
  new LoginError(
    "cancelled",
    "Sign-in cancelled by a newer login (started in another terminal); nothing was saved.",
    { exitCode: ExitCode.Interrupted },
  );
