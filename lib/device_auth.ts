/**
 * Device-code sign-in (`login --device-auth`), the flow the Codex CLI uses where no browser
 * can reach this machine: get a one-time code, show where to enter it, poll until the person
 * has entered it, then exchange the code and save auth.json as the browser flow does (the
 * API-key exchange is best effort here).
 *
 * @module
 */

import { ExitCode, interrupted, LoginError } from "./errors.ts";
import { type HttpAnswer, HttpError, postRequest } from "./http_client.ts";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER,
  defaultApiBase,
  defaultPlatformUrl,
  IssuerClient,
} from "./issuer.ts";
import { s256Challenge } from "./pkce.ts";
import { completeSignIn, type LoginResult, loginResult, redeemAfterSignIn } from "./sign_in.ts";

/** Default time to wait for the code to be entered: 15 minutes. */
export const DEVICE_TIMEOUT_MS = 15 * 60_000;

/** Options of {@linkcode deviceLogin}. Only `codexHome` is required. */
export interface DeviceLoginOptions {
  /** Where auth.json goes. */
  codexHome: string;
  /** Issuer base URL. Default `https://auth.openai.com`. */
  issuer?: string;
  /** OAuth client id. */
  clientId?: string;
  /** API base for credit redemption. */
  apiBase?: string;
  /** Give up after this many ms (exit 124). Default 15 minutes; 0 waits forever. */
  timeoutMs?: number;
  /** Where instructions and notes go. */
  log?: (line: string) => void;
  /** Called about once a second while waiting, with the ms left (Infinity without limit). */
  progress?: (msLeft: number) => void;
  /** The clock. */
  now?: () => Date;
  /** Per-request timeout, ms. */
  requestTimeoutMs?: number;
  /** Replace `fetch`. */
  fetch?: typeof fetch;
  /** Cancels the sign-in (exit 130). */
  signal?: AbortSignal;
}

/** The one-time code the issuer handed out. */
export interface DeviceCode {
  /** Opaque id for polling. */
  deviceAuthId: string;
  /** The code the person enters. */
  userCode: string;
  /** Seconds between polls. */
  intervalSeconds: number;
  /** Where to enter it: `{issuer}/codex/device`. */
  verificationUrl: string;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(id);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function parseInterval(value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) return 5;
  return Math.min(60, Math.max(0.2, n));
}

async function post(
  url: string,
  body: unknown,
  options: DeviceLoginOptions,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  return await postRequest(url, { json: body }, {
    timeoutMs: options.requestTimeoutMs,
    fetch: options.fetch,
    signal,
  });
}

/**
 * Ask the issuer for a one-time code. A 404 means device sign-in is not enabled.
 */
