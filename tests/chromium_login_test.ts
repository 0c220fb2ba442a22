/**
 * The sign-in through a real browser: headless Chromium (driven by playwright-core) plays
 * the person against the fake issuer and the real `main.ts` run as a subprocess.
 * Reported as skipped, with the reason, when Chromium is not installed.
 */
import assert from "node:assert/strict";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import {
  chromiumMissing,
  historyUrls,
  launchBrowser,
  screenshotAll,
} from "./support/browser_driver.ts";
import { type Scenario, startFakeIssuer } from "./support/fake_issuer.ts";
import { tempHome } from "./support/helpers.ts";
import { loginArgs, spawnCli } from "./support/cli_process.ts";

const missing = chromiumMissing();
if (missing) console.error(`SKIPPED browser suite: ${missing}`);

const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/;

function browserTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name: `browser: ${name}`, ignore: missing !== undefined, fn });
}

/** The fake issuer is not OpenAI's, so the platform site for org setup is given explicitly. */
const PLATFORM = ["--platform-url", "https://platform.api.openai.org"];

async function signIn(scenario: Partial<Scenario>, click: "#allow" | "#deny" = "#allow") {
  const issuer = startFakeIssuer({ consentPage: true, ...scenario });
  const h = await tempHome();
  const cli = spawnCli(loginArgs(issuer.url, h.home.path, PLATFORM));
  const browser = await launchBrowser();
  return {
    issuer,
    home: h.home,
    cli,
    browser,
    async go() {
      const url = await cli.waitFor(URL_LINE);
      await browser.page.clock.install();
      await browser.page.goto(url);
      await browser.page.click(click);
      await browser.page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/(success|auth\/callback)/);
      await browser.page.waitForLoadState("load");
    },
    async [Symbol.asyncDispose]() {
      await browser[Symbol.asyncDispose]();
      await cli[Symbol.asyncDispose]();
      await issuer.close();
      await h[Symbol.asyncDispose]();
    },
  };
}

browserTest("the whole sign-in lands on the success page, exits 0, writes auth.json", async () => {
  await using run = await signIn({});
  await run.go();
  const page = run.browser.page;
  assert.match(new URL(page.url()).pathname, /^\/success$/);
  assert.equal(await page.locator("h1").textContent(), "You are signed in");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  await screenshotAll(page, "success");
  const { code, stderr } = await run.cli.done();
  assert.equal(code, 0, stderr);
  const auth = await readAuthFile(run.home);
  assert.ok(auth?.auth_mode === "chatgpt");
  assert.deepEqual(run.browser.leaks, [], "no request left loopback");
  assert.deepEqual(run.browser.consoleErrors, []);
  assert.ok(run.browser.navigations.every((u) => !u.includes(auth.tokens.id_token)));
  await run.browser.close();
  const history = await historyUrls(run.browser.profileDir);
  assert.ok(history.length > 0, "the profile recorded history");
  assert.ok(history.some((u) => u.includes("/success")));
  assert.ok(history.every((u) => !u.includes(auth.tokens.id_token)), "no id_token in history");
});

browserTest(
  "needs_setup counts down and forwards to org-setup with the right parameters",
  async () => {
    await using run = await signIn({
      account: {
        accountId: "acct_setup",
        organizationId: "org_setup",
        projectId: "proj_setup",
        planType: "plus",
        isOrgOwner: true,
        completedPlatformOnboarding: false,
      },
    });
    await run.go();
    const page = run.browser.page;
    assert.match(await page.locator("#setup-title").textContent() ?? "", /Finish setting up/);
    assert.match(await page.locator("#countdown").textContent() ?? "", /in 3 s/);
    await screenshotAll(page, "setup");
    const auth = await readAuthFile(run.home);
    assert.ok(auth?.auth_mode === "chatgpt");
    await page.clock.runFor(3100);
    await page.waitForURL(/\/org-setup\?/);
    const [target] = run.browser.orgSetup;
    assert.equal(target.origin, "https://platform.api.openai.org");
    assert.deepEqual(Object.fromEntries(target.searchParams), {
      p: "plus",
      t: auth.tokens.id_token,
      with_org: "org_setup",
      project_id: "proj_setup",
    });
    assert.equal((await run.cli.done()).code, 0);
    assert.deepEqual(run.browser.leaks, []);
    assert.deepEqual(run.browser.consoleErrors, []);
    const local = run.browser.navigations.filter((u) => new URL(u).hostname === "127.0.0.1");
    assert.ok(
      local.every((u) => !u.includes(auth.tokens.id_token)),
      "no id_token in loopback URLs",
    );
  },
);

browserTest("access_denied shows the error page and exits 1", async () => {
  await using run = await signIn({}, "#deny");
  await run.go();
  const page = run.browser.page;
  assert.equal(await page.locator("h1").textContent(), "Sign-in was cancelled");
  assert.match(await page.locator(".detail code").textContent() ?? "", /access_denied/);
  await screenshotAll(page, "error-denied");
  assert.equal((await run.cli.done()).code, 1);
  assert.deepEqual(run.browser.leaks, []);
  // The page carries the error status (400) on purpose; Chromium reports that status in the
  // console, and nothing else may appear there (no script or CSP errors).
  assert.deepEqual(run.browser.consoleErrors, [
    "Failed to load resource: the server responded with a status of 400 (Bad Request)",
  ]);
});

browserTest(
  "a token endpoint failure shows the error page and keeps the old auth.json",
  async () => {
    await using run = await signIn({ codeExchange: "500" });
    await saveAuthFile(run.home, { auth_mode: "apikey", OPENAI_API_KEY: "sk-previous-0123456789" });
    const before = await Deno.readTextFile(run.home.authFile);
    await run.go();
    const page = run.browser.page;
    assert.equal(
      await page.locator("h1").textContent(),
      "The sign-in service refused the sign-in code",
    );
    await screenshotAll(page, "error-token");
    assert.equal((await run.cli.done()).code, 1);
    assert.equal(await Deno.readTextFile(run.home.authFile), before);
    assert.deepEqual(run.browser.leaks, []);
  },
);

browserTest("with JavaScript off the setup page still offers the link", async () => {
  await using issuer = startFakeIssuer({
    consentPage: true,
    account: { accountId: "a", isOrgOwner: true, completedPlatformOnboarding: false },
  });
  await using h = await tempHome();
  await using cli = spawnCli(loginArgs(issuer.url, h.home.path, PLATFORM));
  await using browser = await launchBrowser({ javaScriptEnabled: false });
  await browser.page.goto(await cli.waitFor(URL_LINE));
  await browser.page.click("#allow");
  await browser.page.waitForURL(/\/success\?v=[\w-]+$/);
  const link = browser.page.locator("#setup-link");
  assert.ok(await link.isVisible());
  assert.match(
    await link.getAttribute("href") ?? "",
    /^https:\/\/platform\.api\.openai\.org\/org-setup\?/,
  );
  assert.equal((await cli.done()).code, 0);
});
