/**
 * Outbound HTTP for the issuer and the API through one {@linkcode HttpClient} per run: every
 * request has a timeout and a response size cap, and its body comes back as parsed JSON or as
 * a short, redacted excerpt.
 *
 * @module
 */

import { DEFAULT_ORIGINATOR, ORIGINATOR_ENV, resolveOriginator } from "./issuer_config.ts";
import type { LoginLog } from "../store/login_log.ts";
import { Network, NetworkRoutes } from "./network.ts";
import { isJsonObject, type JsonObject } from "../base/json.ts";
import { readEnv } from "../base/permissions.ts";
import { LoginError } from "../base/errors.ts";
import { redact } from "../base/redact.ts";
import { HttpError, type HttpFailure, transportError } from "./http_errors.ts";

export { HttpError, type HttpFailure };
import { VERSION } from "../base/version.ts";

/**
 * The User-Agent every request carries: `codex-login/{version} ({os}; {arch})`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { userAgent } from "./http_client.ts";
 * assert.match(userAgent(), /^codex-login\/\d+\.\d+\.\d+ \(\w+; \w+\)$/);
 * ```
 */
export function userAgent(): string {
  return `codex-login/${VERSION} (${Deno.build.os}; ${Deno.build.arch})`;
}

/** Limits and seams for outbound requests, see {@linkcode HttpClient}. */
export interface HttpOptions {
  /** Give up after this many milliseconds (whole request, body included). Default 30 s. */
  timeoutMs?: number;
  /** Refuse a response body larger than this many bytes. Default 1 MiB. */
  maxResponseBytes?: number;
  /** Replace `fetch` (tests). */
  fetch?: typeof fetch;
  /** Abort every request of the client early (cancellation). */
  signal?: AbortSignal;
  /**
   * The `originator` header. Default `$CODEX_INTERNAL_ORIGINATOR_OVERRIDE` (when env access
   * to it is granted), else `codex_cli_rs`.
   */
  originator?: string;
  /** CA bundle and proxies. Default: from the environment (see `network.ts`). */
  network?: Network;
  /** Where each request is logged (endpoint, status, duration; never a secret). */
  trace?: LoginLog;
}

/** How long pooled connections stay open unused: 10 minutes. */
const POOL_IDLE_MS = 10 * 60_000;

/** Default timeout of one outbound request: 30 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default response size cap. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

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

/** Per-request settings on top of the client's. */
export interface RequestOptions {
  /** Strings to cut out of any excerpt or message (the tokens the request carries). */
  secrets?: readonly string[];
  /** Abort this request early (cancellation). */
  signal?: AbortSignal;
  /** Override the client's timeout for this request. */
  timeoutMs?: number;
  /** Headers of this request besides the client's (e.g. `ChatGPT-Account-Id`). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * What a request carries, which also decides its method: a form or a JSON value is a POST; a
 * bearer token alone is a GET with `Authorization: Bearer`.
 */
export type RequestBody = { form: Record<string, string> } | { json: unknown } | {
  bearer: string;
};

function requestInit(
  body: RequestBody,
  signal: AbortSignal,
  headers: Record<string, string>,
  client: Deno.HttpClient | undefined,
): RequestInit & { client?: Deno.HttpClient } {
  const init: RequestInit & { client?: Deno.HttpClient } = "bearer" in body
    ? {
      method: "GET",
      headers: { ...headers, authorization: `Bearer ${body.bearer}`, accept: "application/json" },
      signal,
      redirect: "manual",
    }
    : "form" in body
    ? {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams(body.form).toString(),
      signal,
      redirect: "manual",
    }
    : {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body.json),
      signal,
      redirect: "manual",
    };
  if (client) init.client = client;
  return init;
}

/**
 * The one outbound client of a run: every request has a timeout and a response size cap, and
 * its body comes back as parsed JSON or as a short, redacted excerpt. Built once and handed
 * to every caller (issuer, credits), so limits and transport settings live in one place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpClient } from "./http_client.ts";
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => Response.json({ ok: true }));
 * const http = new HttpClient({ timeoutMs: 5000 });
 * const answer = await http.send(`http://127.0.0.1:${server.addr.port}/x`, { json: {} });
 * assert.equal(answer.status, 200);
 * assert.equal(answer.json?.ok, true);
 * await server.shutdown();
 * ```
 */
export class HttpClient {
  /** The default per-request timeout, ms. */
  readonly timeoutMs: number;
  /** The response size cap, bytes. */
  readonly maxResponseBytes: number;
  /** The `originator` every request names. */
  readonly originator: string;
  readonly #fetch: typeof fetch;
  readonly #signal?: AbortSignal;
  readonly #headers: Record<string, string>;
  /** A pool with a long idle timeout, made by the first `warm()`; every request then uses it. */
  #pool?: Deno.HttpClient;
  readonly #network: Network;
  /** Routes for a CA bundle or proxies, when the environment has any (made on first use). */
  #routes?: Promise<NetworkRoutes | undefined>;

