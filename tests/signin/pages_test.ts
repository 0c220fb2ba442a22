import assert from "node:assert/strict";
import fc from "fast-check";
import { ERROR_KINDS, LoginError, type LoginErrorKind } from "../../lib/base/errors.ts";
import {
  errorPageFor,
  escapeHtml,
  fillTemplate,
  MAX_DESCRIPTION_LENGTH,
  type Page,
  pageResponse,
  renderErrorPage,
  renderSuccessPage,
} from "../../lib/signin/pages.ts";

Deno.test("success page: self-contained, no-store, no-referrer, CSP with a nonce", () => {
  const page = renderSuccessPage({});
  assert.equal(page.headers.get("cache-control"), "no-store");
  assert.equal(page.headers.get("referrer-policy"), "no-referrer");
  const csp = page.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/);
  const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce && page.html.includes(`<style nonce="${nonce}">`));
  assert.match(page.html, /<html lang="en">/);
  assert.match(page.html, /<h1>You are signed in<\/h1>/);
  assert.ok(!/\{\{|\}\}/.test(page.html), "no unfilled placeholders");
  assert.ok(!/(src|href)=["']https?:/.test(page.html), "no external resources");
  assert.ok(!page.html.includes("<script"), "plain success page needs no script");
});

Deno.test("setup variant links to org-setup (works without JS) and counts down with a nonce'd script", () => {
  const setupUrl =
    "https://platform.api.openai.org/org-setup?p=plus&t=tok&with_org=org_1&project_id=p_1";
  const page = renderSuccessPage({ setupUrl });
  assert.match(page.html, /Finish setting up your API organization/);
  assert.ok(page.html.includes(`href="${escapeHtml(setupUrl)}"`));
  const nonce = /script-src 'nonce-([^']+)'/.exec(page.headers.get("content-security-policy")!)
    ?.[1];
  assert.ok(page.html.includes(`<script nonce="${nonce}">`));
});

Deno.test("error page escapes and truncates a hostile description", () => {
  const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)>` + "A".repeat(10_000);
  const page = renderErrorPage({
    kind: "access_denied",
    code: "access_denied",
    oauthCode: `access_denied"><b>`,
    description: hostile,
  });
  assert.ok(!page.html.includes("<script>alert"));
  assert.ok(!page.html.includes("<img src=x"));
  assert.ok(page.html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(page.html.includes("access_denied&quot;&gt;&lt;b&gt;"));
  assert.ok(page.html.length < 12_000, "10 kB description is cut");
  assert.match(page.html, /Sign-in was cancelled/);
});

Deno.test("each failure kind has its own title and next step", () => {
  const titles = new Set(
    (["access_denied", "code_exchange", "api_key_exchange", "save_failed", "timeout"] as const)
      .map((kind) => /<h1>(.*?)<\/h1>/.exec(renderErrorPage({ kind, code: kind }).html)?.[1]),
  );
  assert.equal(titles.size, 5);
});

Deno.test("templates: escaped values, raw fragments, missing value is an error", () => {
  assert.equal(
    fillTemplate("<p>{{ a }}</p>{{{b}}}", { a: "<&>" }, { b: "<i>" }),
    "<p>&lt;&amp;&gt;</p><i>",
  );
  assert.throws(() => fillTemplate("{{missing}}", {}), /missing/);
});

/** A page's HTML and headers with its per-response nonce masked. */
function masked(page: Page): string {
  const nonce = /'nonce-([^']+)'/.exec(page.headers.get("content-security-policy") ?? "")?.[1];
  assert.ok(nonce, "every page has a nonce");
  const headers = [...page.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  return `${page.status}\n${headers}\n\n${page.html}`.replaceAll(nonce, "NONCE");
}

const KINDS = Object.keys(ERROR_KINDS) as LoginErrorKind[];

Deno.test("error page (property): made from the kind and code (and the issuer's words), never the terminal's", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...KINDS),
      fc.constantFrom("", ".refused", ".unreachable", ".failed", ".invalid", ".newer_login"),
      fc.option(fc.constantFrom("access_denied", "invalid_grant", "server_error"), {
        nil: undefined,
      }),
      fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
      fc.string({ minLength: 1 }),
      fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
      (kind, suffix, oauthCode, description, what, next) => {
        const code = `${kind}${suffix}`;
        const error = new LoginError(kind, { what, next, code, oauthCode });
        const reference = new LoginError(kind, {
          what: "Reference words.",
          next: "Reference step.",
          code,
          oauthCode,
        });
        return masked(errorPageFor(error, description)) ===
          masked(errorPageFor(reference, description));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("error page: the code says what happened; the kind gives status, title and next step", () => {
  const page = (kind: LoginErrorKind, code: string) =>
    errorPageFor(new LoginError(kind, { what: "Any words at all.", code }));
  const offline = page("code_exchange", "code_exchange.unreachable");
  const refused = page("code_exchange", "code_exchange.refused");
  assert.equal(offline.status, ERROR_KINDS.code_exchange.status);
  assert.match(offline.html, /could not reach the sign-in service/);
  assert.match(refused.html, /did not accept this sign-in&#39;s code/);
  assert.notEqual(masked(offline), masked(refused), "the code decides the words");
  for (const p of [offline, refused]) {
    assert.ok(p.html.includes(escapeHtml(ERROR_KINDS.code_exchange.title)));
    assert.ok(p.html.includes(escapeHtml(ERROR_KINDS.code_exchange.next)));
    assert.ok(!p.html.includes("Any words at all"));
  }
  const unknown = page("lock_busy", "lock_busy");
  assert.match(unknown.html, /codex-login could not finish signing you in on this computer/);
  assert.equal(unknown.status, 500);
});

Deno.test("error page: the issuer's code and description shown (cut), except for a missing entitlement", async () => {
  const long = "d".repeat(MAX_DESCRIPTION_LENGTH + 50);
  const denied = errorPageFor(
    new LoginError("access_denied", { what: "x.", oauthCode: "access_denied" }),
    long,
  );
  assert.match(denied.html, /access_denied/);
  assert.ok(denied.html.includes(`${"d".repeat(MAX_DESCRIPTION_LENGTH)}…`));
  assert.ok(!denied.html.includes("d".repeat(MAX_DESCRIPTION_LENGTH + 1)));
  const proxy = errorPageFor(
    new LoginError("oauth_error", { what: "x.", oauthCode: "server_error" }),
    "via http://corp-user:s3cret@proxy:3128 failed",
  );
  assert.ok(!proxy.html.includes("s3cret") && !proxy.html.includes("corp-user"));
  const entitlement = errorPageFor(
    new LoginError("missing_entitlement", { what: "x.", oauthCode: "access_denied" }),
    "missing_codex_entitlement",
  );
  assert.ok(!entitlement.html.includes("missing_codex_entitlement"));
  const response = pageResponse(denied);
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("x-frame-options"), "DENY");
  assert.equal(await response.text(), denied.html);
});
