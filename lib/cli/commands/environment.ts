/**
 * What `token` and `refresh` say when the environment takes over from the stored credentials
 * (a workload identity, or `CODEX_ACCESS_TOKEN`, which Codex reads first): they act on the
 * stored credentials only, so they do not apply; said in one line with the way out.
 *
 * @module
 */

import { LoginError } from "../../base/errors.ts";
import { readEnv } from "../../base/permissions.ts";
import { environmentTakesOver } from "../../signin/env_credentials.ts";

/**
 * Throw when a variable of the environment is what Codex signs in with, naming it.
 *
 * @example
 * ```ts
 * import { refuseWhenEnvironmentTakesOver } from "./environment.ts";
 * refuseWhenEnvironmentTakesOver("token"); // nothing set here (or not granted): no refusal
 * ```
 */
export function refuseWhenEnvironmentTakesOver(command: "token" | "refresh"): void {
  const variable = environmentTakesOver((name) => readEnv(name, false, true));
  if (!variable) return;
  const what = variable === "CODEX_ACCESS_TOKEN"
    ? "CODEX_ACCESS_TOKEN is set, so Codex uses it and not the stored credentials"
    : `a workload identity is configured (${variable} is set), so Codex signs in with it and not the stored credentials`;
  throw new LoginError("not_logged_in", {
    what: `${what}: codex-login ${command} does not apply.`,
    next: variable === "CODEX_ACCESS_TOKEN"
      ? `Use $CODEX_ACCESS_TOKEN itself, or unset it to ${
        command === "token" ? "get" : "refresh"
      } the stored credentials.`
      : `Unset the workload identity's variables to ${
        command === "token" ? "get" : "refresh"
      } the stored credentials.`,
    code: "not_logged_in.environment",
  });
}
