/**
 * Drives Debian's Chromium with playwright-core for the browser suite and the offline
 * demo: a fresh profile per run, the flags this workplace needs, every request that would
 * leave loopback recorded and stopped (the org-setup forward is answered locally), console
 * errors collected, and screenshots written to `screenshots/`.
 *
 * @module
 */

import { type BrowserContext, chromium, type Page } from "playwright-core";
import { ROOT } from "./helpers.ts";

/** Where Debian installs Chromium (override with `CHROMIUM_PATH`). */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Screenshots go here (git-ignored). */
export const SCREENSHOT_DIR = `${ROOT}screenshots`;

/** Whether Chromium is installed; the reason when it is not. */
export function chromiumMissing(): string | undefined {
  try {
    Deno.statSync(CHROMIUM_PATH);
    return undefined;
  } catch {
    return `${CHROMIUM_PATH} not found: install Debian's chromium (apt-get install chromium) to run the browser suite`;
  }
}

/** The flags Chromium needs on this closed network. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** A running browser with its observations. */
export interface DrivenBrowser extends AsyncDisposable {
  context: BrowserContext;
  page: Page;
  /** The fresh profile directory. */
  profileDir: string;
  /** Requests that tried to leave loopback (other than the intercepted org-setup). */
  leaks: string[];
  /** Org-setup navigations intercepted (answered locally). */
  orgSetup: URL[];
  /** Console errors and page errors. */
  consoleErrors: string[];
  /** Every URL any frame navigated to. */
  navigations: string[];
  /** Close the browser (keeps the profile so history can be read); idempotent. */
  close(): Promise<void>;
}

/** Launch Chromium with a fresh profile. */
export async function launchBrowser(
  options: { javaScriptEnabled?: boolean; colorScheme?: "light" | "dark" } = {},
): Promise<DrivenBrowser> {
  const profileDir = await Deno.makeTempDir({ prefix: "codex-login-chromium-" });
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    colorScheme: options.colorScheme ?? "light",
  });
  const leaks: string[] = [];
  const orgSetup: URL[] = [];
  const consoleErrors: string[] = [];
  const navigations: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || LOOPBACK.has(url.hostname)) return route.continue();
    if (url.pathname === "/org-setup") {
      orgSetup.push(url);
      return route.fulfill({
        status: 200,
        contentType: "text/html",
        body: "<!DOCTYPE html><title>org setup</title><h1>Platform org setup (intercepted)</h1>",
      });
    }
    leaks.push(url.href);
    return route.abort();
  });
  const page = context.pages()[0] ?? await context.newPage();
  const watch = (p: Page) => {
    p.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    p.on("pageerror", (e) => consoleErrors.push(String(e)));
    p.on("framenavigated", (f) => navigations.push(f.url()));
  };
  watch(page);
  context.on("page", watch);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await context.close();
  };
  return {
    context,
    page,
    profileDir,
    leaks,
    orgSetup,
    consoleErrors,
    navigations,
    close,
    async [Symbol.asyncDispose]() {
      await close();
      await Deno.remove(profileDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Every URL in the closed browser's history database (Chromium's `History` SQLite file). */
export async function historyUrls(profileDir: string): Promise<string[]> {
  const { DatabaseSync } = await import("node:sqlite");
  const path = `${profileDir}/Default/History`;
  try {
    Deno.statSync(path);
  } catch {
    return [];
  }
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare("SELECT url FROM urls").all().map((row) => String(row.url));
  } finally {
    db.close();
  }
}

/** Save a screenshot as `screenshots/{name}.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = `${SCREENSHOT_DIR}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Desktop and phone-sized viewports. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  narrow: { width: 390, height: 844 },
} as const;

/** Screenshot the current page at both widths, light and dark. */
export async function screenshotAll(page: Page, name: string): Promise<string[]> {
  const paths: string[] = [];
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [label, size] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(size);
      paths.push(await screenshot(page, `${name}-${label}-${scheme}`));
    }
  }
  await page.setViewportSize(VIEWPORTS.desktop);
  await page.emulateMedia({ colorScheme: "light" });
  return paths;
}
