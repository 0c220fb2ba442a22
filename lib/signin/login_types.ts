/**
 * The browser sign-in's options and the session it hands back (`login_server.ts` runs it).
 *
 * @module
 */

import type { LoginError } from "../base/errors.ts";
import type { SsRunner } from "../loopback/peer_owner.ts";
import type { LoginResult, SignInOptions } from "./sign_in.ts";

/** Default time to wait for the browser: 10 minutes. */
export const DEFAULT_LOGIN_TIMEOUT_MS = 600_000;

/** Options of {@linkcode startLogin}. Only `codexHome` is required. */
export interface LoginOptions extends SignInOptions {
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
  /** Log each request the server answers. */
  verbose?: boolean;
  /** How long to wait for the browser to load `/success` after the redirect. Default 3 s. */
  successGraceMs?: number;
  /** Cancels the sign-in (like {@linkcode LoginSession.cancel}). */
  signal?: AbortSignal;
  /**
   * Turn other users of this machine away from the loopback server (Linux, with `ss`).
   * Default true; `false` only for tests that play another user with our own uid.
   */
  peerCheck?: boolean;
  /** How `ss` is run (tests replace it). */
  ssRunner?: SsRunner;
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
  submitRedirect(text: string): Promise<{ accepted: boolean; message: string }>;
}
