/**
 * Errors a user can hit, as data: each {@linkcode LoginError} carries its kind, a stable code,
 * what happened and the next step, as separate parts. One table,
 * {@linkcode ERROR_KINDS}, gives every kind its process exit code, the HTTP status of the page
 * that reports it in a browser, that page's title and the page's next step; nothing else
 * chooses them. The terminal, the browser page and the login log each compose their own words
 * from these parts; no module parses another's sentence. Messages never carry a token.
 *
 * @module
 */

/** Process exit codes, documented in README.md. */
export const ExitCode = {
  /** Signed in (or the command did what it was asked). */
  Ok: 0,
  /** Sign-in failed, or the command failed. */
  Failed: 1,
  /** Bad command line or settings, or a permission the program needs was not granted. */
  Usage: 2,
  /** The loopback port is held by another program. */
  PortInUse: 13,
  /** Nothing arrived before `--timeout`. */
  Timeout: 124,
  /** Interrupted (Ctrl-C) or cancelled by a newer login. */
  Interrupted: 130,
} as const;

/** The exit codes in one line, for help pages. */
export const EXIT_CODE_SUMMARY =
  "0 signed in, 1 sign-in failed, 2 usage error, 13 port in use,\n124 timed out, 130 interrupted";

/** One of the values of {@linkcode ExitCode}. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/** What a kind of error means everywhere it is shown. */
export interface ErrorKindInfo {
  /** The process exit code. */
  readonly exit: ExitCodeValue;
  /** The HTTP status of a browser page that reports it. */
  readonly status: number;
  /** The browser page's title. */
  readonly title: string;
  /** The browser page's next step (the terminal has its own, in the error's `next`). */
  readonly next: string;
}

const RUN_AGAIN =
  "Nothing was saved. Run codex-login again in your terminal when you want to sign in.";
const STILL_WAITING =
  "The sign-in in your terminal is still waiting: open the URL it printed and sign in from there.";
const SEE_TERMINAL = "Nothing was saved. Your terminal says what went wrong and what to do next.";

function kind(
  exit: ExitCodeValue,
  status: number,
  title: string,
  next: string = SEE_TERMINAL,
): ErrorKindInfo {
  return { exit, status, title, next };
}

/** What went wrong, for callers that branch on it: a key of {@linkcode ERROR_KINDS}. */
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
  | "home_unusable"
  | "lock_busy"
  | "keyring_unavailable"
  | "network_config"
  | "access_token_refused"
  | "codex_running"
  | "other";

/**
 * Every kind of error, with its exit code, page status, page title and page next step.
 *
 * - `access_denied`: the person (or the issuer) declined the sign-in.
 * - `oauth_error`: the issuer redirected back with another OAuth error.
 * - `code_exchange`: the issuer refused or failed to exchange the authorization code.
 * - `api_key_exchange`: the token exchange for an API key failed.
 * - `save_failed`: the credentials could not be written.
 * - `state_mismatch`, `already_used`, `invalid_input`: a callback (or a pasted address, or a
 *   pasted secret) that is not usable; a sign-in keeps waiting.
 * - `session_ended`: the refresh token is no longer accepted: sign in again.
 * - `policy`: config.toml's `forced_login_method` forbids this way of signing in.
 * - `workspace_restricted`: the chosen workspace is not in `forced_chatgpt_workspace_id`.
 * - `missing_entitlement`: Codex is not enabled for the person's workspace.
 * - `unsafe_home`: the codex home, auth.json or the lock could be tampered with by others.
 * - `home_unusable`: the codex home cannot be created, is not a directory, or is not ours to
 *   write (said before anything opens).
 * - `lock_busy`: another process held the credentials' lock for too long.
 * - `keyring_unavailable`: the configured keyring cannot be reached (or loaded).
 * - `network_config`: the CA bundle named by the environment cannot be used.
 * - `access_token_refused`: the issuer did not accept a personal access token.
 * - `codex_running`: a running Codex may hold the account in memory, so it is not switched or
 *   refreshed (`--force` switches anyway).
 * - `start_link_reused`: the opener's one-time start link was used twice.
 * - `usage`: a bad command line or setting; `permission`: a Deno permission not granted.
 */
