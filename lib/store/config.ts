/**
 * Codex's `config.toml` (in the codex home) plus `-c key=value` overrides, read into one typed
 * {@linkcode Settings} object: the policies a managed workspace sets for sign-in. Unknown keys
 * are ignored (the file is Codex's, and holds much more); a malformed file or a bad value for
 * a key we honour is a usage error naming the file and line.
 *
 * Parsed with smol-toml (a spec-compliant TOML 1.0 parser; see docs/configuration.md, "Dependencies").
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";
import type { CodexHome } from "./codex_home.ts";
import { permissionError } from "../base/permissions.ts";
import { readRegularText, UnreadableFile } from "../base/regular_file.ts";
import { errorText, type LoginError, usageError } from "../base/errors.ts";
import { isJsonObject, type JsonObject } from "../base/json.ts";

/** The values `forced_login_method` accepts. */
export const FORCED_LOGIN_METHODS = ["chatgpt", "api"] as const;

/** `forced_login_method`: the only way of signing in a workspace allows. */
export type ForcedLoginMethod = (typeof FORCED_LOGIN_METHODS)[number];

/** The values `cli_auth_credentials_store` accepts (a new store adds its name here). */
export const CREDENTIALS_STORE_MODES = ["file", "keyring", "auto", "ephemeral"] as const;

/** `cli_auth_credentials_store`: where Codex keeps the credentials. */
export type CredentialsStoreMode = (typeof CREDENTIALS_STORE_MODES)[number];

/**
 * The config.toml keys codex-login honours (`-c KEY=VALUE`), with the values it can work with
 * (none listed: any value, e.g. a workspace id).
 */
export const CONFIG_KEYS: Readonly<Record<string, readonly string[]>> = {
  forced_login_method: FORCED_LOGIN_METHODS,
  forced_chatgpt_workspace_id: [],
  // "ephemeral" is Codex's in-memory store, which codex-login refuses (open_store.ts).
  cli_auth_credentials_store: CREDENTIALS_STORE_MODES.filter((mode) => mode !== "ephemeral"),
};

/** The settings codex-login honours. */
export interface Settings {
  /** The config file read (whether or not it existed). */
  configFile?: string;
  /** `forced_login_method`. */
  forcedLoginMethod?: ForcedLoginMethod;
  /** `forced_chatgpt_workspace_id`, as a list (a single string becomes one entry). */
  forcedWorkspaceIds?: string[];
  /** `cli_auth_credentials_store` (default `file`). */
  credentialsStore?: CredentialsStoreMode;
  /** `chatgpt_base_url`: where Codex reads usage (`/status`); default ChatGPT's backend. */
  chatgptBaseUrl?: string;
  /** `sqlite_home`: where a running Codex keeps its state databases (default: the codex home). */
  sqliteHome?: string;
}

function stringKey(table: JsonObject, key: string, where: string): string | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw configError(`${where}: ${key} must be a non-empty string, got ${JSON.stringify(value)}.`);
  }
  return value.trim();
}

function configError(what: string, next?: string): LoginError {
  return usageError(what, next);
}

/** Split `key=value` at the first `=`; the value is TOML, else a bare string (as `codex -c`). */
function parseOverride(raw: string): [string[], unknown] {
  const eq = raw.indexOf("=");
  const key = eq < 0 ? "" : raw.slice(0, eq).trim();
  if (eq < 0 || key === "") {
    throw configError(
      `-c expects key=value, got ${JSON.stringify(raw)}.`,
      "For example: -c forced_login_method=chatgpt.",
    );
  }
  const text = raw.slice(eq + 1).trim();
  let value: unknown;
  try {
    value = parse(`_x_ = ${text}`)._x_;
  } catch {
    value = text.replace(/^["']+|["']+$/g, "");
  }
  return [key.split("."), value];
}

function setPath(target: JsonObject, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const child = node[part];
    if (isJsonObject(child)) {
      node = child;
    } else {
      const fresh: JsonObject = {};
      node[part] = fresh;
      node = fresh;
    }
  }
  node[path[path.length - 1]] = value;
}

function oneOf<T extends string>(
  table: JsonObject,
  key: string,
  allowed: readonly T[],
  where: string,
): T | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  const match = allowed.find((a) => a === value);
  if (match !== undefined) return match;
  throw configError(
    `${where}: ${key} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${
      JSON.stringify(value)
    }.`,
  );
}

