/**
 * How a Codex surface snapshot (`codex_surface.ts`) stays the same from run to run: every value
 * that changes each run (tokens the fake issuer mints, Codex's state, PKCE challenge and sign-in
 * id, timestamps, temporary paths) is replaced by a description of its format, and everything
 * else is kept as it is, so a changed fixed value shows up and a fresh random one does not.
 *
 * @module
 */

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | {
  [key: string]: Json;
};

/** An object of JSON values. */
export type JsonObject = { [key: string]: Json };

/** Digits after the seconds in an RFC 3339 time, by name. */
const FRACTIONS: Record<number, string> = {
  0: "",
  3: "-millis",
  6: "-micros",
  9: "-nanos",
};

/** Formats the fake issuer mints (tests/support/fake_issuer.ts), fixed by its code. */
const FAKE_FORMATS: [RegExp, string][] = [
  [/\brt_[0-9a-f]{24}\b/g, "<fake refresh token>"],
  [/\bac_[0-9a-f]{32}\b/g, "<fake code>"],
  [/\bda_[0-9a-f]{16}\b/g, "<fake device id>"],
  [/\bsk-proj-[0-9a-f]{40}\b/g, "<fake API key>"],
];

/**
 * `text` with what changes from run to run described instead: `paths` (literal, e.g. a
 * temporary codex home) first, then JWTs, the fake issuer's tokens, RFC 3339 times, dates,
 * bracketed 12-hex ids and random base64url strings of 32 characters or more.
 */
export function mask(text: string, paths: Record<string, string> = {}): string {
  let out = text;
  for (
    const [path, name] of Object.entries(paths).sort((a, b) => b[0].length - a[0].length)
  ) {
    out = out.replaceAll(path, name);
  }
  out = out.replace(
    /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
    "<jwt>",
  );
  for (const [pattern, name] of FAKE_FORMATS) out = out.replace(pattern, name);
  out = out.replace(
    /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d+))?(?:Z|[+-]\d\d:\d\d)/g,
    (_, fraction?: string) => {
      const digits = fraction?.length ?? 0;
      return `<rfc3339${FRACTIONS[digits] ?? `-${digits}-digit fraction`}>`;
    },
  );
  out = out.replace(/\b\d{4}-\d\d-\d\d\b/g, "<date>");
  out = out.replace(/\[[0-9a-f]{12}\]/g, "[<12 hex>]");
  return out.replace(
    /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g,
    (token) => /[A-Z0-9]/.test(token) ? `<${token.length}-char base64url>` : token,
  );
}

/**
 * Every leaf of a JSON document by its key path (`tokens.oauth_provenance.issuer`), described:
 * `null`, `boolean:true`, `number`, `array:N`, or `string:` and the masked text.
 */
export function keyFormats(
  value: Json,
  paths: Record<string, string> = {},
): JsonObject {
  const out: JsonObject = {};
  const walk = (v: Json, at: string) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [key, inner] of Object.entries(v)) {
        walk(inner, at ? `${at}.${key}` : key);
      }
      return;
    }
    out[at] = v === null
      ? "null"
      : typeof v === "boolean"
      ? `boolean:${v}`
      : typeof v === "number"
      ? "number"
      : Array.isArray(v)
      ? `array:${v.length}`
      : `string:${mask(v, paths)}`;
  };
  walk(value, "");
  return out;
}

/** A request's parameters in the order they came, as `name=masked value`. */
export function maskedParams(
  params: Record<string, string>,
  paths: Record<string, string> = {},
): string[] {
  return Object.entries(params).map(([k, v]) => `${k}=${mask(v, paths)}`);
}

/** SHA-256 of `bytes`, hex. */
export async function sha256Hex(
  bytes: Uint8Array<ArrayBuffer>,
): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
}
