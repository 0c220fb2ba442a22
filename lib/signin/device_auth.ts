/**
 * Device-code sign-in (`login --device-auth`), the flow the Codex CLI uses where no browser
 * can reach this machine: get a one-time code, show where to enter it, poll until the person
 * has entered it, then exchange the code and save the credentials as the browser flow does
 * (without an API key, as Codex 0.169). The countdown is reported as progress events.
 *
 * @module
 */

import { commandLine } from "../base/invocation.ts";
import { errorText, interrupted, LoginError, MAX_TIMER_MS, timedOut } from "../base/errors.ts";
import { flowEvent, type Report } from "../base/events.ts";
import {
  type DeviceCode,
  type DeviceGrant,
  type IssuerClient,
  IssuerError,
  issuerFailure,
} from "../issuer/issuer.ts";
import { s256Challenge } from "../base/pkce.ts";
import { pollDeviceToken, requestDeviceCode } from "../issuer/device_code.ts";
import { safeLine } from "../base/terminal_safe.ts";
import { afterSignIn } from "./after_sign_in.ts";
import { DEVICE_TIMEOUT_MS } from "./login_types.ts";
import {
  completeSignIn,
  type LoginResult,
  loginResult,
  resolveSignInContext,
  type SignInDeps,
  type SignInRequest,
} from "./sign_in.ts";

export { DEVICE_TIMEOUT_MS };
export type { DeviceCode };

/** What a device sign-in is asked to do. */
export interface DeviceLoginRequest extends SignInRequest {
  /** Give up after this many ms (exit 124). Default 15 minutes; 0 waits forever. */
  timeoutMs?: number;
  /** Cancels the sign-in (exit 130). */
  signal?: AbortSignal;
}

/** What a device sign-in depends on besides {@linkcode SignInDeps}. */
export interface DeviceLoginDeps extends SignInDeps {
  /** Waits between polls. Default: a timer. */
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

const RETRY_DEVICE = () => `Run ${commandLine(["login", "--device-auth"])} again.`;

/** Ask for a code; the issuer's refusals become the person's next step. */
async function requestCode(client: IssuerClient, signal: AbortSignal): Promise<DeviceCode> {
  try {
    return await requestDeviceCode(client, signal);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (err instanceof IssuerError && err.status === 404) {
      throw new LoginError("other", {
        what: "Device sign-in is not enabled for this issuer or account.",
        next: `Use the browser sign-in instead: \`${
          commandLine(["login"])
        }\` (on a remote machine add --no-browser and paste the address, or forward the port with \`ssh -L 1455:127.0.0.1:1455\`).`,
        code: "device.disabled",
      });
    }
    throw issuerFailure(err, "other", `Try again, or use \`${commandLine(["login"])}\`.`);
  }
}

function showCode(report: Report, device: DeviceCode): void {
  const url = safeLine(device.verificationUrl);
  const code = safeLine(device.userCode);
  report(flowEvent(
    "action",
    "device.code",
    [
      "To sign in, open this page in a browser on any device:",
      "",
      `    ${url}`,
      "",
      "and enter this one-time code:",
      "",
      `    ${code}`,
      "",
      "Never enter a code that someone else sent you: it would sign them in as you.",
    ].join("\n"),
    { url, code },
  ));
}

/** The progress event of the wait for the code, with the time left. */
function waiting(msLeft: number) {
  return flowEvent("progress", "device.waiting", "Waiting for the code to be entered", {
    ms_left: msLeft,
  });
}

/** Poll at the issuer's interval until the code is entered. */
async function waitForGrant(
  client: IssuerClient,
  device: DeviceCode,
  report: Report,
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
      if (!(err instanceof IssuerError) || err.failureClass !== "unreachable") {
        throw new LoginError("code_exchange", {
          what: err instanceof IssuerError
            ? err.message
            : `Device sign-in failed: ${errorText(err)}`,
          next: `Run ${commandLine(["login", "--device-auth"])} again for a new code.`,
          code: "code_exchange.device_poll",
          cause: err,
        });
      }
      if (!warned) {
        report(flowEvent(
          "note",
          "device.poll_failed",
          `Note: could not check on the device sign-in (${err.reason}); still trying.`,
        ));
      }
      warned = true;
      continue;
    }
    if (!grant) continue;
    if (grant.challenge !== undefined && grant.challenge !== await s256Challenge(grant.verifier)) {
      throw new LoginError("code_exchange", {
        what:
          "Device sign-in failed: the issuer's code_verifier does not match its code_challenge.",
        next: RETRY_DEVICE(),
        code: "code_exchange.challenge_mismatch",
      });
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
 * const result = await deviceLogin({ home, endpoints: resolveIssuer() });
 * console.error(`Signed in: ${result.authFile}`);
 * ```
 */
export async function deviceLogin(
  request: DeviceLoginRequest,
  deps: DeviceLoginDeps = {},
): Promise<LoginResult> {
  const ctx = resolveSignInContext(request, deps);
  const timeoutMs = request.timeoutMs ?? DEVICE_TIMEOUT_MS;
  const controller = new AbortController();
  const onAbort = () => controller.abort(interrupted());
  if (request.signal?.aborted) onAbort();
  request.signal?.addEventListener("abort", onAbort, { once: true });
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  const expired = () =>
    controller.abort(timedOut("the code to be entered", timeoutMs, RETRY_DEVICE()));
  const timer = timeoutMs > 0 ? setTimeout(expired, Math.min(timeoutMs, MAX_TIMER_MS)) : undefined;
  const tick = () => ctx.report(waiting(deadline - Date.now()));
  let ticker: ReturnType<typeof setInterval> | undefined;
  const signal = controller.signal;
  try {
    const device = await requestCode(ctx.client, signal);
    showCode(ctx.report, device);
    tick();
    ticker = setInterval(tick, 1000);
    const grant = await waitForGrant(ctx.client, device, ctx.report, signal, deps.sleep);
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
    request.signal?.removeEventListener("abort", onAbort);
  }
}
