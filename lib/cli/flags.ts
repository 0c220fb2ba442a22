/**
 * Flag parsing shared by every subcommand (strict, see `args.ts`), and what every command
 * resolves from its flags, once: the codex home, Codex's settings, the network, the run's
 * outbound client, the login log and the credential store.
 *
 * @module
 */

import { CodexHome, homeUnusable } from "../store/codex_home.ts";
import { loadSettings, type Settings } from "../store/config.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import { openCredentialStore } from "../store/open_store.ts";
import { ensureBinding } from "../store/keyring_binding.ts";
import { usageError } from "../base/errors.ts";
import type { Report } from "../base/events.ts";
import { commandLine } from "../base/invocation.ts";
import { checkHomeSafe, checkLogDirSafe, prepareHome } from "../store/home_guard.ts";
import { Network } from "../issuer/network.ts";
import { HttpClient } from "../issuer/http_client.ts";
import { LoginLog } from "../store/login_log.ts";
import { IssuerClient } from "../issuer/issuer.ts";
import { type IssuerEndpoints, type IssuerInput, resolveIssuer } from "../issuer/issuer_config.ts";
import { COMMON_OPTIONS } from "./common_options.ts";
import { ensurePermission, readEnv } from "../base/permissions.ts";

import type { CliIo } from "./io.ts";
import { terminalReport } from "./render.ts";
import {
  type CommandHelp,
  type FlagSpec,
  type FlagValue,
  type FlagValues,
  formatHelp,
  parseFlags,
} from "./args.ts";

export type { CommandHelp, FlagSpec, FlagValue, FlagValues };

export { COMMON_OPTIONS };

/** The shared options' spec. */
export type CommonOptions = typeof COMMON_OPTIONS;

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

/** One run of the command line: where it writes, and the login log once a command opens one. */
export interface CommandRun {
  /** Where the command writes. */
  readonly io: CliIo;
  /** The login log, set by {@linkcode CommandFlags.setup} (for `Details:` after an error). */
  trace?: LoginLog;
}

/** What a command resolved from its flags and the codex home. */
export interface CommandSetup {
  /** The codex home. */
  readonly home: CodexHome;
  /** config.toml with the `-c` overrides. */
  readonly settings: Settings;
  /** The credential store the settings ask for. */
  readonly store: CredentialStore;
  /** The login log (`$CODEX_HOME/log/codex-login.log` for commands that write). */
  readonly trace: LoginLog;
  /** The run's outbound client (the environment's CA bundle and proxies, logged). */
  readonly http: HttpClient;
  /** The issuer client for `--issuer` and `--client-id`, each request within `timeoutMs`. */
  issuer(timeoutMs: number): IssuerClient;
}

/** What a command does with the codex home: read it, write it, or sign in (create it too). */
export type Access = "read" | "write" | "signin";

/** A command's parsed flags, typed from its options and the shared ones. */
export interface CommandFlags<S extends FlagSpec> {
  /** Every flag's value. */
  readonly values: FlagValues<S> & FlagValues<CommonOptions>;
  /** The arguments besides options (at most as many as `help.arguments` names). */
  readonly positionals: readonly string[];
  /** The issuer's URLs from `--issuer`, `--client-id`, `--api-base`, `--platform-url` and
   * `--insecure-issuer`, resolved once. */
  readonly endpoints: IssuerEndpoints;
  /** `-q/--quiet`: only what the person must act on, and errors. */
  readonly quiet: boolean;
  /** `--verbose`: the login log mirrored to stderr. */
  readonly verbose: boolean;
  /** Where the command's flows report their events (shown as `--quiet` says). */
  readonly report: Report;
  /**
   * Resolve the codex home (may ask for env access), make sure it can be read (and written,
   * with `write`; with `signin`, also that it exists or can be created, is a directory and is
   * writable, before anything opens), then read the settings and open the store. Call after
   * validating flags.
   */
  setup(access: Access): Promise<CommandSetup>;
}

