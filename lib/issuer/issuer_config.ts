/**
 * The issuer's defaults and URLs in one place: the production issuer and client id, the
 * scopes, and {@linkcode resolveIssuer}, the one place where an issuer URL, an API base and
 * a platform URL are normalised and checked (once per run, where flags or a library
 * caller's options come in) and the API base and platform site are derived.
 *
 * @module
 */

import { usageError } from "../base/errors.ts";

/** The production issuer. */
export const DEFAULT_ISSUER = "https://auth.openai.com";
/** The Codex CLI's registered OAuth client. */
export const DEFAULT_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
/** The scopes the browser sign-in asks for (today's Codex: the seed's plus connectors). */
export const LOGIN_SCOPE =
  "openid profile email offline_access api.connectors.read api.connectors.invoke";
/** The `originator` Codex's CLI sends (query parameter and header). */
export const DEFAULT_ORIGINATOR = "codex_cli_rs";
/** The variable Codex reads to override the originator. */
export const ORIGINATOR_ENV = "CODEX_INTERNAL_ORIGINATOR_OVERRIDE";

/**
 * The originator to send: `$CODEX_INTERNAL_ORIGINATOR_OVERRIDE` when set and usable as a
 * header value (as Codex), else `codex_cli_rs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveOriginator } from "./issuer_config.ts";
 * assert.equal(resolveOriginator(undefined), "codex_cli_rs");
 * assert.equal(resolveOriginator("my_ide"), "my_ide");
 * assert.equal(resolveOriginator("bad\nvalue"), "codex_cli_rs");
 * ```
 */
export function resolveOriginator(override: string | undefined): string {
  // deno-lint-ignore no-control-regex
  if (override && !/[\u0000-\u001f\u007f]/.test(override)) return override;
  return DEFAULT_ORIGINATOR;
}

/**
 * Whether an issuer is OpenAI's own (`*.openai.com`, `*.openai.org`, over https): only then
 * are the API base and platform site derived from it, so that another issuer's tokens are
 * never sent to OpenAI.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOpenAiIssuer } from "./issuer_config.ts";
 * assert.equal(isOpenAiIssuer("https://auth.openai.com"), true);
 * assert.equal(isOpenAiIssuer("https://auth.openai.com.evil.example"), false);
 * assert.equal(isOpenAiIssuer("http://127.0.0.1:8080"), false);
 * ```
 */
export function isOpenAiIssuer(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === "https:" && /(^|\.)openai\.(com|org)$/.test(url.hostname);
}

/**
 * The API base the seed derives from an OpenAI issuer (normalised) (`undefined` for any other issuer:
 * credits are then redeemed only with an explicit API base).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultApiBase } from "./issuer_config.ts";
 * assert.equal(defaultApiBase("https://auth.openai.com"), "https://api.openai.com");
 * assert.equal(defaultApiBase("https://auth.example.com"), undefined);
 * ```
 */
export function defaultApiBase(issuer: string): string | undefined {
  if (!isOpenAiIssuer(issuer)) return undefined;
  return issuer === DEFAULT_ISSUER ? "https://api.openai.com" : "https://api.openai.org";
}

/**
 * The platform site the seed derives from an OpenAI issuer (normalised), for org setup (`undefined` for
 * any other issuer: the setup link, which carries the id_token, needs an explicit URL).
 */
export function defaultPlatformUrl(issuer: string): string | undefined {
  if (!isOpenAiIssuer(issuer)) return undefined;
  return issuer === DEFAULT_ISSUER
    ? "https://platform.openai.com"
    : "https://platform.api.openai.org";
}

/**
 * Whether a URL's host is on this machine (`localhost`, `127.0.0.0/8`, `[::1]`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopbackUrl } from "./issuer_config.ts";
 * assert.equal(isLoopbackUrl("http://127.0.0.2:9/"), true);
 * assert.equal(isLoopbackUrl("http://[::1]:9/"), true);
 * assert.equal(isLoopbackUrl("http://10.0.0.1/"), false);
 * ```
 */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Refuse a plain-http URL that would carry tokens across a network, unless `insecure`
 * (`--insecure-issuer`). Loopback is always fine. Throws a usage error naming the flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireSecureUrl } from "./issuer_config.ts";
 * requireSecureUrl("issuer", "http://127.0.0.1:9", false);
 * assert.throws(() => requireSecureUrl("issuer", "http://auth.example.com", false), /clear text/);
 * ```
 */
export function requireSecureUrl(what: string, url: string, insecure: boolean): void {
  if (insecure || new URL(url).protocol === "https:" || isLoopbackUrl(url)) return;
  throw usageError(
    `The ${what} ${url} is plain http on the network: tokens would cross it in clear text.`,
    "Use its https:// URL, or pass --insecure-issuer if you really mean it (a test issuer on a private network).",
  );
}

/**
 * An issuer URL without a trailing slash; throws a TypeError for anything that is not an
 * absolute http(s) URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeIssuer } from "./issuer_config.ts";
 * assert.equal(normalizeIssuer("https://auth.openai.com/"), "https://auth.openai.com");
 * assert.throws(() => normalizeIssuer("file:///etc/passwd"), TypeError);
 * ```
 */