export const ERROR_KINDS: Readonly<Record<LoginErrorKind, ErrorKindInfo>> = {
  access_denied: kind(ExitCode.Failed, 400, "Sign-in was cancelled", RUN_AGAIN),
  oauth_error: kind(
    ExitCode.Failed,
    400,
    "The sign-in service reported an error",
    "Nothing was saved. Run codex-login again; if it keeps failing, contact support with the code below.",
  ),
  code_exchange: kind(
    ExitCode.Failed,
    502,
    "The sign-in service refused the sign-in code",
    "Nothing was saved. Run codex-login again to start a fresh sign-in.",
  ),
  api_key_exchange: kind(
    ExitCode.Failed,
    502,
    "Could not create an API key",
    "Nothing was saved. Run codex-login again; if it keeps failing, check your organization on the platform site.",
  ),
  save_failed: kind(
    ExitCode.Failed,
    500,
    "Could not save your credentials",
    "Your terminal shows which file could not be written. Fix that, then run codex-login again.",
  ),
  timeout: kind(
    ExitCode.Timeout,
    500,
    "The sign-in timed out",
    "Nothing was saved. Run codex-login again and finish signing in within the time shown.",
  ),
  cancelled: kind(ExitCode.Interrupted, 500, "The sign-in was stopped", RUN_AGAIN),
  port_in_use: kind(ExitCode.PortInUse, 500, "The sign-in could not listen here"),
  usage: kind(ExitCode.Usage, 500, "Sign-in failed"),
  permission: kind(ExitCode.Usage, 500, "Sign-in failed"),
  not_logged_in: kind(ExitCode.Failed, 500, "Not signed in"),
  corrupt_auth: kind(ExitCode.Failed, 500, "The stored credentials cannot be read"),
  refresh_failed: kind(ExitCode.Failed, 500, "Could not refresh the tokens"),
  session_ended: kind(ExitCode.Failed, 500, "Your session has ended"),
  invalid_input: kind(ExitCode.Failed, 400, "The sign-in link is incomplete", STILL_WAITING),
  state_mismatch: kind(ExitCode.Failed, 400, "This sign-in link is out of date", STILL_WAITING),
  already_used: kind(
    ExitCode.Failed,
    409,
    "This sign-in was already handled",
    "Look at your terminal: it says whether you are signed in.",
  ),
  policy: kind(ExitCode.Failed, 403, "This way of signing in is not allowed here"),
  workspace_restricted: kind(
    ExitCode.Failed,
    403,
    "This workspace is not allowed here",
    "Nothing was saved. Run codex-login again and choose one of the workspaces your terminal names.",
  ),
  missing_entitlement: kind(
    ExitCode.Failed,
    400,
    "You do not have access to Codex",
    "Codex is not enabled for your workspace. Contact your workspace administrator to request access to Codex.",
  ),
  start_link_reused: kind(
    ExitCode.Failed,
    409,
    "The sign-in was stopped",
    "Someone else on this computer opened this sign-in's link, so it was stopped to keep you out of their account. Nothing was saved; run codex-login again.",
  ),
  unsafe_home: kind(ExitCode.Failed, 500, "Your credentials' folder is not safe"),
  home_unusable: kind(ExitCode.Failed, 500, "Your credentials' folder cannot be used"),
  lock_busy: kind(ExitCode.Failed, 500, "Your credentials are busy"),
  keyring_unavailable: kind(ExitCode.Failed, 500, "The keyring cannot be reached"),
  network_config: kind(ExitCode.Usage, 500, "The network settings cannot be used"),
  access_token_refused: kind(ExitCode.Failed, 500, "The access token was refused"),
  codex_running: kind(ExitCode.Failed, 409, "Codex is running"),
  other: kind(ExitCode.Failed, 500, "Sign-in failed"),
};

