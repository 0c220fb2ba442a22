/**
 * The pages the loopback server shows the browser, rendered from the templates in
 * `static/` (embedded in the program by text imports, so serving them needs no read
 * permission). Every value placed into a page is HTML-escaped; pages are self-contained and
 * sent with `Cache-Control: no-store`, `Referrer-Policy: no-referrer` and a strict
 * Content-Security-Policy with a per-response nonce.
 *
 * @module
 */

import style from "../../static/style.css" with { type: "text" };
import successTemplate from "../../static/success.html" with { type: "text" };
import setupTemplate from "../../static/setup.html" with { type: "text" };
import setupScript from "../../static/setup.js" with { type: "text" };
import errorTemplate from "../../static/error.html" with { type: "text" };
import detailTemplate from "../../static/detail.html" with { type: "text" };
import type { LoginError, LoginErrorKind } from "../base/errors.ts";
import { stripUserinfo } from "../base/redact.ts";

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
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
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
    (_m, raw?: string, esc?: string) => {
      const name = (raw ?? esc) as string;
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

/** What the error page says for each kind of failure: a title and what to do next. */
const ERROR_TEXT: Partial<Record<LoginErrorKind, { title: string; next: string }>> = {
  access_denied: {
    title: "Sign-in was cancelled",
    next: "Nothing was saved. Run codex-login again in your terminal when you want to sign in.",
  },
  oauth_error: {
    title: "The sign-in service reported an error",
    next:
      "Nothing was saved. Run codex-login again; if it keeps failing, contact support with the code below.",
  },
  code_exchange: {
    title: "The sign-in service refused the sign-in code",
    next: "Nothing was saved. Run codex-login again to start a fresh sign-in.",
  },
  api_key_exchange: {
    title: "Could not create an API key",
    next:
      "Nothing was saved. Run codex-login again; if it keeps failing, check your organization on the platform site.",
  },
  save_failed: {
    title: "Could not save your credentials",
    next:
      "Your terminal shows which file could not be written. Fix that, then run codex-login again.",
  },
  timeout: {
    title: "The sign-in timed out",
    next: "Nothing was saved. Run codex-login again and finish signing in within the time shown.",
  },
  state_mismatch: {
    title: "This sign-in link is out of date",
    next:
      "The sign-in in your terminal is still waiting: open the URL it printed and sign in from there.",
  },
  already_used: {
    title: "This sign-in was already handled",
    next: "Look at your terminal: it says whether you are signed in.",
  },
  invalid_input: {
    title: "The sign-in link is incomplete",
    next:
      "The sign-in in your terminal is still waiting: open the URL it printed and sign in from there.",
  },
  missing_entitlement: {
    title: "You do not have access to Codex",
    next:
      "Codex is not enabled for your workspace. Contact your workspace administrator to request access to Codex.",
  },
  workspace_restricted: {
    title: "This workspace is not allowed here",
    next:
      "Nothing was saved. Run codex-login again and choose one of the workspaces your terminal names.",
  },
  cancelled: {
    title: "The sign-in was stopped",
    next: "Nothing was saved. Run codex-login again when you want to sign in.",
  },
};

const DEFAULT_ERROR_TEXT = {
  title: "Sign-in failed",
  next: "Nothing was saved. Run codex-login again; your terminal says what went wrong.",
};

/**
 * What happened, for a page: a terminal message without its next-step sentences (the page
 * has its own), e.g. "… answered 500. Run codex-login again …" keeps only the first part.
 *
 * @example
 * ```ts
 * import { pageSummary } from "./pages.ts";
 * import assert from "node:assert/strict";
 * assert.equal(pageSummary("It broke. Run codex-login again."), "It broke.");
 * ```
 */
export function pageSummary(message: string): string {
  const cut = message.search(
    /\s(Nothing was saved|Run codex-login|run codex-login|Check (your|that)|Contact your)\b/,
  );
  const summary = cut > 0 ? message.slice(0, cut).trim() : message;
  return summary.replace(/[;,]$/, ".");
}

/** The longest issuer description shown on the error page. */
export const MAX_DESCRIPTION_LENGTH = 300;

/**
 * The error page for a failed sign-in. `message` says what happened; the OAuth `code` and
 * `description` (from the issuer, so untrusted) are escaped and cut to
 * {@linkcode MAX_DESCRIPTION_LENGTH} characters.
 *
 * @example
 * ```ts
 * import { renderErrorPage } from "./pages.ts";
 * const page = renderErrorPage({ kind: "access_denied", status: 400, message: "Declined.",
 *   code: "access_denied", description: "<script>x</script>" });
 * import assert from "node:assert/strict";
 * assert.equal(page.html.includes("<script>x"), false);
 * ```
 */
export function renderErrorPage(options: {
  kind: LoginErrorKind;
  status: number;
  message: string;
  code?: string;
  description?: string;
}): Page {
  const nonce = newNonce();
  const text = ERROR_TEXT[options.kind] ?? DEFAULT_ERROR_TEXT;
  // No page shows a URL's credentials (a proxy's password in a 502's message).
  const cut = (s: string, n: number) => {
    const clean = stripUserinfo(s);
    return clean.length > n ? `${clean.slice(0, n)}…` : clean;
  };
  const detail = options.code
    ? fillTemplate(detailTemplate, {
      code: cut(options.code, 80),
      description: cut(options.description ?? "", MAX_DESCRIPTION_LENGTH),
    })
    : "";
  return {
    status: options.status,
    html: fillTemplate(errorTemplate, {
      nonce,
      title: text.title,
      message: cut(options.message, 600),
      nextStep: text.next,
    }, { style, detail }),
    headers: pageHeaders(nonce),
  };
}

/**
 * The error page for a {@linkcode LoginError}: what happened in the page's own words for the
 * issuer's refusals, else the error's message without its terminal next steps.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LoginError } from "../base/errors.ts";
 * import { errorPageFor } from "./pages.ts";
 * const page = errorPageFor(new LoginError("timeout", "Timed out. Run codex-login again."), 200);
 * assert.match(page.html, /timed out/);
 * ```
 */
export function errorPageFor(error: LoginError, status: number, description?: string): Page {
  const message = error.kind === "access_denied"
    ? "The sign-in was declined at the sign-in service."
    : error.kind === "oauth_error"
    ? "The sign-in service could not complete the sign-in."
    : error.kind === "missing_entitlement"
    ? "Your workspace does not include Codex."
    : pageSummary(error.message);
  // The entitlement refusal's raw code says nothing a person can act on (as Codex).
  const detail = error.kind === "missing_entitlement" ? {} : { code: error.oauthCode, description };
  return renderErrorPage({ kind: error.kind, status, message, ...detail });
}

/** A plain-text response with the same safety headers as the pages. */
export function textResponse(status: number, text: string, extra: HeadersInit = {}): Response {
  const headers = new Headers(extra);
  headers.set("content-type", "text/plain; charset=utf-8");
  headers.set("cache-control", "no-store");
  headers.set("referrer-policy", "no-referrer");
  headers.set("x-content-type-options", "nosniff");
  return new Response(`${text}\n`, { status, headers });
}

/** A page as a Response. */
export function pageResponse(page: Page): Response {
  return new Response(page.html, { status: page.status, headers: page.headers });
}
