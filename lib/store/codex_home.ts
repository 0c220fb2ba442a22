/**
 * The codex home (`--codex-home`, `$CODEX_HOME`, else `~/.codex`) and the paths inside it.
 *
 * @module
 */

import { ExitCode, LoginError } from "../base/errors.ts";

/** The platform conventions the codex home depends on (`Deno.build.os`). */
export type Platform = "linux" | "darwin" | "windows" | string;

/**
 * The codex home: `--codex-home`, else `$CODEX_HOME`, else `~/.codex` (`%USERPROFILE%\.codex`
 * on Windows). Throws a LoginError (exit 2) when none can be found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveCodexHome } from "./codex_home.ts";
 * const env = (name: string) => ({ HOME: "/home/me" } as Record<string, string>)[name];
 * assert.equal(resolveCodexHome({ env, platform: "linux" }), "/home/me/.codex");
 * ```
 */
export function resolveCodexHome(options: {
  flag?: string;
  env: (name: string) => string | undefined;
  platform: Platform;
}): string {
  if (options.flag) return options.flag;
  const fromEnv = options.env("CODEX_HOME");
  if (fromEnv) return fromEnv;
  const homeVar = options.platform === "windows" ? "USERPROFILE" : "HOME";
  const home = options.env(homeVar);
  if (!home) {
    throw new LoginError(
      "permission",
      `Could not find your home directory ($${homeVar} is unset or not readable): pass --codex-home DIR, or run with --allow-env=CODEX_HOME,${homeVar}.`,
      { exitCode: ExitCode.Usage },
    );
  }
  return joinPath(options.platform, home, ".codex");
}

/**
 * Join a directory and a name with the platform's separator (no `node:path`: loading the
 * Node compatibility layer costs start-up time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinPath } from "./codex_home.ts";
 * assert.equal(joinPath("linux", "/home/me/", ".codex"), "/home/me/.codex");
 * assert.equal(joinPath("windows", "C:\\Users\\me", ".codex"), "C:\\Users\\me\\.codex");
 * ```
 */
export function joinPath(platform: Platform, dir: string, name: string): string {
  const windows = platform === "windows";
  const trimmed = dir.replace(windows ? /[\\/]+$/ : /\/+$/, "");
  return `${trimmed}${windows ? "\\" : "/"}${name}`;
}

/**
 * A file in the codex home, e.g. `{codexHome}/auth.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { homeFile } from "./codex_home.ts";
 * assert.equal(homeFile("/home/me/.codex", "config.toml", "linux"), "/home/me/.codex/config.toml");
 * ```
 */
export function homeFile(
  codexHome: string,
  name: string,
  platform: Platform = Deno.build.os,
): string {
  return joinPath(platform, codexHome, name);
}

/**
 * `{codexHome}/auth.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authFilePath } from "./codex_home.ts";
 * assert.equal(authFilePath("/home/me/.codex", "linux"), "/home/me/.codex/auth.json");
 * ```
 */
export function authFilePath(codexHome: string, platform: Platform = Deno.build.os): string {
  return homeFile(codexHome, "auth.json", platform);
}
