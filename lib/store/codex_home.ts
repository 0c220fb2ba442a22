/**
 * The codex home (`--codex-home`, `$CODEX_HOME`, else `~/.codex`) as one value, made once per
 * command: its path, every file path inside it (no other module spells a file name of the
 * codex home), creating it ({@linkcode CodexHome.ensure}) and the uid its files are created
 * with ({@linkcode CodexHome.ownerUid}).
 *
 * @module
 */

import { LoginError } from "../base/errors.ts";
import { grantAdvice } from "../base/permissions.ts";

/** The platform conventions the codex home depends on (`Deno.build.os`). */
export type Platform = "linux" | "darwin" | "windows" | string;

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
  accountsDir: "accounts",
  accountsLock: ".lock",
  accountsIndex: "index.json",
} as const;

const CANCEL_SECRET = /^\.login-(\d{1,5})\.secret$/;

/**
 * The port of a cancel secret's file name (see {@linkcode CodexHome.cancelSecret}); `undefined`
 * for any other name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cancelSecretPort } from "./codex_home.ts";
 * assert.equal(cancelSecretPort(".login-1455.secret"), 1455);
 * assert.equal(cancelSecretPort("auth.json"), undefined);
 * ```
 */
export function cancelSecretPort(name: string): number | undefined {
  const port = CANCEL_SECRET.exec(name)?.[1];
  return port === undefined ? undefined : Number(port);
}

/** Where the codex home comes from: `--codex-home`, the environment, the platform. */
export interface HomeSource {
  /** `--codex-home`, when given. */
  flag?: string;
  /** Reads an environment variable (`CODEX_HOME`, `HOME`, `USERPROFILE`). */
  env: (name: string) => string | undefined;
  /** The platform (`Deno.build.os`). */
  platform: Platform;
}

/**
 * The codex home: a directory and every path in it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CodexHome } from "./codex_home.ts";
 * const home = new CodexHome("/home/me/.codex", "linux");
 * assert.equal(home.authFile, "/home/me/.codex/auth.json");
 * assert.equal(home.logFile, "/home/me/.codex/log/codex-login.log");
 * assert.equal(home.cancelSecret(1455), "/home/me/.codex/.login-1455.secret");
 * ```
 */
export class CodexHome {
  /** The directory. */
  readonly path: string;
  /** The platform its paths are spelled for. */
  readonly platform: Platform;
  #uid?: Promise<number | null>;

  /** The codex home at `path`. */
  constructor(path: string, platform: Platform = Deno.build.os) {
    this.path = path;
    this.platform = platform;
  }

  /**
   * `--codex-home`, else `$CODEX_HOME`, else `~/.codex` (`%USERPROFILE%\.codex` on Windows).
   * Throws a LoginError (exit 2) when none can be found.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CodexHome } from "./codex_home.ts";
   * const env = (name: string) => ({ HOME: "/home/me" } as Record<string, string>)[name];
   * assert.equal(CodexHome.resolve({ env, platform: "linux" }).path, "/home/me/.codex");
   * ```
   */
  static resolve(source: HomeSource): CodexHome {
    if (source.flag) return new CodexHome(source.flag, source.platform);
    const fromEnv = source.env("CODEX_HOME");
    if (fromEnv) return new CodexHome(fromEnv, source.platform);
    const homeVar = source.platform === "windows" ? "USERPROFILE" : "HOME";
    const home = source.env(homeVar);
    if (!home) {
      const variable = `CODEX_HOME,${homeVar}`;
      const granted = Deno.permissions.querySync({ name: "env", variable: homeVar }).state ===
        "granted";
      throw new LoginError("permission", {
        what: `Could not find your home directory ($${homeVar} is ${
          granted ? "unset" : "unset or not readable"
        }).`,
        next: granted
          ? `Pass --codex-home DIR, or set CODEX_HOME or ${homeVar}.`
          : `Pass --codex-home DIR, or ${grantAdvice({ name: "env", variable })}.`,
      });
    }
    return new CodexHome(joinPath(source.platform, home, ".codex"), source.platform);
  }

  /** A file directly in the codex home. */
  file(name: string): string {
    return joinPath(this.platform, this.path, name);
  }

  /** `auth.json`. */
  get authFile(): string {
    return this.file(NAMES.auth);
  }

  /** `auth.lock`: Codex's outer lock, taken first by every writer. */
  get authLock(): string {
    return this.file(NAMES.authLock);
  }

