/**
 * Device-code sign-in (`login --device-auth`), the flow the Codex CLI uses where no browser
 * can reach this machine: get a one-time code, show where to enter it, poll until the person
 * has entered it, then exchange the code and save the credentials as the browser flow does
 * (the API-key exchange is best effort here).
 *
 * @module
 */

import { commandLine } from "../base/invocation.ts";
import { ExitCode, interrupted, LoginError, MAX_TIMER_MS } from "../base/errors.ts";
import {
  type DeviceCode,
  type DeviceGrant,
  type IssuerClient,
  IssuerError,
} from "../issuer/issuer.ts";
import { s256Challenge } from "../base/pkce.ts";
import { pollDeviceToken, requestDeviceCode } from "../issuer/device_code.ts";
import { safeLine } from "../base/terminal_safe.ts";
import { afterSignIn } from "./after_sign_in.ts";
import {
  completeSignIn,
  type LoginResult,
  loginResult,
  resolveSignInContext,
  type SignInOptions,
} from "./sign_in.ts";

export type { DeviceCode };

/** Default time to wait for the code to be entered: 15 minutes. */
export const DEVICE_TIMEOUT_MS = 15 * 60_000;

/** Options of {@linkcode deviceLogin}. Only `codexHome` is required. */
export interface DeviceLoginOptions extends SignInOptions {
  /** Give up after this many ms (exit 124). Default 15 minutes; 0 waits forever. */
  timeoutMs?: number;
  /** Called about once a second while waiting, with the ms left (Infinity without limit). */
  progress?: (msLeft: number) => void;
  /** Cancels the sign-in (exit 130). */
  signal?: AbortSignal;
  /** Waits between polls (the clock; tests pass their own). Default: a timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const id = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(id);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function timeoutError(timeoutMs: number): LoginError {
  const span = timeoutMs >= 120_000
    ? `${Math.round(timeoutMs / 60_000)} min`
    : `${Math.round(timeoutMs / 1000)} s`;
  return new LoginError(
    "timeout",
    `Device sign-in timed out after ${span} without the code being entered; nothing was saved. Run ${
      commandLine(["login", "--device-auth"])
    } again.`,
    { exitCode: ExitCode.Timeout },
  );
}

/** Ask for a code; the issuer's refusals become the person's next step. */
async function requestCode(client: IssuerClient, signal: AbortSignal): Promise<DeviceCode> {
  try {
    return await requestDeviceCode(client, signal);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (err instanceof IssuerError && err.status === 404) {
      throw new LoginError(
        "other",
        `Device sign-in is not enabled for this issuer or account. Use the browser sign-in instead: \`${
          commandLine(["login"])
        }\` (on a remote machine add --no-browser and paste the address, or forward the port with \`ssh -L 1455:127.0.0.1:1455\`).`,
      );
    }
    const next = err instanceof IssuerError && err.failure
      ? " Check your connection and try again."
      : ` Try again, or use \`${commandLine(["login"])}\`.`;
    throw new LoginError(
      "other",
      `${err instanceof Error ? err.message : String(err)}${next}`,
      { cause: err },
    );
  }
}

function showCode(log: (line: string) => void, device: DeviceCode): void {
  log("To sign in, open this page in a browser on any device:");
  log("");
  log(`    ${safeLine(device.verificationUrl)}`);
  log("");
  log("and enter this one-time code:");
  log("");
  log(`    ${safeLine(device.userCode)}`);
  log("");
  log("Never enter a code that someone else sent you: it would sign them in as you.");
}

/** Poll at the issuer's interval until the code is entered. */
async function waitForGrant(
  client: IssuerClient,
  device: DeviceCode,
  log: (line: string) => void,
  signal: AbortSignal,
  wait: (ms: number, signal: AbortSignal) => Promise<void> = sleep,
): Promise<DeviceGrant> {
  let warned = false;
  while (true) {
    await wait(device.intervalSeconds * 1000, signal);
    let grant: DeviceGrant | undefined;
    try {
      grant = await pollDeviceToken(client, device, signal);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (!(err instanceof IssuerError) || err.failure === undefined) {
        throw new LoginError(
          "code_exchange",
          `${err instanceof Error ? err.message : err} Run ${
            commandLine(["login", "--device-auth"])
          } again for a new code.`,
          { cause: err },
        );
      }
      if (!warned) log(`Note: ${err.message.replace(/\.$/, "")}; still trying.`);
      warned = true;
      continue;
    }
    if (!grant) continue;
    if (grant.challenge !== undefined && grant.challenge !== await s256Challenge(grant.verifier)) {
      throw new LoginError(
        "code_exchange",
        `Device sign-in failed: the issuer's code_verifier does not match its code_challenge. Run ${
          commandLine(["login", "--device-auth"])
        } again.`,
      );
    }
    return grant;
  }
}

/**
 * Sign in with a device code.
 *
 * @example
 * ```ts ignore
 * import { deviceLogin } from "./device_auth.ts";
 * const result = await deviceLogin({ codexHome: "/home/me/.codex" });
 * console.error(`Signed in: ${result.authFile}`);
 * ```
 */
export async function deviceLogin(options: DeviceLoginOptions): Promise<LoginResult> {
  const ctx = resolveSignInContext(options);
  const timeoutMs = options.timeoutMs ?? DEVICE_TIMEOUT_MS;
  const controller = new AbortController();
  const onAbort = () => controller.abort(interrupted());
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  const timer = timeoutMs > 0
    ? setTimeout(() => controller.abort(timeoutError(timeoutMs)), Math.min(timeoutMs, MAX_TIMER_MS))
    : undefined;
  const ticker = options.progress
    ? setInterval(() => options.progress?.(deadline - Date.now()), 1000)
    : undefined;
  const signal = controller.signal;
  try {
    const device = await requestCode(ctx.client, signal);
    showCode(ctx.log, device);
    options.progress?.(deadline - Date.now());
    const grant = await waitForGrant(ctx.client, device, ctx.log, signal, options.sleep);
    if (Date.now() > deadline) throw signal.reason;
    const outcome = await completeSignIn(ctx, {
      code: grant.code,
      redirectUri: `${ctx.client.issuer}/deviceauth/callback`,
      codeVerifier: grant.verifier,
    }, { signal });
    clearInterval(ticker);
    // As Codex 0.169: the device sign-in saves no API key (Codex works without one).
    await afterSignIn(ctx, outcome, { apiKey: false });
    return loginResult(ctx, outcome);
  } catch (err) {
    if (signal.aborted && signal.reason instanceof LoginError) throw signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    clearInterval(ticker);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
