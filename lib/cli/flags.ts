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
import { checkHomeSafe } from "../store/home_guard.ts";
import { loadCaCerts, networkFromEnv } from "../issuer/network.ts";
import { logFilePath, LoginLog, setActiveLog } from "../store/login_log.ts";
import { IssuerClient } from "../issuer/issuer.ts";
import { DEFAULT_ISSUER, normalizeIssuer, requireSecureUrl } from "../issuer/issuer_config.ts";
import { ensurePermission, readEnv } from "../base/permissions.ts";

import { type FlagSpec, type FlagValue, parseFlags } from "./args.ts";

export type { FlagSpec, FlagValue };

/** The flags every command takes. */
const COMMON_OPTIONS: FlagSpec = {
  "codex-home": { type: "string" },
  config: { type: "string", short: "c", multiple: true },
  issuer: { type: "string" },
  "client-id": { type: "string" },
  "insecure-issuer": { type: "boolean" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/**
 * A URL flag, normalised (no trailing slash); a usage error for anything but http(s).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUrlFlag } from "./flags.ts";
 * assert.equal(parseUrlFlag("issuer", "https://auth.example.com/"), "https://auth.example.com");
 * assert.throws(() => parseUrlFlag("issuer", "ftp://x"), /must be an http\(s\) URL/);
 * ```
 */
export function parseUrlFlag(name: string, value: string): string {
  try {
    return normalizeIssuer(value);
  } catch {
    throw usageError(`--${name} must be an http(s) URL, got ${JSON.stringify(value)}.`);
  }
}

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

function clientIdFlag(values: Record<string, FlagValue>): string | undefined {
  const clientId = values["client-id"] as string | undefined;
  if (clientId !== undefined && !/^[\x21-\x7e]{1,200}$/.test(clientId)) {
    throw usageError("--client-id must be a non-empty id without spaces.");
  }
  return clientId;
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
  /** `--issuer` (validated) or the default. */
  issuer: string;
  /** `--client-id` (validated), if given. */
  clientId?: string;
  /** `--insecure-issuer`: a plain-http issuer off this machine is accepted. */
  insecure: boolean;
  /**
   * Resolve the codex home (may ask for env access), make sure it can be read (and written,
   * with `write`), then read the settings and open the store. Call after validating flags.
   */
  setup(access: "read" | "write", log?: (line: string) => void): Promise<CommandSetup>;
  /** An issuer client for `--issuer` and `--client-id`, each request within `timeoutMs`. */
  issuerClient(timeoutMs: number, trace?: LoginLog): IssuerClient;
}

/** Network variables are read without a prompt: not granted counts as unset. */
const envReader = (name: string) => readEnv(name);

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Make sure the credentials can be written (and renamed into place) before any network step. */
async function ensureHomeAccess(codexHome: string, access: "read" | "write"): Promise<void> {
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
 * Parse a command's flags: the common ones plus `extra`; no positionals allowed.
 * `undefined` means `--help` was asked for.
 */
export function commandFlags(
  command: string,
  args: string[],
  extra: FlagSpec = {},
): CommandFlags | undefined {
  setActiveLog(undefined);
  const { values, positionals } = parseFlags(args, { ...COMMON_OPTIONS, ...extra });
  if (values.help) return undefined;
  if (positionals.length > 0) {
    throw usageError(
      `Unexpected argument ${
        JSON.stringify(positionals[0])
      } for ${command}. Run codex-login --help.`,
    );
  }
  const issuer = parseUrlFlag("issuer", (values.issuer as string | undefined) ?? DEFAULT_ISSUER);
  const clientId = clientIdFlag(values);
  const insecure = values["insecure-issuer"] === true;
  requireSecureUrl("issuer", issuer, insecure);
  return {
    values,
    issuer,
    clientId,
    insecure,
    issuerClient: (timeoutMs, trace) => new IssuerClient({ issuer, clientId, timeoutMs, trace }),
    async setup(access, log) {
      const codexHome = resolveCodexHome({
        flag: values["codex-home"] as string | undefined,
        env: (name) => readEnv(name, true),
        platform: Deno.build.os,
      });
      await ensureHomeAccess(codexHome, access);
      // Refuse a home others could tamper with before any browser step, not at the save.
      if (access === "write" && await exists(codexHome)) await checkHomeSafe(codexHome);
      const settings = await loadSettings(codexHome, (values.config as string[]) ?? []);
      if (settings.credentialsStore === "keyring") {
        await ensurePermission(
          { name: "ffi" },
          'to reach the keyring (cli_auth_credentials_store = "keyring")',
          'or set cli_auth_credentials_store = "file"',
        );
      }
      // A bad CA bundle is said now, before any browser step.
      if (access === "write") await loadCaCerts(networkFromEnv(envReader));
      // Commands that write keep a log for support; `--verbose` mirrors it to stderr.
      const trace = new LoginLog(
        access === "write" ? logFilePath(codexHome) : undefined,
        values.verbose === true ? log : undefined,
        command === "login",
      );
      setActiveLog(trace);
      trace.event("command", { name: command, codex_home: codexHome });
      const { store, note } = await openCredentialStore(codexHome, settings);
      if (note) log?.(note);
      return { codexHome, settings, store, trace };
    },
  };
}
