/**
 * The pages a sign-in shows the browser, rendered from the templates in `static/` (embedded in
 * the program by text imports, so serving them needs no read permission). Every value placed
 * into a page is HTML-escaped; pages are self-contained and sent with `Cache-Control:
 * no-store`, `Referrer-Policy: no-referrer` and a strict Content-Security-Policy with a
 * per-response nonce. An error page is made from the error's kind and code alone (and the
 * issuer's own OAuth code and description), never from the terminal's sentences.
 *
 * @module
 */

import style from "../../static/style.css" with { type: "text" };
import successTemplate from "../../static/success.html" with { type: "text" };
import setupTemplate from "../../static/setup.html" with { type: "text" };
import setupScript from "../../static/setup.js" with { type: "text" };
import errorTemplate from "../../static/error.html" with { type: "text" };
import detailTemplate from "../../static/detail.html" with { type: "text" };
import { ERROR_KINDS, type LoginError, type LoginErrorKind } from "../base/errors.ts";
import { stripUserinfo } from "../base/redact.ts";

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escape text for HTML element content and quoted attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./pages.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   escapeHtml(`<a href="x">'&'</a>`),
 *   "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
 * );
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => HTML_ESCAPES[c] ?? c,
  );
}

/**
 * Fill a template: `{{name}}` takes an escaped value, `{{{name}}}` a trusted fragment.
 * Throws when the template names a value that was not given (a bug, caught by tests).
 */
export function fillTemplate(
  template: string,
  values: Record<string, string>,
  fragments: Record<string, string> = {},
): string {
  return template.replace(
    /\{\{\{\s*(\w+)\s*\}\}\}|\{\{\s*(\w+)\s*\}\}/g,
    (_m, raw: string | undefined, esc: string | undefined) => {
      const name = raw ?? esc ?? "";
      const source = raw ? fragments : values;
      if (!(name in source)) throw new Error(`template value ${name} is missing`);
      return raw ? source[name] : escapeHtml(source[name]);
    },
  );
}

/** A rendered page: its HTML and the headers to send with it. */
export interface Page {
  /** HTTP status. */
  status: number;
  /** The document. */
  html: string;
  /** Response headers (content type, caching, referrer, CSP). */
  headers: Headers;
}

