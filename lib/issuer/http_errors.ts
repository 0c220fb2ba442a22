/**
 * How an outbound request fails: {@linkcode HttpError} with its kind, and the one sentence
 * each transport failure is said in (never the HTTP stack's own, often cut, text).
 *
 * @module
 */

import { grantAdvice } from "../base/permissions.ts";
import { redact, stripUserinfo } from "../base/redact.ts";

/** Why a request produced no usable answer. */
export type HttpFailure =
  | "network"
  | "tls"
  | "proxy"
  | "timeout"
  | "too_large"
  | "cancelled"
  | "permission"
  | "redirect";

/** A request that produced no usable answer (the status and body, if any, are unknown). */
export class HttpError extends Error {
  /** What went wrong. */
  readonly failure: HttpFailure;
  /** Make an HttpError; `message` must not carry a secret. */
  constructor(failure: HttpFailure, message: string) {
    super(message);
    this.name = "HttpError";
    this.failure = failure;
  }
}

/** A failed request as an {@linkcode HttpError}: what failed and the likely cause. */
export function transportError(
  err: unknown,
  host: string,
  timeoutMs: number,
  flags: { cancelled: boolean; timedOut: boolean; proxy?: string },
  secrets: readonly string[],
): HttpError {
  if (err instanceof HttpError) return err;
  const detail = err instanceof Error
    ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ""}`
    : String(err);
  if (flags.cancelled) return new HttpError("cancelled", `the request was cancelled`);
  if (flags.timedOut) {
    return new HttpError("timeout", `${host} did not answer within ${timeoutMs / 1000} s`);
  }
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return new HttpError(
      "permission",
      `network access to ${host} was not granted (${grantAdvice({ name: "net", host })})`,
    );
  }
  const reason = redact(detail.trim(), secrets, 160);
  if (/certificate|UnknownIssuer|invalid peer|CaUsedAsEndEntity|NotValidForName/i.test(detail)) {
    return new HttpError(
      "tls",
      `${host}'s TLS certificate could not be verified (${reason}); this is a certificate problem: if your network inspects TLS, point CODEX_CA_CERTIFICATE (or SSL_CERT_FILE) at your CA's PEM bundle`,
    );
  }
  if (flags.proxy) {
    return new HttpError(
      "proxy",
      `could not reach ${host} through the proxy ${
        stripUserinfo(flags.proxy)
      } (${reason}); check the proxy (and HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)`,
    );
  }
  return new HttpError("network", networkSentence(host, detail));
}

/**
 * A transport failure as one sentence: what failed and the likely cause, never the raw (and
 * often cut) error text of the HTTP stack.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { networkSentence } from "./http_errors.ts";
 * assert.equal(
 *   networkSentence("auth.openai.com", "client error (Connect): dns error: failed to lookup address information: Temporary failure in name resolution"),
 *   "could not find auth.openai.com (its name did not resolve: no network, or a DNS problem)",
 * );
 * ```
 */
export function networkSentence(host: string, detail: string): string {
  if (
    /dns error|failed to lookup|name resolution|Name or service not known|nodename nor servname/i
      .test(detail)
  ) {
    const name = host.replace(/:\d+$/, "");
    return `could not find ${name} (its name did not resolve: no network, or a DNS problem)`;
  }
  if (/connection refused|ConnectionRefused|os error 111/i.test(detail)) {
    return `${host} refused the connection (nothing listens there, or a firewall rejects it)`;
  }
  if (
    /connection reset|ConnectionReset|broken pipe|os error 104|unexpected eof|closed/i.test(detail)
  ) {
    return `the connection to ${host} was cut (a flaky network, a firewall or a proxy in the way)`;
  }
  if (/network is unreachable|no route to host|os error 101|os error 113/i.test(detail)) {
    return `${host} cannot be reached from this machine (no route: check your network or VPN)`;
  }
  return `could not connect to ${host} (a network problem between this machine and it)`;
}
