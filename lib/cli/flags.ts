/**
 * Flag parsing shared by every subcommand (strict, see `args.ts`), and what every
 * command resolves from its flags: the codex home, Codex's settings, the credential store.
 *
 * @module
 */

import { resolveCodexHome } from "../store/codex_home.ts";
import { loadSettings, type Settings } from "../store/config.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import { openCredentialStore } from "../store/open_store.ts";
import { usageError } from "../base/errors.ts";
import { commandLine } from "../base/invocation.ts";
import { checkHomeSafe, checkLogDirSafe, prepareHome } from "../store/home_guard.ts";
import { loadCaCerts, networkFromEnv } from "../issuer/network.ts";
import { logFilePath, LoginLog, setActiveLog } from "../store/login_log.ts";
import { IssuerClient } from "../issuer/issuer.ts";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER,
  type IssuerEndpoints,
  resolveIssuer,
} from "../issuer/issuer_config.ts";
import { ensurePermission, readEnv } from "../base/permissions.ts";

import type { CliIo } from "./io.ts";
import { type CommandHelp, type FlagSpec, type FlagValue, formatHelp, parseFlags } from "./args.ts";

export type { CommandHelp, FlagSpec, FlagValue };

/** The flags every command takes. */
export const COMMON_OPTIONS: FlagSpec = {
  "codex-home": {
    type: "string",
    value: "DIR",
    help: "where the credentials live (default: $CODEX_HOME, else ~/.codex)",
  },
  config: {
    type: "string",
    short: "c",
    multiple: true,
    value: "K=V",
    help: "override a config.toml key, as `codex -c` (repeatable)",
  },
  issuer: { type: "string", value: "URL", help: `OAuth issuer (default ${DEFAULT_ISSUER})` },
  "client-id": {
    type: "string",
    value: "ID",
    help: `OAuth client id (default ${DEFAULT_CLIENT_ID})`,
  },
  "insecure-issuer": {
    type: "boolean",
    help: "accept a plain http:// issuer that is not on this machine",
  },
  verbose: { type: "boolean", help: "mirror the login log to stderr" },
  quiet: {
    type: "boolean",
    short: "q",
    help: "print only what you must act on (a sign-in URL or code) and errors",
  },
  help: { type: "boolean", short: "h", help: "show this help" },
};

/**
 * A whole-number flag from 0 to `max`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIntegerFlag } from "./flags.ts";
 * assert.equal(parseIntegerFlag("port", "1455", 65535), 1455);
 * assert.throws(() => parseIntegerFlag("port", "-1", 65535), /whole number/);
 * ```
 */
export function parseIntegerFlag(name: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw usageError(
      `--${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(value)}.`,
    );
  }
  return Number(value);
}

/** What a command resolved from its flags and the codex home. */
export interface CommandSetup {
  /** The codex home. */
  codexHome: string;
  /** config.toml with the `-c` overrides. */
  settings: Settings;
  /** The credential store the settings ask for. */
  store: CredentialStore;
  /** The login log (`$CODEX_HOME/log/codex-login.log` for commands that write). */
  trace: LoginLog;
}

/** A command's parsed flags. */
export interface CommandFlags {
  /** Every flag's value. */
  values: Record<string, FlagValue>;
  /** The issuer's URLs from `--issuer`, `--client-id`, `--api-base`, `--platform-url` and
   * `--insecure-issuer`, resolved once. */
  endpoints: IssuerEndpoints;
  /** `-q/--quiet`: only what the person must act on, and errors. */
  quiet: boolean;
  /**
   * Resolve the codex home (may ask for env access), make sure it can be read (and written,
   * with `write`; with `signin`, also that it exists or can be created, is a directory and is
   * writable, before anything opens),
   * with `write`), then read the settings and open the store. Call after validating flags.
   */
  setup(access: Access, log?: (line: string) => void): Promise<CommandSetup>;
  /** An issuer client for `--issuer` and `--client-id`, each request within `timeoutMs`. */
  issuerClient(timeoutMs: number, trace?: LoginLog): IssuerClient;
}

/** Network variables are read without a prompt: not granted counts as unset. */
const envReader = (name: string) => readEnv(name);

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** What a command does with the codex home: read it, write it, or sign in (create it too). */
export type Access = "read" | "write" | "signin";