function workspaceIds(table: JsonObject, where: string): string[] | undefined {
  const value = table.forced_chatgpt_workspace_id;
  if (value === undefined) return undefined;
  const list: unknown[] = typeof value === "string" ? [value] : Array.isArray(value) ? value : [0];
  const strings = list.filter((v): v is string => typeof v === "string");
  if (strings.length !== list.length) {
    throw configError(
      `${where}: forced_chatgpt_workspace_id must be a workspace ID string or a list of them.`,
    );
  }
  if (typeof value === "string" && value.includes(",")) {
    throw configError(
      `${where}: forced_chatgpt_workspace_id must be a single workspace ID string or a TOML list of strings; comma-separated strings are not supported. Use forced_chatgpt_workspace_id = ["id-1", "id-2"] instead.`,
    );
  }
  const ids = strings.map((id) => id.trim()).filter((id) => id.length > 0);
  return ids.length > 0 ? ids : undefined;
}

/**
 * Settings from config.toml text and `-c` overrides. `where` names the file in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSettings } from "./config.ts";
 * const s = parseSettings('forced_login_method = "chatgpt"\nmodel = "o3"\n', "config.toml", [
 *   "forced_chatgpt_workspace_id=ws-1",
 * ]);
 * assert.equal(s.forcedLoginMethod, "chatgpt");
 * assert.deepEqual(s.forcedWorkspaceIds, ["ws-1"]);
 * ```
 */
export function parseSettings(
  text: string,
  where: string,
  overrides: readonly string[] = [],
): Settings {
  let table: JsonObject;
  try {
    table = parse(text);
  } catch (err) {
    const line = err instanceof TomlError ? `, line ${err.line}` : "";
    const reason = errorText(err).split("\n")[0];
    throw configError(
      `${where}${line}: not valid TOML (${reason.replace(/^Invalid TOML document: /, "")}).`,
      "Fix or remove that line, then run codex-login again.",
    );
  }
  for (const raw of overrides) setPath(table, ...parseOverride(raw));
  const source = overrides.length > 0 ? `${where} (with -c overrides)` : where;
  return {
    configFile: where,
    forcedLoginMethod: oneOf(table, "forced_login_method", FORCED_LOGIN_METHODS, source),
    forcedWorkspaceIds: workspaceIds(table, source),
    credentialsStore: oneOf(
      table,
      "cli_auth_credentials_store",
      CREDENTIALS_STORE_MODES,
      source,
    ),
    chatgptBaseUrl: stringKey(table, "chatgpt_base_url", source),
    sqliteHome: stringKey(table, "sqlite_home", source),
  };
}

/** The largest config.toml read (Codex's are a few KiB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Read `{codexHome}/config.toml` (absent: defaults) and apply `-c` overrides. A FIFO, a
 * device or a file over {@linkcode MAX_CONFIG_BYTES} is refused without being read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSettings } from "./config.ts";
 * import { CodexHome } from "./codex_home.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * await Deno.writeTextFile(home.config, 'cli_auth_credentials_store = "file"\n');
 * assert.equal((await loadSettings(home)).credentialsStore, "file");
 * ```
 */
export async function loadSettings(
  home: CodexHome,
  overrides: readonly string[] = [],
): Promise<Settings> {
  const path = home.config;
  let text = "";
  try {
    text = await readRegularText(path, MAX_CONFIG_BYTES);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw permissionError({ name: "read", path: home.path }, "to read config.toml");
    }
    if (err instanceof UnreadableFile) {
      throw configError(
        `${path} ${err.message}, so it was not read: config.toml must be a regular file of at most 1 MiB.`,
        "Replace or remove it.",
      );
    }
    if (!(err instanceof Deno.errors.NotFound)) {
      throw configError(`${path} cannot be read (${errorText(err)}).`, "Fix its permissions.");
    }
  }
  return parseSettings(text, path, overrides);
}
