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