/** Make sure the credentials can be written (and renamed into place) before any network step. */
async function ensureHomeAccess(codexHome: string, access: Access): Promise<void> {
  if (access === "read") {
    await ensurePermission({ name: "read", path: codexHome }, "to read auth.json");
    return;
  }
  const alternative = "pass --codex-home DIR for a directory you can grant";
  await ensurePermission({ name: "write", path: codexHome }, "to save auth.json", alternative);
  await ensurePermission(
    { name: "read", path: codexHome },
    "to replace auth.json atomically",
    alternative,
  );
}

/**
 * The help page of a command: its own options and the shared ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandHelp } from "./flags.ts";
 * const page = commandHelp({
 *   name: "status",
 *   summary: "Who is signed in.",
 *   usage: ["status"],
 *   options: {},
 *   examples: [["codex-login status", "who is signed in"]],
 * });
 * assert.match(page, /--codex-home DIR/);
 * ```
 */
export function commandHelp(help: CommandHelp): string {
  return formatHelp(help, COMMON_OPTIONS);
}

/** A string flag's value, when given. */
function stringFlag(values: Record<string, FlagValue>, name: string): string | undefined {
  return values[name] as string | undefined;
}

/**
 * Parse a command's flags: the common ones plus the command's own (`help.options`); no
 * positionals allowed. The issuer's URLs are resolved here, once. `undefined` means
 * `--help` was asked for.
 */
export function commandFlags(help: CommandHelp, args: string[]): CommandFlags | undefined {
  setActiveLog(undefined);
  const { values, positionals } = parseFlags(args, { ...COMMON_OPTIONS, ...help.options });
  if (values.help) return undefined;
  if (positionals.length > 0) {
    throw usageError(
      `Unexpected argument ${JSON.stringify(positionals[0])} for ${help.name}. Run ${
        commandLine([help.name, "--help"])
      }.`,
    );
  }
  const endpoints = resolveIssuer({
    issuer: stringFlag(values, "issuer"),
    clientId: stringFlag(values, "client-id"),
    apiBase: stringFlag(values, "api-base"),
    platformUrl: stringFlag(values, "platform-url"),
    insecure: values["insecure-issuer"] === true,
  });
  return {
    values,
    endpoints,
    quiet: values.quiet === true,
    issuerClient: (timeoutMs, trace) => new IssuerClient({ endpoints, timeoutMs, trace }),
    async setup(access, log) {
      const codexHome = resolveCodexHome({
        flag: values["codex-home"] as string | undefined,
        env: (name) => readEnv(name, true),
        platform: Deno.build.os,
      });
      await ensureHomeAccess(codexHome, access);
      // A sign-in checks the home can hold credentials before anything opens, not at the save.
      if (access === "signin") await prepareHome(codexHome);
      // Refuse a home (or log directory) others could tamper with, before any network step.
      if (access !== "read" && await exists(codexHome)) {
        await checkHomeSafe(codexHome);
        await checkLogDirSafe(codexHome);
      }
      const settings = await loadSettings(codexHome, (values.config as string[]) ?? []);
      if (settings.credentialsStore === "keyring") {
        await ensurePermission(
          { name: "ffi" },
          'to reach the keyring (cli_auth_credentials_store = "keyring")',
          'set cli_auth_credentials_store = "file"',
        );
      }
      // A bad CA bundle is said before a sign-in's browser step; other commands read it at
      // their first request (`token` with a valid token makes none).
      if (access === "signin") await loadCaCerts(networkFromEnv(envReader));
      // Commands that write keep a log for support; `--verbose` mirrors it to stderr.
      const trace = new LoginLog(
        access !== "read" ? logFilePath(codexHome) : undefined,
        values.verbose === true ? log : undefined,
        help.name === "login",
      );
      setActiveLog(trace);
      trace.event("command", { name: help.name, codex_home: codexHome });
      const { store, note } = await openCredentialStore(codexHome, settings);
      if (note) log?.(note);
      return { codexHome, settings, store, trace };
    },
  };
}

/** A command: its help page (with its options) and what it runs. */
export interface Command {
  /** The help page; `help.options` are the flags it takes besides the shared ones. */
  help: CommandHelp;
  /** Run it; resolves to the exit code, `undefined` when `--help` was asked for. */
  run(args: string[], io: CliIo): Promise<number | undefined>;
}
