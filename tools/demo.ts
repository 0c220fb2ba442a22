/**
 * `make demo`: the whole product working offline. Starts the fake issuer, runs the real
 * `main.ts` login against it with least privilege, lets headless Chromium play the person
 * (open the URL, click Allow), then shows what auth.json holds (tokens masked) and where
 * the screenshots are.
 *
 * @module
 */

import { readAuthFile } from "../lib/store/file_store.ts";
import { CodexHome } from "../lib/store/codex_home.ts";
import { maskKey, maskToken } from "../lib/base/redact.ts";
import {
  chromiumMissing,
  launchBrowser,
  screenshot,
  SCREENSHOT_DIR,
  screenshotAll,
} from "../tests/support/browser_driver.ts";
import { loginArgs, spawnCli } from "../tests/support/cli_process.ts";
import { startFakeIssuer } from "../tests/support/fake_issuer.ts";

const say = (line = "") => console.error(line);

const missing = chromiumMissing();
if (missing) {
  say(`The demo needs a browser: ${missing}.`);
  Deno.exit(1);
}

await using issuer = startFakeIssuer({ consentPage: true });
const dir = await Deno.makeTempDir({ prefix: "codex-login-demo-" });
const home = `${dir}/codex`;
say(`1. A fake issuer is running at ${issuer.url} (no account, no internet needed).`);
say(`2. Running: codex-login login --codex-home ${home} --port 0 --no-browser`);
say();
await using cli = spawnCli(
  loginArgs(issuer.url, home),
  {
    permissions: ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
    onLine: (line) => say(`   │ ${line}`),
  },
);
const url = await cli.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/);
await using browser = await launchBrowser();
say();
say("3. Headless Chromium opens that URL and clicks Allow on the issuer's page.");
await browser.page.goto(url);
await screenshot(browser.page, "demo-1-issuer");
await browser.page.click("#allow");
await browser.page.waitForURL(/\/success\?v=[\w-]+$/);
await screenshotAll(browser.page, "demo-2-success");
say(`   The browser now shows: "${await browser.page.locator("h1").textContent()}"`);
const { code } = await cli.done();
say();
say(`4. codex-login exited with ${code}. ${home}/auth.json now holds (secrets masked):`);
const auth = await readAuthFile(new CodexHome(home));
if (auth?.auth_mode === "chatgpt") {
  const masked = {
    ...auth,
    OPENAI_API_KEY: auth.OPENAI_API_KEY ? maskKey(auth.OPENAI_API_KEY) : null,
    tokens: {
      id_token: maskToken(auth.tokens.id_token),
      access_token: maskToken(auth.tokens.access_token),
      refresh_token: maskToken(auth.tokens.refresh_token),
      account_id: auth.tokens.account_id,
    },
  };
  say(JSON.stringify(masked, null, 2).replace(/^/gm, "   "));
  const mode = (await Deno.stat(`${home}/auth.json`)).mode;
  if (mode !== null) say(`   (file mode ${(mode & 0o777).toString(8)})`);
}
say();
say(`5. Screenshots of what the person saw: ${SCREENSHOT_DIR}/demo-*.png`);
await browser.close();
await Deno.remove(dir, { recursive: true });
Deno.exit(code);
