/**
 * Hardening II, in-process: each test performs an attack from a local attacker or a hostile
 * issuer and checks that it fails. The attacks that need their own process (descriptor
 * exhaustion, the opener's link in the process table, a pasted flood, Ctrl-C at the prompt,
 * escapes in the terminal) are in e2e_security_test.ts.
 */
import assert from "node:assert/strict";
import { logout } from "../lib/signin/account.ts";
import { formatStatus, getStatus } from "../lib/signin/status_report.ts";
import { authFilePath } from "../lib/store/codex_home.ts";
import { LoginError } from "../lib/base/errors.ts";
import { FileCredentialStore, readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { withAuthLock } from "../lib/store/auth_lock.ts";
import { IssuerClient, IssuerError } from "../lib/issuer/issuer.ts";
import { startLogin } from "../lib/signin/login_server.ts";
import { boundedLines } from "../lib/cli/commands/waiting.ts";
import { authTempPath, cancelSecretPath } from "../lib/store/codex_home.ts";
import { resolveSignInContext } from "../lib/signin/sign_in.ts";
import { deviceLogin } from "../lib/signin/device_auth.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, HAVE_IPV6, logCollector, rawGet, ROOT, tempHome } from "./support/helpers.ts";
import { callbackUrl, fixture, rejection } from "./support/login_fixture.ts";

const IS_ROOT = await (async () => {
  const probe = await Deno.makeTempFile();
  const uid = (await Deno.stat(probe)).uid;
  await Deno.remove(probe);
  return uid === 0;
})();
/** An org owner who has not finished platform onboarding: the success page offers setup. */
const NEEDS_SETUP = {
  accountId: "a1",
  planType: "plus",
  isOrgOwner: true,
  completedPlatformOnboarding: false,
};
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

Deno.test("3. --verbose with a malformed Host: answered 421, logged safely, the sign-in goes on", async () => {
  await using f = await fixture({}, { verbose: true });
  const port = f.session.port;
  assert.equal((await rawGet(port, "/x", "a b")).status, 421);
  assert.equal((await rawGet(port, "/\x1b[2J", `localhost:${port}`)).status, 400);
  await new Promise((r) => setTimeout(r, 50));
  await browse(f.session.authUrl);
  await f.session.result;
  assert.match(f.logs.text(), /GET \/x -> 421/);
  assert.ok(!CONTROL.test(f.logs.text()), "no control characters logged");
});

Deno.test("4. /success with the setup link goes to the redirected browser only", async () => {
  await using f = await fixture({ account: NEEDS_SETUP }, { successGraceMs: 5000 });
  const authorize = await fetch(f.session.authUrl, { redirect: "manual" });
  await authorize.body?.cancel();
  const callbackUrl = new URL(authorize.headers.get("location")!);
  const callback = await fetch(callbackUrl.href.replace("//localhost:", "//127.0.0.1:"), {
    redirect: "manual",
    headers: { host: callbackUrl.host },
  });
  await callback.body?.cancel();
  assert.equal(callback.status, 302);
  const location = callback.headers.get("location")!;
  // Another local process polls /success before the browser gets there.
  for (const path of ["/success", "/success?v=guess"]) {
    const attempt = await rawGet(f.session.port, path);
    assert.equal(attempt.status, 200);
    assert.ok(!attempt.body.includes("org-setup"), `${path}: no setup link, no id_token`);
  }
  const page = await browse(new URL(location, callbackUrl).href);
  assert.match(page[0].body, /id="setup-link"/, "the redirected browser gets the link");
  await f.session.result;
});

Deno.test("5. the opener's start link works once; a second use stops the sign-in with a warning", async () => {
  await using f = await fixture();
  const first = await fetch(f.session.startUrl.replace("//localhost:", "//127.0.0.1:"), {
    redirect: "manual",
    headers: { host: new URL(f.session.startUrl).host },
  });
  await first.body?.cancel();
  assert.equal(first.status, 302);
  assert.equal(first.headers.get("location"), f.session.authUrl);
  const wrong = await rawGet(f.session.port, "/start/guess");
  assert.equal(wrong.status, 404);
  const second = await browse(f.session.startUrl);
  assert.equal(second[0].status, 409);
  const err = await rejection(f.session);
  assert.equal(err.kind, "start_link_reused");
  assert.match(
    f.logs.text(),
    /Warning: Someone else on this machine opened this sign-in's start link/,
  );
  assert.equal(await readAuthFile(f.home), undefined);
});

Deno.test("6. a failed save answers 500", async () => {
  await using f = await fixture();
  await Deno.mkdir(authFilePath(f.home), { recursive: true });
  await Deno.writeTextFile(`${authFilePath(f.home)}/keep`, "x");
  const page = (await browse(f.session.authUrl)).at(-1)!;
  assert.equal(page.status, 500);
  assert.equal((await rejection(f.session)).kind, "save_failed");
});

Deno.test("8. a non-OpenAI issuer without --api-base/--platform-url: no credits call, no setup link", async () => {
  await using f = await fixture({ account: NEEDS_SETUP }, {
    apiBase: undefined,
    platformUrl: undefined,
  });
  const page = (await browse(f.session.authUrl)).at(-1)!;
  assert.ok(!page.body.includes("org-setup"), "no id_token forwarded anywhere");
  const result = await f.session.result;
  assert.equal(result.needsSetup, true);
  assert.equal(result.setupLinkOffered, false);
  assert.equal(f.issuer.requestsTo("/v1/billing/redeem_credits").length, 0);
});

Deno.test("9. escapes and line breaks from the issuer never reach the terminal raw", async () => {
  const evil = "x\x1b]52;c;ZXZpbA==\x07\x1b[2J\nError: forged line\u202e";
  await using f = await fixture({
    account: { accountId: `acct${evil}`, email: `me${evil}@example.com`, planType: `plus${evil}` },
  });
  await browse(f.session.authUrl);
  await f.session.result;
  const text = formatStatus(await getStatus(new FileCredentialStore(f.home)), new Date());
  assert.ok(!CONTROL.test(text) && !text.includes("\u202e"), text);
  assert.ok(!/^Error: forged/m.test(text), "no forged line");
  assert.match(text, /\\x1b\]52;c;ZXZpbA==\\x07/, "shown as visible escapes");

  await using denied = await fixture();
  const url = callbackUrl(denied.session, {
    error: "access_denied",
    error_description: `nope${evil}`,
    state: new URL(denied.session.authUrl).searchParams.get("state")!,
  });
  await browse(url);
  const err = await rejection(denied.session);
  assert.ok(!CONTROL.test(err.message) && !err.message.includes("\u202e"), err.message);
});