/** The parts of a {@linkcode LoginError}. */
export interface ErrorParts {
  /** What happened: one or two whole sentences, ending with a period. */
  what: string;
  /** What to do next, one sentence; omitted when `what` already says it all. */
  next?: string;
  /**
   * A stable code for this error, finer than its kind (e.g. `code_exchange.network`), that
   * pages and logs branch on. Defaults to the kind.
   */
  code?: string;
  /** The OAuth `error` code, when the issuer sent one (shown on the error page). */
  oauthCode?: string;
  /** The underlying error, kept for `--verbose`. Never printed by default. */
  cause?: unknown;
}

/**
 * An error that ends a command: its kind (and so its exit code), a stable code, what happened
 * and the next step. `message` is the two parts joined, the terminal's one or two lines.
 *
 * @example Kind, code and parts
 * ```ts
 * import assert from "node:assert/strict";
 * import { LoginError } from "./errors.ts";
 * const err = new LoginError("timeout", {
 *   what: "Timed out waiting for the browser.",
 *   next: "Run codex-login again.",
 * });
 * assert.equal(err.exitCode, 124);
 * assert.equal(err.code, "timeout");
 * assert.equal(err.message, "Timed out waiting for the browser. Run codex-login again.");
 * ```
 */
export class LoginError extends Error {
  /** What went wrong, see {@linkcode ERROR_KINDS}. */
  readonly kind: LoginErrorKind;
  /** A stable code, finer than the kind. */
  readonly code: string;
  /** What happened. */
  readonly what: string;
  /** What to do next, when there is a step. */
  readonly next?: string;
  /** The OAuth error code, when the issuer sent one. */
  readonly oauthCode?: string;

  /** Make an error of `kind` from its parts. */
  constructor(kind: LoginErrorKind, parts: ErrorParts) {
    super(
      parts.next ? `${parts.what} ${parts.next}` : parts.what,
      parts.cause === undefined ? undefined : { cause: parts.cause },
    );
    this.name = "LoginError";
    this.kind = kind;
    this.code = parts.code ?? kind;
    this.what = parts.what;
    this.next = parts.next;
    this.oauthCode = parts.oauthCode;
  }

  /** The process exit code this error maps to (from its kind). */
  get exitCode(): ExitCodeValue {
    return ERROR_KINDS[this.kind].exit;
  }
}

/**
 * A bad command line: exit 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { usageError } from "./errors.ts";
 * assert.equal(usageError("Option --port needs a value.").exitCode, 2);
 * ```
 */
export function usageError(what: string, next?: string): LoginError {
  return new LoginError("usage", { what, next });
}

/**
 * Ctrl-C (or SIGTERM) while signing in: exit 130, nothing saved.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interrupted } from "./errors.ts";
 * assert.equal(interrupted().exitCode, 130);
 * ```
 */
export function interrupted(): LoginError {
  return new LoginError("cancelled", { what: "Sign-in interrupted; nothing was saved." });
}

/**
 * A wait that ran out (exit 124): what was awaited, for how long, and how to try again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timedOut } from "./errors.ts";
 * const err = timedOut("the browser sign-in", 600_000, "Run codex-login again.");
 * assert.equal(err.what, "Timed out after 10 min waiting for the browser sign-in; nothing was saved.");
 * assert.equal(err.exitCode, 124);
 * ```
 */
export function timedOut(waitingFor: string, timeoutMs: number, next: string): LoginError {
  const span = timeoutMs >= 120_000
    ? `${Math.round(timeoutMs / 60_000)} min`
    : `${Math.round(timeoutMs / 1000)} s`;
  return new LoginError("timeout", {
    what: `Timed out after ${span} waiting for ${waitingFor}; nothing was saved.`,
    next,
  });
}

/**
 * The longest delay a timer takes (2^31 - 1 ms, about 24.8 days): a longer one would fire at
 * once. Timeouts are clamped to it.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Any error in a few words: an OS error without its errno suffix, anything else as its
 * message. The one way an unknown error is turned into text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorText } from "./errors.ts";
 * assert.equal(errorText(new Error("No such file (os error 2)")), "No such file");
 * assert.equal(errorText("plain"), "plain");
 * ```
 */
export function errorText(err: unknown): string {
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "a directory is in the way";
  if (err instanceof Error) return err.message.replace(/\s*\(os error \d+\)/, "");
  return String(err);
}