  /** Make a client with these limits. */
  constructor(options: HttpOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#fetch = options.fetch ?? fetch;
    this.#signal = options.signal;
    this.originator = options.originator ??
      resolveOriginator(readEnv(ORIGINATOR_ENV) ?? DEFAULT_ORIGINATOR);
    this.#headers = { "user-agent": userAgent(), originator: this.originator };
    this.#network = options.network ?? Network.fromEnv();
    this.#trace = options.trace;
  }

  readonly #trace?: LoginLog;

  /** The routes the environment asks for; undefined when plain fetch will do. */
  #networkRoutes(): Promise<NetworkRoutes | undefined> {
    this.#routes ??= (async () => {
      const net = this.#network;
      if (net.direct) return undefined;
      return new NetworkRoutes(net.env, await net.caCerts(), POOL_IDLE_MS);
    })();
    return this.#routes;
  }

  /** The client a request to `url` goes through, with the proxy it uses (if any). */
  async #route(url: string): Promise<{ client?: Deno.HttpClient; proxy?: string }> {
    const routes = await this.#networkRoutes();
    if (!routes) return { client: this.#pool };
    return { client: routes.client(url), proxy: routes.proxy(url) };
  }

  /**
   * Open a connection to `url`'s host and keep it in a pool with a long idle timeout (10 min),
   * with a cheap GET (say the issuer's discovery document), so that the next request skips
   * the TCP and TLS set-up. Never throws and never waits long: a failure is silent.
   */
  async warm(url: string): Promise<void> {
    try {
      if (!await this.#networkRoutes()) {
        this.#pool ??= Deno.createHttpClient({ poolIdleTimeout: POOL_IDLE_MS });
      }
      const response = await this.#fetch(url, {
        headers: this.#headers,
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
        client: (await this.#route(url)).client,
      });
      await response.body?.cancel();
    } catch {
      // best effort: the real request opens its own connection
    }
  }

  /** Release the pool `warm()` made (its connections close). */
  close(): void {
    this.#pool?.close();
    this.#pool = undefined;
    void this.#routes?.then((routes) => routes?.close(), () => {});
  }

  /**
   * Send a request (a POST with a form or JSON body, or a GET with a bearer token: see
   * {@linkcode RequestBody}) and read the answer within the limits. Throws
   * {@linkcode HttpError} when there is no answer; any HTTP status is an answer.
   */
  async send(url: string, body: RequestBody, request: RequestOptions = {}): Promise<HttpAnswer> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const cancel = [this.#signal, request.signal].filter((s): s is AbortSignal => !!s);
    const signal = AbortSignal.any([timeout, ...cancel]);
    const secrets = request.secrets ?? [];
    let proxy: string | undefined;
    const started = performance.now();
    const endpoint = url.replace(/[?#].*$/, "");
    this.#trace?.secret(...secrets);
    try {
      const route = await this.#route(url);
      proxy = route.proxy;
      const response = await this.#fetch(
        url,
        requestInit(body, signal, { ...request.headers, ...this.#headers }, route.client),
      );
      // Every request carries a secret (a code and verifier, a token): never follow a
      // redirect with it, to any host or scheme.
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        throw new HttpError(
          "redirect",
          `${new URL(url).host} answered with a redirect (HTTP ${response.status}${
            response.headers.get("location")
              ? ` to ${redact(response.headers.get("location") ?? "", secrets, 120)}`
              : ""
          }), which codex-login never follows with credentials; check the issuer URL`,
        );
      }
      const bytes = await readCapped(response, this.maxResponseBytes);
      const text = new TextDecoder().decode(bytes);
      let json: JsonObject | undefined;
      try {
        const parsed: unknown = JSON.parse(text);
        if (isJsonObject(parsed)) json = parsed;
      } catch {
        json = undefined;
      }
      this.#trace?.event("http", {
        endpoint,
        status: response.status,
        ms: Math.round(performance.now() - started),
        proxy,
      });
      return { status: response.status, json, excerpt: redact(text, secrets, 200) };
    } catch (err) {
      if (err instanceof LoginError) throw err; // a bad CA bundle: its own message
      const failure = transportError(err, new URL(url).host, timeoutMs, {
        cancelled: cancel.some((s) => s.aborted),
        timedOut: timeout.aborted,
        proxy,
      }, secrets);
      this.#trace?.event("http_failed", {
        endpoint,
        failure: failure.failure,
        ms: Math.round(performance.now() - started),
        error: failure.message,
      });
      throw failure;
    }
  }
}