Deno.test("13. pasted lines are capped while read: an overlong line is dropped, the next one counts", async () => {
  const big = "x".repeat(1024 * 1024);
  let chunksYielded = 0;
  async function* chunks() {
    for (let i = 0; i < 64; i++) {
      chunksYielded++;
      yield big; // 64 MiB without a newline
    }
    yield "\nhttp://localhost:1455/auth/callback?code=c&state=s\n";
  }
  const notes: string[] = [];
  const lines: string[] = [];
  for await (const line of boundedLines(chunks(), 16 * 1024, () => notes.push("long"))) {
    lines.push(line);
  }
  assert.equal(chunksYielded, 64);
  assert.deepEqual(notes, ["long"], "said once");
  assert.deepEqual(lines, ["http://localhost:1455/auth/callback?code=c&state=s"]);
});

Deno.test("9. a device code with escapes from the issuer is printed inert", async () => {
  await using issuer = startFakeIssuer({ deviceUserCode: "AB\x1b]0;pwned\x07\nError: x" });
  await using h = await tempHome();
  const logs = logCollector();
  await deviceLogin({ codexHome: h.home, issuer: issuer.url, apiBase: issuer.url, log: logs.log });
  assert.ok(!CONTROL.test(logs.text()), logs.text());
  assert.match(logs.text(), /AB\\x1b\]0;pwned\\x07\\x0aError: x/);
});