export async function requestDeviceCode(
  options: DeviceLoginOptions,
  signal: AbortSignal,
): Promise<DeviceCode> {
  const issuer = new IssuerClient({ issuer: options.issuer ?? DEFAULT_ISSUER }).issuer;
  let answer: HttpAnswer;
  try {
    answer = await post(
      `${issuer}/api/accounts/deviceauth/usercode`,
      { client_id: options.clientId ?? DEFAULT_CLIENT_ID },
      options,
      signal,
    );
  } catch (err) {
    if (err instanceof HttpError && err.failure === "cancelled") throw signal.reason;
    throw new LoginError(
      "other",
      `Could not start device sign-in: ${
        err instanceof Error ? err.message : String(err)
      }. Check your connection and try again.`,
      { cause: err },
    );
  }
  if (answer.status === 404) {
    throw new LoginError(
      "other",
      "Device sign-in is not enabled for this issuer or account. Use the browser sign-in instead: `codex-login login` (on a remote machine add --no-browser and paste the address, or forward the port with `ssh -L 1455:localhost:1455`).",
    );
  }
  const json = answer.json ?? {};
  const deviceAuthId = json.device_auth_id;
  const userCode = json.user_code ?? json.usercode;
  if (answer.status !== 200 || typeof deviceAuthId !== "string" || typeof userCode !== "string") {
    throw new LoginError(
      "other",
      `Could not start device sign-in: the issuer answered ${answer.status} without a code. Try again, or use \`codex-login login\`.`,
    );
  }
  return {
    deviceAuthId,
    userCode,
    intervalSeconds: parseInterval(json.interval),
    verificationUrl: `${issuer}/codex/device`,
  };
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
  const log = options.log ?? ((line: string) => console.error(line));
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? DEVICE_TIMEOUT_MS;
  const client = new IssuerClient({
    issuer: options.issuer ?? DEFAULT_ISSUER,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    timeoutMs: options.requestTimeoutMs,
    fetch: options.fetch,
  });
  const controller = new AbortController();
  const onAbort = () => controller.abort(interrupted());
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const started = Date.now();
  const deadline = timeoutMs > 0 ? started + timeoutMs : Infinity;
  const timer = timeoutMs > 0
    ? setTimeout(() =>
      controller.abort(
        new LoginError(
          "timeout",
          `Device sign-in timed out after ${
            timeoutMs >= 120_000
              ? `${Math.round(timeoutMs / 60_000)} min`
              : `${Math.round(timeoutMs / 1000)} s`
          } without the code being entered; nothing was saved. Run codex-login login --device-auth again.`,
          { exitCode: ExitCode.Timeout },
        ),
      ), timeoutMs)
    : undefined;
  const ticker = options.progress
    ? setInterval(() => options.progress?.(deadline - Date.now()), 1000)
    : undefined;
  const signal = controller.signal;
  try {
    const device = await requestDeviceCode(options, signal);
    log("To sign in, open this page in a browser on any device:");
    log("");
    log(`    ${device.verificationUrl}`);
    log("");
    log("and enter this one-time code:");
    log("");
    log(`    ${device.userCode}`);
    log("");
    log("Never enter a code that someone else sent you: it would sign them in as you.");
    options.progress?.(deadline - Date.now());

    let grant: { code: string; verifier: string } | undefined;
    let warned = false;
    while (!grant) {
      await sleep(device.intervalSeconds * 1000, signal);
      let answer: HttpAnswer;
      try {
        answer = await post(
          `${client.issuer}/api/accounts/deviceauth/token`,
          { device_auth_id: device.deviceAuthId, user_code: device.userCode },
          options,
          signal,
        );
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (!warned) log(`Note: ${err instanceof Error ? err.message : err}; still trying.`);
        warned = true;
        continue;
      }
      if (answer.status === 403 || answer.status === 404) continue; // not entered yet
      if (answer.status >= 500) continue;
      const json = answer.json ?? {};
      const code = json.authorization_code;
      const verifier = json.code_verifier;
      if (answer.status !== 200 || typeof code !== "string" || typeof verifier !== "string") {
        throw new LoginError(
          "code_exchange",
          `Device sign-in failed: the issuer answered ${answer.status}${
            typeof json.error === "string" ? ` (${json.error})` : ""
          }. Run codex-login login --device-auth again for a new code.`,
        );
      }
      if (
        typeof json.code_challenge === "string" &&
        json.code_challenge !== await s256Challenge(verifier)
      ) {
        throw new LoginError(
          "code_exchange",
          "Device sign-in failed: the issuer's code_verifier does not match its code_challenge. Run codex-login login --device-auth again.",
        );
      }
      grant = { code, verifier };
    }
    if (Number.isFinite(deadline) && Date.now() > deadline) throw signal.reason;
    const outcome = await completeSignIn({
      client,
      codexHome: options.codexHome,
      platformUrl: defaultPlatformUrl(client.issuer),
      now,
      log,
      signal,
      apiKeyOptional: true,
    }, {
      code: grant.code,
      redirectUri: `${client.issuer}/deviceauth/callback`,
      codeVerifier: grant.verifier,
    });
    clearInterval(ticker);
    await redeemAfterSignIn(outcome, {
      apiBase: options.apiBase ?? defaultApiBase(client.issuer),
      now,
      log,
      requestTimeoutMs: options.requestTimeoutMs,
      fetch: options.fetch,
    });
    if (outcome.setupUrl) {
      log("Finish setting up your API organization on the platform site (Settings > Billing).");
    }
    return loginResult(options.codexHome, outcome);
  } catch (err) {
    if (signal.aborted && signal.reason instanceof LoginError) throw signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    clearInterval(ticker);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