function pageHeaders(nonce: string): Headers {
  return new Headers({
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      "img-src data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  });
}

function newNonce(): string {
  return crypto.getRandomValues(new Uint8Array(16)).toBase64();
}

/**
 * The success page. With `setupUrl` it is the needs_setup variant: it shows "Finish setting
 * up your API organization", a link that works without JavaScript, and a 3 s countdown
 * that forwards there.
 *
 * @example
 * ```ts
 * import { renderSuccessPage } from "./pages.ts";
 * import assert from "node:assert/strict";
 * const page = renderSuccessPage({});
 * assert.equal(page.status, 200);
 * assert.match(page.html, /signed in/);
 * ```
 */
export function renderSuccessPage(options: { setupUrl?: string }): Page {
  const nonce = newNonce();
  const setup = options.setupUrl ? fillTemplate(setupTemplate, { setupUrl: options.setupUrl }) : "";
  const script = options.setupUrl ? `<script nonce="${nonce}">${setupScript}</script>` : "";
  return {
    status: 200,
    html: fillTemplate(successTemplate, { nonce }, { style, setup, script }),
    headers: pageHeaders(nonce),
  };
}

/**
 * What happened, in a page's words, by error code (else by kind). Codes and kinds not listed
 * get {@linkcode GENERIC_WHAT}: the terminal has the particulars.
 */
const PAGE_WHAT: Record<string, string> = {
  access_denied: "The sign-in was declined at the sign-in service.",
  oauth_error: "The sign-in service could not complete the sign-in.",
  missing_entitlement: "Your workspace does not include Codex.",
  "code_exchange.unreachable":
    "This computer could not reach the sign-in service to finish signing in.",
  "code_exchange.refused": "The sign-in service did not accept this sign-in's code.",
  "code_exchange.failed": "The sign-in service failed while finishing the sign-in.",
  "code_exchange.invalid": "The sign-in service's answer could not be used.",
  save_failed: "Your credentials could not be saved on this computer.",
  workspace_restricted: "The workspace you chose is not one this computer's Codex settings allow.",
  timeout: "The sign-in took longer than the time allowed.",
  cancelled: "The sign-in was stopped in the terminal.",
  state_mismatch: "This link belongs to another sign-in.",
  already_used: "This sign-in has already received its code.",
  invalid_input: "This link has no sign-in code.",
  start_link_reused: "This sign-in's start link was opened a second time.",
};

/** What happened, for errors the page has no words of its own for. */
const GENERIC_WHAT = "codex-login could not finish signing you in on this computer.";

/** The longest issuer description shown on the error page. */
export const MAX_DESCRIPTION_LENGTH = 300;

/** What an error page shows: all of it comes from the error's kind and code, or the issuer. */
export interface ErrorPageInput {
  /** The error's kind: the title, the status and the next step. */
  kind: LoginErrorKind;
  /** The error's stable code: what happened (else the kind's words). */
  code: string;
  /** The issuer's OAuth error code (untrusted: escaped and cut). */
  oauthCode?: string;
  /** The issuer's error description (untrusted: escaped and cut). */
  description?: string;
}

/**
 * The error page for a failed sign-in, from the error's kind and code alone: the kind gives
 * the title, the HTTP status and the next step, the code what happened. The issuer's OAuth
 * code and description (untrusted) are escaped and cut to
 * {@linkcode MAX_DESCRIPTION_LENGTH} characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderErrorPage } from "./pages.ts";
 * const page = renderErrorPage({ kind: "access_denied", code: "access_denied",
 *   oauthCode: "access_denied", description: "<script>x</script>" });
 * assert.equal(page.status, 400);
 * assert.equal(page.html.includes("<script>x"), false);
 * ```
 */
export function renderErrorPage(input: ErrorPageInput): Page {
  const nonce = newNonce();
  const kind = ERROR_KINDS[input.kind];
  // No page shows a URL's credentials (a proxy's password in an issuer's description).
  const cut = (s: string, n: number) => {
    const clean = stripUserinfo(s);
    return clean.length > n ? `${clean.slice(0, n)}…` : clean;
  };
  const detail = input.oauthCode
    ? fillTemplate(detailTemplate, {
      code: cut(input.oauthCode, 80),
      description: cut(input.description ?? "", MAX_DESCRIPTION_LENGTH),
    })
    : "";
  return {
    status: kind.status,
    html: fillTemplate(errorTemplate, {
      nonce,
      title: kind.title,
      message: PAGE_WHAT[input.code] ?? PAGE_WHAT[input.kind] ?? GENERIC_WHAT,
      nextStep: kind.next,
    }, { style, detail }),
    headers: pageHeaders(nonce),
  };
}

/**
 * The error page for a {@linkcode LoginError}: its kind and code, and the issuer's own OAuth
 * code and description for the issuer's refusals (not for a missing entitlement, whose raw
 * code says nothing a person can act on, as Codex). The error's sentences are never used.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LoginError } from "../base/errors.ts";
 * import { errorPageFor } from "./pages.ts";
 * const page = errorPageFor(new LoginError("timeout", { what: "Any words at all." }));
 * assert.match(page.html, /timed out/);
 * assert.equal(page.html.includes("Any words"), false);
 * ```
 */
export function errorPageFor(error: LoginError, description?: string): Page {
  const detail = error.kind === "missing_entitlement"
    ? {}
    : { oauthCode: error.oauthCode, description };
  return renderErrorPage({ kind: error.kind, code: error.code, ...detail });
}

/** A page as a Response. */
export function pageResponse(page: Page): Response {
  return new Response(page.html, { status: page.status, headers: page.headers });
}
