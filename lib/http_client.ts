/**
 * Outbound HTTP for the issuer and the API: every request has a timeout and a response
 * size cap, and its body comes back as parsed JSON or as a short, redacted excerpt.
 *
 * @module
 */

import { isJsonObject, type JsonObject } from "./jwt.ts";
import { redact } from "./redact.ts";

/** Limits and seams for outbound requests. */
export interface HttpOptions {
  /** Give up after this many milliseconds (whole request, body included). Default 30 s. */
  timeoutMs?: number;
  /** Refuse a response body larger than this many bytes. Default 1 MiB. */
  maxResponseBytes?: number;
  /** Replace `fetch` (tests). */
  fetch?: typeof fetch;
  /** Abort the request early (cancellation). */
  signal?: AbortSignal;
}

/** Default request timeout. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default response size cap. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Why a request produced no usable answer. */
export type HttpFailure = "network" | "timeout" | "too_large" | "cancelled" | "permission";

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

/** An answer: its status, its JSON object (if the body was one) and a redacted excerpt. */
export interface HttpAnswer {
  /** HTTP status code. */
  status: number;
  /** The body parsed as a JSON object, if it was one. */
  json?: JsonObject;
  /** The first few hundred characters of the body, redacted, for messages. */
  excerpt: string;
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new HttpError("too_large", `the response was larger than ${maxBytes} bytes`);
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new HttpError("too_large", `the response was larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * POST a body and read the answer within the limits. Throws {@linkcode HttpError} when there
 * is no answer; any HTTP status is an answer.
 *
 * @example
 * ```ts ignore
 * import { postRequest } from "./http_client.ts";
 * const answer = await postRequest("http://127.0.0.1:8080/oauth/token", {
 *   form: { grant_type: "refresh_token" },
 * });
 * console.log(answer.status);
 * ```
 */
export async function postRequest(
  url: string,
  body: { form: Record<string, string> } | { json: unknown },
  options: HttpOptions & { secrets?: readonly string[] } = {},
): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const init: RequestInit = "form" in body
    ? {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams(body.form).toString(),
      signal,
    }
    : {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body.json),
      signal,
    };
  const host = new URL(url).host;
  try {
    const response = await (options.fetch ?? fetch)(url, init);
    const bytes = await readCapped(response, maxBytes);
    const text = new TextDecoder().decode(bytes);
    let json: JsonObject | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (isJsonObject(parsed)) json = parsed;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, excerpt: redact(text, options.secrets ?? [], 200) };
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (options.signal?.aborted) throw new HttpError("cancelled", `the request was cancelled`);
    if (timeout.aborted) {
      throw new HttpError("timeout", `${host} did not answer within ${timeoutMs / 1000} s`);
    }
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new HttpError(
        "permission",
        `network access to ${host} was not granted (run with --allow-net=${host})`,
      );
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new HttpError(
      "network",
      `could not reach ${host}: ${redact(reason, options.secrets ?? [], 160)}`,
    );
  }
}

/**
 * The OAuth error of an answer, as `error: description`, from either the RFC 6749 shape
 * (`{error, error_description}`) or the OpenAI API shape (`{error: {code, message}}`).
 * Redacted and cut short; `undefined` when the body says nothing usable.
 */
export function describeOAuthError(
  answer: HttpAnswer,
  secrets: readonly string[] = [],
): { code?: string; description?: string } {
  const json = answer.json;
  if (!json) return {};
  let code: string | undefined;
  let description: string | undefined;
  if (typeof json.error === "string") code = json.error;
  if (typeof json.error_description === "string") description = json.error_description;
  if (isJsonObject(json.error)) {
    const inner = json.error;
    if (typeof inner.code === "string") code = inner.code;
    else if (typeof inner.type === "string") code = inner.type;
    if (typeof inner.message === "string") description = inner.message;
  }
  return {
    code: code === undefined ? undefined : redact(code, secrets, 80),
    description: description === undefined ? undefined : redact(description, secrets, 300),
  };
}