/** Make sure the credentials can be written (and renamed into place) before any network step. */
async function ensureHomeAccess(home: CodexHome, access: Access): Promise<void> {
  if (access === "read") {
    await ensurePermission({ name: "read", path: home.path }, "to read auth.json");
    return;
  }
  const alternative = "pass --codex-home DIR for a directory you can grant";
  await ensurePermission({ name: "write", path: home.path }, "to save auth.json", alternative);
  await ensurePermission(
    { name: "read", path: home.path },
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

/** Resolve everything a command needs from the codex home, in order (see `setup`). */
async function setupFor(
  help: CommandHelp,
  values: FlagValues<CommonOptions>,
  endpoints: IssuerEndpoints,
  access: Access,
  run: CommandRun,
): Promise<CommandSetup> {
  const home = CodexHome.resolve({
    flag: values["codex-home"],
    env: (name) => readEnv(name, true),
    platform: Deno.build.os,
  });
  await ensureHomeAccess(home, access);
  const found = await Deno.stat(home.path).catch((err) =>
    err instanceof Deno.errors.NotFound ? "missing" as const : undefined
  );
  if (typeof found === "object" && !found.isDirectory) {
    throw homeUnusable(home.path, "is not a directory");
  }
  if (found === "missing" && values["codex-home"] === undefined && readEnv("CODEX_HOME")) {
    // Codex refuses such a CODEX_HOME: credentials saved there would be a typo's.
    throw usageError(
      `CODEX_HOME points to "${home.path}", but that path does not exist.`,
      `Create it (mkdir -p -m 700 ${home.path}) or correct CODEX_HOME, then run codex-login again.`,
    );
  }
  // A sign-in checks the home can hold credentials before anything opens, not at the save.
  if (access === "signin") await prepareHome(home);
  // Refuse a home (or log directory) others could tamper with, before any network step.
  if (access !== "read" && (typeof found === "object" || access === "signin")) {
    await checkHomeSafe(home);
    await checkLogDirSafe(home);
  }
  const settings = await loadSettings(home, values.config ?? []);
  if (settings.credentialsStore === "keyring") await ensureBinding();
  const network = Network.fromEnv();
  // A bad CA bundle is said before a sign-in's browser step; other commands read it at
  // their first request (`token` with a valid token makes none).
  if (access === "signin") await network.caCerts();
  // Commands that write keep a log for support; `--verbose` mirrors it to stderr.
  const trace = new LoginLog(
    access !== "read" ? home.logFile : undefined,
    values.verbose === true ? run.io.log : undefined,
    help.name === "login",
  );
  run.trace = trace;
  trace.event("command", { name: help.name, codex_home: home.path });
  const { store, fallback } = await openCredentialStore(home, settings);
  trace.event("store", { kind: store.kind, fallback });
  const http = new HttpClient({ network, trace });
  return {
    home,
    settings,
    store,
    trace,
    http,
    issuer: (timeoutMs) => new IssuerClient({ endpoints, http, timeoutMs }),
  };
}

/**
 * Parse a command's flags: the common ones plus the command's own (`help.options`), and at
 * most as many arguments as `help.arguments` names. The issuer's URLs are resolved here, once, from the common flags and
 * what `issuerFlags` picks from the command's own (login's `--api-base`, `--platform-url`).
 * `undefined` means `--help` was asked for.
 */
export function commandFlags<S extends FlagSpec>(
  help: CommandHelp & { readonly options: S },
  args: readonly string[],
  run: CommandRun,
  issuerFlags?: (values: FlagValues<S> & FlagValues<CommonOptions>) => Pick<
    IssuerInput,
    "apiBase" | "platformUrl"
  >,
): CommandFlags<S> | undefined {
  const { values, positionals } = parseFlags(args, help.options, COMMON_OPTIONS);
  if (values.help) return undefined;
  const allowed = help.arguments?.length ?? 0;
  if (positionals.length > allowed) {
    throw usageError(
      `Unexpected argument ${JSON.stringify(positionals[allowed])} for ${help.name}.`,
      `Run ${commandLine([help.name, "--help"])}.`,
    );
  }
  const endpoints = resolveIssuer({
    issuer: values.issuer,
    clientId: values["client-id"],
    insecure: values["insecure-issuer"] === true,
    ...issuerFlags?.(values),
  });
  const quiet = values.quiet === true;
  const report = terminalReport(run.io, { quiet });
  return {
    values,
    positionals,
    endpoints,
    quiet,
    verbose: values.verbose === true,
    report,
    setup: (access) => setupFor(help, values, endpoints, access, run),
  };
}

/** A command: its help page (with its options) and what it runs. */
export interface Command {
  /** The help page; `help.options` are the flags it takes besides the shared ones. */
  readonly help: CommandHelp;
  /** Run it; resolves to the exit code, `undefined` when `--help` was asked for. */
  run(args: readonly string[], run: CommandRun): Promise<number | undefined>;
}
