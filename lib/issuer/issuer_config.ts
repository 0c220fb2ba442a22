/**
 * The issuer's defaults and URLs in one place: the production issuer and client id, the
 * scopes, URL normalisation, and the API base and platform site derived from an issuer.
 *
 * @module
 */

import { ExitCode, LoginError } from "../base/errors.ts";

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
 * The API base the seed derives from an OpenAI issuer (`undefined` for any other issuer:
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
  return normalizeIssuer(issuer) === DEFAULT_ISSUER
    ? "https://api.openai.com"
    : "https://api.openai.org";
}

/**
 * The platform site the seed derives from an OpenAI issuer, for org setup (`undefined` for
 * any other issuer: the setup link, which carries the id_token, needs an explicit URL).
 */
export function defaultPlatformUrl(issuer: string): string | undefined {
  if (!isOpenAiIssuer(issuer)) return undefined;
  return normalizeIssuer(issuer) === DEFAULT_ISSUER
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
  throw new LoginError(
    "usage",
    `The ${what} ${url} is plain http on the network: tokens would cross it in clear text. Use its https:// URL, or pass --insecure-issuer if you really mean it (a test issuer on a private network).`,
    { exitCode: ExitCode.Usage },
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
