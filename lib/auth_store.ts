/**
 * `$CODEX_HOME/auth.json`: where it is, reading and validating it, and writing it
 * atomically (a 0600 temp file in the same directory, fsync, rename) under a lock, so that a
 * crash or a failed sign-in never leaves a partial file and never touches a good one.
 *
 * @module
 */

import { ExitCode, LoginError } from "./errors.ts";
import { isJsonObject } from "./jwt.ts";

/** The tokens of a ChatGPT sign-in, as the Codex CLI reads them. */
export interface StoredTokens {
  /** JWT with the account claims. */
  id_token: string;
  /** Access token. */
  access_token: string;
  /** Refresh token. */
  refresh_token: string;
  /** `chatgpt_account_id` from the id_token, or "" when the issuer sent none (as the seed). */
  account_id: string;
}

/** auth.json after a ChatGPT sign-in. */
export interface ChatGptAuth {
  /** Always `chatgpt`. */
  auth_mode: "chatgpt";
  /** The API key from the token exchange, or null when there is none. */
  OPENAI_API_KEY: string | null;
  /** The OAuth tokens. */
  tokens: StoredTokens;
  /** When the tokens were last obtained, RFC 3339 UTC with `Z`. */
  last_refresh: string;
}

/** auth.json after `login --with-api-key`. */
export interface ApiKeyAuth {
  /** Always `apikey`. */
  auth_mode: "apikey";
  /** The API key. */
  OPENAI_API_KEY: string;
}

/** What auth.json holds. */
export type AuthData = ChatGptAuth | ApiKeyAuth;

/** The platform conventions the codex home depends on. */
export type Platform = "linux" | "darwin" | "windows" | string;

/**
 * The codex home: `--codex-home`, else `$CODEX_HOME`, else `~/.codex` (`%USERPROFILE%\.codex`
 * on Windows). Throws a LoginError (exit 2) when none can be found.
 *
 * @example
 * ```ts
 * import { resolveCodexHome } from "./auth_store.ts";
 * const env = (name: string) => ({ HOME: "/home/me" } as Record<string, string>)[name];
 * console.assert(resolveCodexHome({ env, platform: "linux" }) === "/home/me/.codex");
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
 */
export function joinPath(platform: Platform, dir: string, name: string): string {
  const windows = platform === "windows";
  const trimmed = dir.replace(windows ? /[\\/]+$/ : /\/+$/, "");
  return `${trimmed}${windows ? "\\" : "/"}${name}`;
}

function currentPlatform(): Platform {
  return Deno.build.os;
}

/** `{codexHome}/auth.json`. */
export function authFilePath(codexHome: string, platform: Platform = currentPlatform()): string {
  return joinPath(platform, codexHome, "auth.json");
}

/** auth.json exists but cannot be used: not JSON, wrong shape, a directory, unreadable. */
export class AuthFileError extends LoginError {
  /** The file's path. */
  readonly path: string;
  /** Make an AuthFileError for `path`. */
  constructor(path: string, problem: string) {
    super(
      "corrupt_auth",
      `${path} ${problem}. Sign in again with \`codex-login login\` (it replaces the file), or remove it.`,
    );
    this.name = "AuthFileError";
    this.path = path;
  }
}

function validate(path: string, value: unknown): AuthData {
  if (!isJsonObject(value)) throw new AuthFileError(path, "is not a JSON object");
  const key = value.OPENAI_API_KEY;
  const tokens = value.tokens;
  const mode = value.auth_mode;
  if (isJsonObject(tokens) && mode !== "apikey") {
    for (const field of ["id_token", "access_token", "refresh_token"]) {
      if (typeof tokens[field] !== "string") {
        throw new AuthFileError(path, `has no valid tokens.${field}`);
      }
    }
    return {
      auth_mode: "chatgpt",
      OPENAI_API_KEY: typeof key === "string" ? key : null,
      tokens: {
        id_token: tokens.id_token as string,
        access_token: tokens.access_token as string,
        refresh_token: tokens.refresh_token as string,
        account_id: typeof tokens.account_id === "string" ? tokens.account_id : "",
      },
      last_refresh: typeof value.last_refresh === "string" ? value.last_refresh : "",
    };
  }
  if (typeof key === "string" && key.length > 0) {
    return { auth_mode: "apikey", OPENAI_API_KEY: key };
  }
  throw new AuthFileError(path, "holds neither tokens nor an API key");
}

