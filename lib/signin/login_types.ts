/**
 * The browser sign-in's request, its dependencies and the session it hands back
 * (`login_server.ts` runs it).
 *
 * @module
 */

import type { LoginError } from "../base/errors.ts";
import type { ClaimDeps } from "../loopback/port_claim.ts";
import type { LookupOptions } from "../loopback/peer_lookup.ts";
import type { LoginResult, SignInDeps, SignInRequest } from "./sign_in.ts";

/** Default time to wait for the browser: 10 minutes. */
export const DEFAULT_LOGIN_TIMEOUT_MS = 600_000;

/** Default time to wait for a device code to be entered: 15 minutes. */
export const DEVICE_TIMEOUT_MS = 15 * 60_000;

/** The path the issuer redirects the browser to (the redirect URI's path). */
export const CALLBACK_PATH = "/auth/callback";

/** What a browser sign-in is asked to do. */
export interface LoginRequest extends SignInRequest {
  /**
   * Loopback port; 0 picks a free one. Default: 1455, falling back to 1457 (the other
   * registered port) when 1455 is held by another program. An explicit port never falls back.
   */
  port?: number;
  /** Give up after this many ms (exit 124). 0 waits forever. Default 10 minutes. */
  timeoutMs?: number;
  /** Opens the authorize URL; `undefined` opens nothing. Its failure is only a note. */
  openBrowser?: (url: string) => Promise<boolean> | boolean;
  /** Report each request the server answers. */
  verbose?: boolean;
  /** Cancels the sign-in (like {@linkcode LoginSession.cancel}). */
  signal?: AbortSignal;
}

/** What a browser sign-in depends on besides {@linkcode SignInDeps}. */
export interface LoginDeps extends SignInDeps {
  /** How the owner of a connection is looked up (`ss`, else `lsof`; tests pass a runner). */
  peers?: LookupOptions;
  /** How the port is bound and a taken one retried. */
  claim?: ClaimDeps;
  /** How long to wait for the browser to load `/success` after the redirect, ms. Default 3 s. */
  successGraceMs?: number;
}

/** A sign-in in progress. */
export interface LoginSession {
  /** The URL to open in a browser. */
  readonly authUrl: string;
  /** The port the server listens on. */
  readonly port: number;
  /** `http://127.0.0.1:{port}/auth/callback`. */
  readonly redirectUri: string;
  /**
   * The one-time link handed to the browser opener (`http://127.0.0.1:{port}/start/<random>`):
   * it redirects to `authUrl` once; a second use stops the sign-in (someone else on this
   * machine read it, e.g. from the process table).
   */
  readonly startUrl: string;
  /** Settles once: the result, or a {@linkcode LoginError} with its exit code. */
  readonly result: Promise<LoginResult>;
  /** Stop waiting: the result rejects with `reason` (default: interrupted, exit 130). */
  cancel(reason?: LoginError): void;
  /**
   * Complete the sign-in with the address the browser ended on, pasted by the person (the
   * whole callback URL or its query string). Same state check and exchange as the callback;
   * whichever arrives first wins. Resolves to a line to show the person.
   */
  submitRedirect(text: string): Promise<PasteReply>;
}

/** What a pasted address came to, and the line that says so. */
export interface PasteReply {
  /** The sign-in took it (and the person can stop pasting). */
  readonly accepted: boolean;
  /** One line for the person. */
  readonly message: string;
}
