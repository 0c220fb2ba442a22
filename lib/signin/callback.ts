/**
 * The callback state machine, shared by the loopback `/auth/callback` and a pasted address:
 * the `state` check (constant time; a wrong one is refused and the sign-in keeps waiting),
 * single use (the first valid callback wins, later ones are refused), the issuer's OAuth
 * errors, and completing the sign-in with the code.
 *
 * @module
 */

import { errorText, LoginError } from "../base/errors.ts";
import { redact } from "../base/redact.ts";
import { completeSignIn, type SignInContext, type SignInOutcome } from "./sign_in.ts";
import type { SignInTokens } from "../issuer/issuer.ts";
import { timingSafeEqual } from "../base/timing_safe_equal.ts";

/** How one callback came out. */
export type CallbackOutcome =
  /** Not ours, or no longer: the sign-in keeps waiting. */
  | { kind: "rejected"; error: LoginError }
  /** The sign-in ended in failure (`description` is the issuer's, redacted). */
  | { kind: "failed"; error: LoginError; description?: string }
  /** Signed in and saved. */
  | { kind: "signed_in"; outcome: SignInOutcome };

/** Why a callback cannot be completed. */
type Refusal = "state_mismatch" | "already_used" | "invalid_input" | "oauth_error";

/** Where the machine is: waiting for a callback, completing one, or done. */
export type CallbackPhase = "waiting" | "completing" | "done";

/** What a sign-in's callback is checked against and completed with. */
export interface CallbackOptions {
  /** The resolved sign-in context. */
  ctx: SignInContext;
  /** The `state` sent in the authorize URL. */
  state: string;
  /** The redirect URI sent in the authorize URL. */
  redirectUri: string;
  /** The PKCE verifier. */
  codeVerifier: string;
  /** Aborts the token steps (cancel, timeout). */
  signal: AbortSignal;
}

const REJECTIONS = {
  state_mismatch: "The sign-in link does not belong to this sign-in.",
  already_used: "This sign-in has already received its code.",
  invalid_input: "The sign-in link has no authorization code.",
} as const;

function rejected(kind: keyof typeof REJECTIONS): CallbackOutcome {
  return { kind: "rejected", error: new LoginError(kind, { what: REJECTIONS[kind] }) };
}

/** Codex's test for an account whose workspace does not include Codex. */
function missingEntitlement(code: string, description: string): boolean {
  return code === "access_denied" &&
    description.toLowerCase().includes("missing_codex_entitlement");
}

function oauthFailure(params: URLSearchParams): CallbackOutcome {
  const code = redact(params.get("error") ?? "", [], 80);
  const description = redact(params.get("error_description") ?? "", [], 300);
  if (missingEntitlement(code, description)) {
    const error = new LoginError("missing_entitlement", {
      what: "Codex is not enabled for your workspace.",
      next: "Contact your workspace administrator to request access to Codex.",
      oauthCode: code,
    });
    return { kind: "failed", error };
  }
  const error = new LoginError(code === "access_denied" ? "access_denied" : "oauth_error", {
    what: `Sign-in failed: the issuer answered ${code}${description ? ` (${description})` : ""}.`,
    next: "Nothing was saved; run codex-login again to retry.",
    oauthCode: code,
  });
  return { kind: "failed", error, description };
}

/**
 * One sign-in's callback handling.
 *
 * @example A callback with the wrong state is refused and the machine keeps waiting
 * ```ts
 * import assert from "node:assert/strict";
 * import { CallbackMachine } from "./callback.ts";
 * import { resolveSignInContext } from "./sign_in.ts";
 * import { resolveIssuer } from "../issuer/issuer_config.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * const machine = new CallbackMachine({
 *   ctx: resolveSignInContext({ home: new CodexHome("/tmp/unused"), endpoints: resolveIssuer() }),
 *   state: "right",
 *   redirectUri: "http://127.0.0.1:1455/auth/callback",
 *   codeVerifier: "v",
 *   signal: new AbortController().signal,
 * });
 * const outcome = await machine.handle(new URLSearchParams("code=c&state=wrong"));
 * assert.equal(outcome.kind, "rejected");
 * assert.equal(machine.phase, "waiting");
 * ```
 */