/**
 * Read and validate auth.json. `undefined` when there is none; throws
 * {@linkcode AuthFileError} when it cannot be used. Never writes.
 *
 * @example
 * ```ts ignore
 * import { readAuthFile } from "./auth_store.ts";
 * const auth = await readAuthFile("/home/me/.codex");
 * console.log(auth?.auth_mode ?? "not logged in");
 * ```
 */
export async function readAuthFile(codexHome: string): Promise<AuthData | undefined> {
  const path = authFilePath(codexHome);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    if (err instanceof Deno.errors.IsADirectory) throw new AuthFileError(path, "is a directory");
    if (err instanceof Deno.errors.NotCapable) {
      throw new LoginError(
        "permission",
        `codex-login needs read access to ${codexHome}: run it again with --allow-read=${codexHome}.`,
        { exitCode: ExitCode.Usage },
      );
    }
    throw new AuthFileError(path, `cannot be read (${errorText(err)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AuthFileError(path, "is not valid JSON");
  }
  return validate(path, value);
}

/** The JSON text written to auth.json: 2-space indentation, a final newline. */
export function serializeAuth(data: AuthData): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

function errorText(err: unknown): string {
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "a directory is in the way";
  if (err instanceof Error) return err.message.replace(/\s*\(os error \d+\)/, "");
  return String(err);
}

/** The temp file a write goes through; a stale one (from a killed process) is removed. */
export function tempFilePath(codexHome: string): string {
  return authFilePath(codexHome).replace(/auth\.json$/, ".auth.json.tmp");
}

async function ensureHome(codexHome: string): Promise<void> {
  try {
    await Deno.mkdir(codexHome, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw saveError(codexHome, err);
  }
}

function saveError(codexHome: string, err: unknown): LoginError {
  if (err instanceof LoginError) return err;
  if (err instanceof Deno.errors.NotCapable) {
    const kind = /read access/.test(err.message) ? "read" : "write";
    return new LoginError(
      "permission",
      `codex-login needs ${kind} access to ${codexHome} to save auth.json: run it again with --allow-${kind}=${codexHome}.`,
      { exitCode: ExitCode.Usage },
    );
  }
  return new LoginError(
    "save_failed",
    `Could not save your credentials to ${authFilePath(codexHome)} (${
      errorText(err)
    }). Check that ${codexHome} is a writable directory with free space, then sign in again.`,
    { cause: err },
  );
}

/**
 * Run `fn` holding an exclusive lock on `{codexHome}/auth.json.lock` (an OS file lock, so a
 * crashed holder never leaves it stuck). Creates the codex home (0700) when missing.
 */
export async function withAuthLock<T>(codexHome: string, fn: () => Promise<T>): Promise<T> {
  await ensureHome(codexHome);
  let lock: Deno.FsFile;
  try {
    lock = await Deno.open(authFilePath(codexHome) + ".lock", {
      write: true,
      create: true,
      mode: 0o600,
    });
    await lock.lock(true);
  } catch (err) {
    throw saveError(codexHome, err);
  }
  try {
    return await fn();
  } finally {
    try {
      await lock.unlock();
    } finally {
      lock.close();
    }
  }
}

/**
 * Write auth.json atomically. The caller must hold {@linkcode withAuthLock}. Never writes
 * through a symlink: the rename replaces the link itself.
 */
export async function writeAuthFileLocked(codexHome: string, data: AuthData): Promise<void> {
  const path = authFilePath(codexHome);
  const temp = tempFilePath(codexHome);
  try {
    await Deno.remove(temp).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      const bytes = new TextEncoder().encode(serializeAuth(data));
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw saveError(codexHome, err);
  }
}

/**
 * Write auth.json atomically (0600 temp file, fsync, rename) under the lock.
 *
 * @example
 * ```ts ignore
 * import { saveAuthFile } from "./auth_store.ts";
 * await saveAuthFile("/home/me/.codex", { auth_mode: "apikey", OPENAI_API_KEY: "sk-..." });
 * ```
 */
export async function saveAuthFile(codexHome: string, data: AuthData): Promise<void> {
  await withAuthLock(codexHome, () => writeAuthFileLocked(codexHome, data));
}

/** Remove auth.json (under the lock). Returns false when there was none. */
export async function removeAuthFile(codexHome: string): Promise<boolean> {
  return await withAuthLock(codexHome, async () => {
    try {
      await Deno.remove(authFilePath(codexHome));
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw saveError(codexHome, err);
    }
  });
}

/** RFC 3339 UTC with a `Z`, as the seed writes `last_refresh`. */
export function rfc3339(now: Date): string {
  return now.toISOString();
}
