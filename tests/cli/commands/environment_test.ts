/**
 * `token` and `refresh` act on the stored credentials only: when the environment is what Codex
 * signs in with, they say so in one line, naming the variable and the way out.
 */
import assert from "node:assert/strict";
import { LoginError } from "../../../lib/base/errors.ts";
import { refuseWhenEnvironmentTakesOver } from "../../../lib/cli/commands/environment.ts";

/** Run `fn` with `vars` set, restoring the environment after. */
function withEnv(vars: Record<string, string>, fn: () => void): void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  try {
    for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
    fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

Deno.test("token and refresh: CODEX_ACCESS_TOKEN or a workload identity takes over, said in one line", () => {
  refuseWhenEnvironmentTakesOver("token"); // nothing set: no refusal
  withEnv({ CODEX_ACCESS_TOKEN: "at-secret-value" }, () => {
    let err: unknown;
    try {
      refuseWhenEnvironmentTakesOver("token");
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof LoginError, String(err));
    assert.equal(err.code, "not_logged_in.environment");
    assert.match(err.message, /CODEX_ACCESS_TOKEN is set.*codex-login token does not apply/);
    assert.match(err.message, /unset it to get the stored credentials/);
    assert.ok(!err.message.includes("at-secret-value"), "never the value");
  });
  withEnv({ OPENAI_FEDERATION_RULE_ID: "fr_1" }, () => {
    assert.throws(
      () => refuseWhenEnvironmentTakesOver("refresh"),
      /OPENAI_FEDERATION_RULE_ID is set.*refresh does not apply.*Unset the workload identity's variables to refresh/s,
    );
  });
});