export class CallbackMachine {
  /** Where the machine is. */
  phase: CallbackPhase = "waiting";
  /** The completed sign-in, once there is one. */
  outcome?: SignInOutcome;
  readonly #options: CallbackOptions;
  #early?: { code: string; exchange: Promise<SignInTokens> };

  /** A machine waiting for its callback. */
  constructor(options: CallbackOptions) {
    this.#options = options;
  }

  /** Stop accepting callbacks (cancelled, timed out, failed). */
  stop(): void {
    this.phase = "done";
  }

  /**
   * Start the code exchange of a callback that may yet be refused (its connection's owner is
   * still being checked), so that the exchange's round trip overlaps the check. Only one, and
   * only for the right state while waiting; the tokens go nowhere until {@linkcode handle}
   * gets the same code (the PKCE verifier never leaves this process, so a code sent by anyone
   * else cannot be redeemed for them).
   */
  prefetch(params: URLSearchParams): void {
    const check = this.#check(params);
    if (!("code" in check) || this.#early) return;
    const { ctx, redirectUri, codeVerifier, signal } = this.#options;
    const { code } = check;
    const exchange = ctx.client.exchangeCode({ code, redirectUri, codeVerifier }, signal);
    exchange.catch(() => {}); // seen by handle(), or by nobody
    this.#early = { code, exchange };
  }

  /** The code of a callback that can be completed now, or why it cannot. */
  #check(params: URLSearchParams): { code: string } | { refused: Refusal } {
    if (!timingSafeEqual(params.get("state") ?? "", this.#options.state)) {
      return { refused: "state_mismatch" };
    }
    if (this.phase !== "waiting") return { refused: "already_used" };
    if (params.get("error") !== null) return { refused: "oauth_error" };
    const code = params.get("code");
    return code ? { code } : { refused: "invalid_input" };
  }

  /** Check and complete one callback's parameters. Never throws. */
  async handle(params: URLSearchParams): Promise<CallbackOutcome> {
    const check = this.#check(params);
    if ("refused" in check) {
      if (check.refused !== "oauth_error") return rejected(check.refused);
      this.stop();
      return oauthFailure(params);
    }
    const { code } = check;
    this.phase = "completing";
    const { ctx, redirectUri, codeVerifier, signal } = this.#options;
    try {
      const exchange = this.#early?.code === code ? this.#early.exchange : undefined;
      this.outcome = await completeSignIn(ctx, { code, redirectUri, codeVerifier }, {
        signal,
        exchange,
      });
    } catch (err) {
      this.stop();
      const error = err instanceof LoginError
        ? err
        : new LoginError("other", { what: `Sign-in failed: ${errorText(err)}`, cause: err });
      return { kind: "failed", error };
    }
    this.stop();
    return { kind: "signed_in", outcome: this.outcome };
  }
}

/**
 * The line shown to a person who pasted an address, for each outcome.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorText, LoginError } from "../base/errors.ts";
 * import { pasteReply } from "./callback.ts";
 * const reply = pasteReply({ kind: "failed", error: new LoginError("other", { what: "x" }) });
 * assert.equal(reply.accepted, true);
 * ```
 */
export function pasteReply(outcome: CallbackOutcome): { accepted: boolean; message: string } {
  switch (outcome.kind) {
    case "rejected":
      return {
        accepted: false,
        message: outcome.error.kind === "state_mismatch"
          ? "That address belongs to another sign-in (its state does not match); still waiting. Open the URL above and paste the address you end on."
          : `${outcome.error.what} Still waiting.`,
      };
    case "failed":
      return { accepted: true, message: "The pasted address ended the sign-in." };
    case "signed_in":
      return { accepted: true, message: "Signed in with the pasted address." };
  }
}
