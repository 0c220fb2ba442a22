/**
 * The issuer's defaults and URLs in one place: the production issuer and client id, the
 * scopes, URL normalisation, and the API base and platform site derived from an issuer.
 *
 * @module
 */

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

/** The API base the seed derives from the issuer. */
export function defaultApiBase(issuer: string): string {
  return normalizeIssuer(issuer) === DEFAULT_ISSUER
    ? "https://api.openai.com"
    : "https://api.openai.org";
}

/** The platform site the seed derives from the issuer (for org setup). */
export function defaultPlatformUrl(issuer: string): string {
  return normalizeIssuer(issuer) === DEFAULT_ISSUER
    ? "https://platform.openai.com"
    : "https://platform.api.openai.org";
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
