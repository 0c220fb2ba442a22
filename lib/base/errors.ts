/**
 * Errors a user can hit, each with the process exit code it maps to and a message that says
 * what happened and what to do next. Messages never carry a token.
 *
 * @module
 */

/** Process exit codes, documented in README.md. */
export const ExitCode = {
  /** Signed in (or the command did what it was asked). */
  Ok: 0,
  /** Sign-in failed, or the command failed. */
  Failed: 1,
  /** Bad command line, or a permission the program needs was not granted. */
  Usage: 2,
  /** The loopback port is held by another program. */
  PortInUse: 13,
  /** Nothing arrived before `--timeout`. */
  Timeout: 124,
  /** Interrupted (Ctrl-C) or cancelled by a newer login. */
  Interrupted: 130,
} as const;

/** One of the values of {@linkcode ExitCode}. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/**
 * What went wrong, for the error page and for callers that branch on it.
 *
 * - `access_denied`: the person (or the issuer) declined the sign-in.
 * - `oauth_error`: the issuer redirected back with another OAuth error.
 * - `code_exchange`: the issuer refused or failed to exchange the authorization code.
 * - `api_key_exchange`: the token exchange for an API key failed.
 * - `save_failed`: auth.json could not be written.
 * - `timeout`, `cancelled`, `port_in_use`, `usage`, `permission`, `not_logged_in`,
 *   `corrupt_auth`, `refresh_failed`, `invalid_input`, `other`.
 * - `state_mismatch`, `already_used`: a callback that is not (or no longer) ours; the
 *   sign-in keeps waiting.
 * - `session_ended`: the refresh token is no longer accepted: sign in again.
 * - `policy`: config.toml's `forced_login_method` forbids this way of signing in.
 * - `workspace_restricted`: the chosen workspace is not in `forced_chatgpt_workspace_id`.
 * - `missing_entitlement`: Codex is not enabled for the person's workspace.
 * - `unsafe_home`: the codex home, auth.json or the lock could be tampered with by others.
 * - `lock_busy`: another process held the credentials' lock for too long.
 * - `keyring_unavailable`: the configured keyring cannot be reached (or loaded).
 * - `network_config`: the CA bundle named by the environment cannot be used.
 * - `access_token_refused`: the issuer did not accept a personal access token.
 * - `home_unusable`: the codex home cannot be created, is not a directory, or is not
 *   writable by us (said before anything opens).
 * - `start_link_reused`: the opener's one-time start link was used twice (someone else on
 *   the machine read it); the sign-in was stopped.
 */
export type LoginErrorKind =
  | "access_denied"
  | "oauth_error"
  | "code_exchange"
  | "api_key_exchange"
  | "save_failed"
  | "timeout"
  | "cancelled"
  | "port_in_use"
  | "usage"
  | "permission"
  | "not_logged_in"
  | "corrupt_auth"
  | "refresh_failed"
  | "session_ended"
  | "invalid_input"
  | "state_mismatch"
  | "already_used"
  | "policy"
  | "workspace_restricted"
  | "missing_entitlement"
  | "start_link_reused"
  | "unsafe_home"
  | "lock_busy"
  | "keyring_unavailable"
  | "network_config"
  | "access_token_refused"
  | "home_unusable"
  | "other";

/** Options of {@linkcode LoginError}. */
export interface LoginErrorOptions {
  /** The exit code; defaults to {@linkcode ExitCode.Failed}. */
  exitCode?: ExitCodeValue;
  /** The OAuth `error` code, shown on the error page for support. */
  oauthCode?: string;
  /** The underlying error, kept for `--verbose`. Never printed by default. */
  cause?: unknown;
}

/**
 * An error that ends a command with a given exit code and a one- or two-line message.
 *
 * @example Map an error to an exit code
 * ```ts
 * import { ExitCode, LoginError } from "./errors.ts";
 * const err = new LoginError("timeout", "Timed out waiting for the browser.", {
 *   exitCode: ExitCode.Timeout,
 * });
 * import assert from "node:assert/strict";
 * assert.equal(err.exitCode, 124);
 * ```
 */
export class LoginError extends Error {
  /** What went wrong, see {@linkcode LoginErrorKind}. */
  readonly kind: LoginErrorKind;
  /** The process exit code this error maps to. */
  readonly exitCode: ExitCodeValue;
  /** The OAuth error code, when the issuer sent one. */
  readonly oauthCode?: string;

  /** Make an error of `kind` with a message that says what to do next. */
  constructor(kind: LoginErrorKind, message: string, options: LoginErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LoginError";
    this.kind = kind;
    this.exitCode = options.exitCode ?? ExitCode.Failed;
    this.oauthCode = options.oauthCode;
  }
}

/** A bad command line: exit 2. */
export function usageError(message: string): LoginError {
  return new LoginError("usage", message, { exitCode: ExitCode.Usage });
}

/** Ctrl-C (or SIGTERM) while signing in: exit 130, nothing saved. */
export function interrupted(): LoginError {
  return new LoginError("cancelled", "Sign-in interrupted; nothing was saved.", {
    exitCode: ExitCode.Interrupted,
  });
}

/**
 * The longest delay a timer takes (2^31 - 1 ms, about 24.8 days): a longer one would fire at
 * once. Timeouts are clamped to it.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** An OS error in a few words, without its errno suffix. */
export function errorText(err: unknown): string {
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "a directory is in the way";
  if (err instanceof Error) return err.message.replace(/\s*\(os error \d+\)/, "");
  return String(err);
}
