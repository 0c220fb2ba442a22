import assert from "node:assert/strict";
import {
  escapeHtml,
  fillTemplate,
  pageSummary,
  renderErrorPage,
  renderSuccessPage,
} from "../lib/loopback/pages.ts";

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
    status: 400,
    message: "Sign-in failed.",
    code: `access_denied"><b>`,
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
      .map((kind) =>
        /<h1>(.*?)<\/h1>/.exec(renderErrorPage({ kind, status: 400, message: "m" }).html)?.[1]
      ),
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

Deno.test("page summaries drop the terminal's next-step sentences", () => {
  assert.equal(
    pageSummary(
      'Could not exchange the sign-in code: the issuer answered 500 (HTTP 500 "x"). Run codex-login again to start a fresh sign-in.',
    ),
    'Could not exchange the sign-in code: the issuer answered 500 (HTTP 500 "x").',
  );
  assert.equal(
    pageSummary("Could not reach host. Check your connection (and any proxy), then run it."),
    "Could not reach host.",
  );
  assert.equal(pageSummary("Plain message."), "Plain message.");
});