export function normalizeIssuer(issuer: string): string {
  const url = new URL(issuer);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`not an http(s) URL: ${issuer}`);
  }
  return url.href.replace(/\/+$/, "");
}

/** Where a sign-in talks to, resolved once: every URL normalised and checked. */
export interface IssuerEndpoints {
  /** The issuer's base URL, no trailing slash. */
  readonly issuer: string;
  /** The OAuth client id. */
  readonly clientId: string;
  /** API base for credit redemption; none: no redemption. */
  readonly apiBase?: string;
  /** The platform site for the org-setup link; none: no link. */
  readonly platformUrl?: string;
  /** A plain-http issuer off this machine was accepted (`--insecure-issuer`). */
  readonly insecure: boolean;
}

/** What a person or a library caller gives; every field optional. */
export interface IssuerInput {
  /** Issuer base URL. Default `https://auth.openai.com`. */
  issuer?: string;
  /** OAuth client id. Default the Codex CLI's. */
  clientId?: string;
  /** API base. Default derived from an OpenAI issuer; none for any other. */
  apiBase?: string;
  /** Platform site. Default derived from an OpenAI issuer; none for any other. */
  platformUrl?: string;
  /** Accept plain-http URLs off this machine. */
  insecure?: boolean;
}

const URL_LABELS: Record<string, string> = {
  issuer: "issuer",
  "api-base": "API base",
  "platform-url": "platform URL",
};

function urlOption(name: string, value: string, insecure: boolean): string {
  let url: string;
  try {
    url = normalizeIssuer(value);
  } catch {
    throw usageError(`--${name} must be an http(s) URL, got ${JSON.stringify(value)}.`);
  }
  const parsed = new URL(url);
  if (parsed.username || parsed.password) {
    throw usageError(
      `--${name} must not carry a user name or password (they would be sent and logged).`,
      "Give the URL without them.",
    );
  }
  requireSecureUrl(URL_LABELS[name], url, insecure);
  return url;
}

/**
 * Resolve the issuer's URLs once: normalise each, refuse anything but http(s), refuse plain
 * http off this machine unless `insecure` (issuer, API base and platform URL alike: the
 * platform link carries the id_token), derive the API base and platform site from an
 * OpenAI issuer, and check the client id. Errors name the flag (exit 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveIssuer } from "./issuer_config.ts";
 * const openai = resolveIssuer({ issuer: "https://auth.openai.com/" });
 * assert.equal(openai.issuer, "https://auth.openai.com");
 * assert.equal(openai.apiBase, "https://api.openai.com");
 * const local = resolveIssuer({ issuer: "http://127.0.0.1:8080" });
 * assert.equal(local.apiBase, undefined);
 * assert.throws(() => resolveIssuer({ issuer: "ftp://x" }), /--issuer must be an http\(s\) URL/);
 * assert.throws(
 *   () => resolveIssuer({ issuer: "http://127.0.0.1:1", platformUrl: "http://example.com" }),
 *   /platform URL http:\/\/example\.com is plain http/,
 * );
 * ```
 */
export function resolveIssuer(input: IssuerInput = {}): IssuerEndpoints {
  const insecure = input.insecure === true;
  const issuer = urlOption("issuer", input.issuer ?? DEFAULT_ISSUER, insecure);
  const clientId = input.clientId ?? DEFAULT_CLIENT_ID;
  if (!/^[\x21-\x7e]{1,200}$/.test(clientId)) {
    throw usageError("--client-id must be a non-empty id without spaces.");
  }
  return {
    issuer,
    clientId,
    apiBase: input.apiBase === undefined
      ? defaultApiBase(issuer)
      : urlOption("api-base", input.apiBase, insecure),
    platformUrl: input.platformUrl === undefined
      ? defaultPlatformUrl(issuer)
      : urlOption("platform-url", input.platformUrl, insecure),
    insecure,
  };
}
