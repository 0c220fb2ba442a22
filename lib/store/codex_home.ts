/**
 * The codex home (`--codex-home`, `$CODEX_HOME`, else `~/.codex`) and every path inside it:
 * no other module spells a file name of the codex home.
 *
 * @module
 */

import { ExitCode, LoginError } from "../base/errors.ts";
import { grantFlag } from "../base/permissions.ts";

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
      `Could not find your home directory ($${homeVar} is unset or not readable): pass --codex-home DIR, or run with ${
        grantFlag({ name: "env", variable: `CODEX_HOME,${homeVar}` })
      }.`,
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

/** The names of everything codex-login reads or writes in the codex home. */
const NAMES = {
  auth: "auth.json",
  authLock: "auth.lock",
  authFileLock: "auth.json.lock",
  authTemp: ".auth.json.tmp",
  config: "config.toml",
  logDir: "log",
  log: "codex-login.log",
} as const;

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
  return homeFile(codexHome, NAMES.auth, platform);
}

/** `{codexHome}/auth.lock`: Codex's outer lock, taken first by every writer. */
export function authLockPath(codexHome: string): string {
  return homeFile(codexHome, NAMES.authLock);
}

/** `{codexHome}/auth.json.lock`: Codex's inner lock, taken second. */
export function authFileLockPath(codexHome: string): string {
  return homeFile(codexHome, NAMES.authFileLock);
}

/** `{codexHome}/.auth.json.tmp`: the temp file an atomic write of auth.json goes through. */
export function authTempPath(codexHome: string): string {
  return homeFile(codexHome, NAMES.authTemp);
}

/** `{codexHome}/config.toml`: Codex's settings. */
export function configPath(codexHome: string): string {
  return homeFile(codexHome, NAMES.config);
}

/** `{codexHome}/log`: the log directory Codex shares. */
export function logDirPath(codexHome: string): string {
  return homeFile(codexHome, NAMES.logDir);
}

/**
 * `{codexHome}/log/codex-login.log`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logFilePath } from "./codex_home.ts";
 * assert.match(logFilePath("/home/me/.codex"), /\/home\/me\/\.codex.log.codex-login\.log$/);
 * ```
 */
export function logFilePath(codexHome: string): string {
  return joinPath(Deno.build.os, logDirPath(codexHome), NAMES.log);
}

/** A probe file's path (`.codex-login-probe-<uuid>`), made and removed at once. */
export function probePath(codexHome: string): string {
  return homeFile(codexHome, `.codex-login-probe-${crypto.randomUUID()}`);
}

const CANCEL_SECRET = /^\.login-(\d{1,5})\.secret$/;

/**
 * `{codexHome}/.login-<port>.secret`: the secret that lets a later codex-login cancel the
 * sign-in waiting on `port`. {@linkcode cancelSecretPort} reads the port back from a name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cancelSecretPath, cancelSecretPort } from "./codex_home.ts";
 * const path = cancelSecretPath("/home/me/.codex", 1455);
 * assert.equal(cancelSecretPort(path.slice(path.lastIndexOf("/") + 1)), 1455);
 * assert.equal(cancelSecretPort("auth.json"), undefined);
 * ```
 */
export function cancelSecretPath(codexHome: string, port: number): string {
  return homeFile(codexHome, `.login-${port}.secret`);
}

/** The port of a cancel secret's file name; `undefined` for any other name. */
export function cancelSecretPort(name: string): number | undefined {
  const port = CANCEL_SECRET.exec(name)?.[1];
  return port === undefined ? undefined : Number(port);
}