  /** `auth.json.lock`: Codex's inner lock, taken second. */
  get authFileLock(): string {
    return this.file(NAMES.authFileLock);
  }

  /** `.auth.json.tmp`: the temp file an atomic write of auth.json goes through. */
  get authTemp(): string {
    return this.file(NAMES.authTemp);
  }

  /** `config.toml`: Codex's settings. */
  get config(): string {
    return this.file(NAMES.config);
  }

  /** `log/`: the log directory Codex shares. */
  get logDir(): string {
    return this.file(NAMES.logDir);
  }

  /** `log/codex-login.log`: codex-login's support log. */
  get logFile(): string {
    return joinPath(this.platform, this.logDir, NAMES.log);
  }

  /** `accounts/`: codex-login's saved copies of other accounts (0700, files 0600). */
  get accountsDir(): string {
    return this.file(NAMES.accountsDir);
  }

  /** `accounts/.lock`: the lock every change to the saved copies is made under. */
  get accountsLock(): string {
    return joinPath(this.platform, this.accountsDir, NAMES.accountsLock);
  }

  /** `accounts/index.json`: the saved accounts' labels and facts (no secret). */
  get accountsIndex(): string {
    return joinPath(this.platform, this.accountsDir, NAMES.accountsIndex);
  }

  /** `accounts/<id>.json`: one saved copy (never named `auth*.json`, which Codex may read). */
  accountFile(id: string): string {
    return joinPath(this.platform, this.accountsDir, `${id}.json`);
  }

  /** `accounts/.tmp-<uuid>`: the temp file an atomic write in `accounts/` goes through. */
  accountsTemp(): string {
    return joinPath(this.platform, this.accountsDir, `.tmp-${crypto.randomUUID()}`);
  }

  /**
   * `.login-<port>.secret`: the secret that lets a later codex-login cancel the sign-in
   * waiting on `port` ({@linkcode cancelSecretPort} reads the port back from the name).
   */
  cancelSecret(port: number): string {
    return this.file(`.login-${port}.secret`);
  }

  /** A probe file's path (`.codex-login-probe-<uuid>`), made and removed at once. */
  probeFile(): string {
    return this.file(`.codex-login-probe-${crypto.randomUUID()}`);
  }

  /**
   * Create the codex home (and its parents) when missing, 0700: the one place it is created.
   * Throws what `Deno.mkdir` throws.
   */
  async ensure(): Promise<void> {
    await Deno.mkdir(this.path, { recursive: true, mode: 0o700 });
  }

  /**
   * The uid this process creates files as, learnt once: `Deno.uid()` when `--allow-sys=uid`
   * is granted (the installed command and make login grant it), else the owner of a probe
   * file made (and removed) in the codex home, which is created first. `null` when neither
   * works (Windows, or the home cannot be written).
   */
  ownerUid(): Promise<number | null> {
    this.#uid ??= this.#learnUid().catch(() => null);
    return this.#uid;
  }

  /**
   * Check that a file can be created here (a probe made and removed), learning our uid from
   * it. Throws what creating the probe throws.
   */
  async probe(): Promise<number | null> {
    const uid = await this.#probeUid();
    this.#uid = Promise.resolve(uid);
    return uid;
  }

  async #learnUid(): Promise<number | null> {
    if (this.platform === "windows") return null;
    const sys = Deno.permissions.querySync({ name: "sys", kind: "uid" }).state === "granted";
    if (sys) return Deno.uid();
    await this.ensure();
    return await this.#probeUid();
  }

  async #probeUid(): Promise<number | null> {
    const probe = this.probeFile();
    const file = await Deno.open(probe, { write: true, createNew: true, mode: 0o600 });
    try {
      return (await file.stat()).uid;
    } finally {
      file.close();
      await Deno.remove(probe).catch(() => {});
    }
  }

  /** The path, for messages. */
  toString(): string {
    return this.path;
  }
}

/**
 * Why a directory cannot be the codex home, as a `home_unusable` error naming it and the fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { homeUnusable } from "./codex_home.ts";
 * const err = homeUnusable("/x", "is not a directory");
 * assert.equal(err.what, "Cannot keep your credentials in /x: it is not a directory.");
 * ```
 */
export function homeUnusable(path: string, problem: string): LoginError {
  return new LoginError("home_unusable", {
    what: `Cannot keep your credentials in ${path}: it ${problem}.`,
    next: "Fix that, or pass --codex-home DIR for a directory of yours; nothing was changed.",
  });
}
