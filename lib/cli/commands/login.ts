/**
 * `codex-login [login]`: sign in with the browser (loopback callback, or the address pasted
 * back), with a device code (`--device-auth`), or save an API key (`--with-api-key`). Holds
 * the words a person sees around a sign-in: remote-machine help, paste replies, the device
 * countdown and the closing lines.
 *
 * @module
 */

import { commandLine } from "../../base/invocation.ts";
import { openBrowser } from "../browser_opener.ts";
import type { CliIo } from "../io.ts";
import { EXIT_CODE_SUMMARY, ExitCode, usageError } from "../../base/errors.ts";
import type { FlowEvent, Report } from "../../base/events.ts";
import { methodRefusal } from "../../signin/policy.ts";
import { safeLine } from "../../base/terminal_safe.ts";
import { type LoginResult, startLogin } from "../../signin/login_server.ts";
import {
  DEFAULT_LOGIN_TIMEOUT_MS,
  DEVICE_TIMEOUT_MS,
  type LoginRequest,
} from "../../signin/login_types.ts";
import { DEFAULT_PORT } from "../../loopback/port_claim.ts";
import { accountKeeper } from "../../signin/account_keeper.ts";
import { checkLabel } from "../../signin/accounts.ts";
import { detectCodex } from "../../signin/codex_running.ts";
import type { CredentialStore } from "../../store/credential_store.ts";
import { savedAccounts } from "../saved_context.ts";
import { startWaiting } from "./waiting.ts";
import {
  type Command,
  commandFlags,
  type CommandRun,
  type CommandSetup,
  parseIntegerFlag,
} from "../flags.ts";

const help = {
  name: "login",
  summary: "sign in to ChatGPT for the Codex CLI (the default command)",
  usage: [
    "[login] [options]               sign in with your browser",
    "login --device-auth             sign in with a one-time code on any device",
    "login --with-api-key < key.txt  save an API key (prompted, not echoed, on a terminal)",
    "login --with-access-token       save a personal access token (read as --with-api-key)",
    "login --add [--label NAME]      sign in another account and keep this one (any way above)",
  ],
  options: {
    add: {
      type: "boolean",
      help:
        "keep the account signed in now in your saved accounts (not signed out);\nthe new one becomes the one Codex uses (see `accounts`, `switch`)",
    },
    label: {
      type: "string",
      value: "NAME",
      help: "the new account's label in your saved accounts (default: its email)",
    },
    "no-browser": { type: "boolean", help: "do not open a browser; open the printed URL yourself" },
    paste: {
      type: "boolean",
      help:
        "also accept the browser's final address pasted on stdin\n(always on when stdin is a terminal)",
    },
    "device-auth": {
      type: "boolean",
      help:
        "sign in with a code entered on any device (no loopback);\n--timeout defaults to 900 s here",
    },
    "with-api-key": { type: "boolean", help: "read an API key from stdin instead of signing in" },
    "with-access-token": {
      type: "boolean",
      help:
        "read a personal access token (at-...) from stdin; checked with\nthe issuer, then saved as Codex 0.169 does",
    },
    port: {
      type: "string",
      value: "N",
      help:
        `loopback port (default ${DEFAULT_PORT}, or 1457 when it is taken; 0 picks\na free one; an explicit port never falls back)`,
    },
    timeout: {
      type: "string",
      value: "SECONDS",
      help: "give up after this long (default 600, at most 86400; 0 waits forever)",
    },
    "api-base": {
      type: "string",
      value: "URL",
      help:
        "API base for credit redemption (default derived from an\nOpenAI issuer; other issuers: no redemption without it)",
    },
    "platform-url": {
      type: "string",
      value: "URL",
      help: "platform site for org setup (default derived from an OpenAI issuer)",
    },
    version: { type: "boolean", short: "V" },
  },
  examples: [
    ["codex-login", "open the browser, sign in, save the credentials for Codex"],
    [
      "codex-login login --no-browser",
      "on a remote machine: open the URL anywhere, paste the final address back",
    ],
    ["codex-login login --device-auth", "no browser here at all: enter a code on your phone"],
    ["codex-login login --add --label personal", "a second account beside the first"],
  ],
  notes: [`Exit codes: ${EXIT_CODE_SUMMARY}.`],
} satisfies Command["help"];

/**
 * Where the browser cannot reach this machine, the ways out; printed just before the URL, so
 * that the URL is the last thing on screen while the sign-in waits, whatever the width.
 */
function remoteHelp(io: CliIo, event: FlowEvent, pasting: boolean): void {
  const port = Number(event.data?.port ?? 1455);
  const callback = String(event.data?.redirect_uri ?? "");
  io.log("If this machine's browser cannot be used (SSH, WSL, a container):");
  io.log(
    pasting
      ? `  - paste here the address the browser ends on (${callback}?code=…),`
      : `  - run ${commandLine(["login", "--paste"])} and paste the address the browser ends on,`,
  );
  io.log(`  - or forward the port first: ssh -L ${port}:127.0.0.1:${port} <this host>,`);
  io.log(`  - or sign in with a code: ${commandLine(["login", "--device-auth"])}`);
}

/**
 * The sign-in's report as `login` shows it: before the URL, the ways out for a remote machine;
 * with `--quiet`, the URL alone on stdout (so `url=$(codex-login -q …)` works) and nothing else
 * there.
 */
function loginReport(base: Report, io: CliIo, quiet: boolean, pasting: boolean): Report {
  return (event) => {
    if (event.code === "login.url" && quiet) return io.out(event.text);
    if (event.code === "login.url_intro" && !quiet) remoteHelp(io, event, pasting);
    base(event);
  };
}

/** The longest `--timeout`: 24 hours (a longer wait is a mistake, and overflows timers). */
const MAX_TIMEOUT_S = 86_400;

/**
 * Refuse a way of signing in that config.toml forbids, then read its secret without echo.
 * Loaded only for these ways of signing in, off the browser sign-in's start-up path.
 */
async function pasteSecret(
  setup: CommandSetup,
  io: CliIo,
  method: "api" | "access_token",
  what: string,
): Promise<string> {
  const refusal = methodRefusal(setup.settings, method);
  if (refusal) throw refusal;
  const { readSecret, stdinSource } = await import("../secret_input.ts");
  return await readSecret(`Paste your ${what} (input is hidden): `, io.stdin ?? stdinSource);
}

/** The saved accounts' keeper of a sign-in, when there is a list or `--add` asks for one. */
type Keeper = ReturnType<typeof accountKeeper>;

/** `store`, with saves going through the keeper (API keys and access tokens join the list). */
function keptStore(store: CredentialStore, keeper: Keeper | undefined): CredentialStore {
  if (!keeper) return store;
  return {
    kind: store.kind,
    home: store.home,
    describe: () => store.describe(),
    load: () => store.load(),
    save: async (data) => {
      await keeper.save(store, data);
    },
    remove: () => store.remove(),
    withLock: (fn) => store.withLock(fn),
  };
}

/**
 * The keeper for this sign-in: with `--add`, or once accounts are saved (then every sign-in
 * joins the list and never signs a saved account out). Whether a Codex runs is looked at once,
 * from now on (lsof can take a second: the sign-in URL does not wait for it, only the save
 * does): a kept account is marked when one does.
 */
async function keeperFor(
  setup: CommandSetup,
  report: Report,
  add: boolean,
  label: string | undefined,
): Promise<Keeper | undefined> {
  const saved = savedAccounts(setup);
  if (!add && (await saved.list()).length === 0) {
    if (label === undefined) return undefined;
    throw usageError(
      "--label names an account in your saved accounts, and none is saved yet.",
      `Keep this one and add another with \`${
        commandLine(["login", "--add", "--label", label])
      }\`.`,
    );
  }
  const keeper = detectCodex(setup.home, setup.settings).then((codexSeen) =>
    accountKeeper({ saved, settings: setup.settings, add, label, codexSeen, report })
  );
  keeper.catch(() => {}); // a sign-in that ends before its save never asks
  return {
    save: async (store, auth) => await (await keeper).save(store, auth),
  };
}

async function apiKeyLogin(
  setup: CommandSetup,
  io: CliIo,
  quiet: boolean,
  keeper: Keeper | undefined,
): Promise<number> {
  const key = await pasteSecret(setup, io, "api", "OpenAI API key");
  const { saveApiKey } = await import("../../signin/account.ts");
  const warning = await saveApiKey(keptStore(setup.store, keeper), key);
  if (warning) io.log(warning);
  if (!quiet) io.log(`Saved your API key to ${setup.store.describe()}.`);
  return ExitCode.Ok;
}

async function accessTokenLogin(
  setup: CommandSetup,
  io: CliIo,
  quiet: boolean,
  keeper: Keeper | undefined,
): Promise<number> {
  const token = await pasteSecret(setup, io, "access_token", "personal access token");
  const { saveAccessToken } = await import("../../signin/account.ts");
  const who = await saveAccessToken(keptStore(setup.store, keeper), setup.issuer(15_000), token);
  const as = who.email ? ` (${safeLine(who.email)})` : "";
  if (!quiet) io.log(`Saved your personal access token${as} to ${setup.store.describe()}.`);
  return ExitCode.Ok;
}

/** Ctrl-C and SIGTERM abort the sign-in (exit 130) while `fn` runs. */
async function withInterrupts<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    return await fn(interrupt.signal);
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

/** How `login` was asked to run, every flag parsed once. */
interface LoginChoice {
  /** `--port`, undefined: the default with its fallback. */
  port?: number;
  /** How long to wait, ms (0: forever). */
  timeoutMs: number;
  /** Open the browser (not `--no-browser`). */
  openBrowser: boolean;
  /** Read pasted addresses from stdin. */
  paste: boolean;
  /** Report each request the server answers. */
  verbose: boolean;
  /** `--quiet`: only what the person must act on (the URL, the code) and errors. */
  quiet: boolean;
}

/**
 * `ss` (Linux) or `lsof` (macOS) tells who connects to the loopback server (other users are
 * turned away). Not granted yet: ask at Deno's prompt when there is a terminal; otherwise the
 * sign-in goes on and says once that it cannot check.
 */
function askForPeerCheck(): void {
  const tool = Deno.build.os === "linux" ? "ss" : Deno.build.os === "darwin" ? "lsof" : undefined;
  if (!tool || !Deno.stdin.isTerminal()) return;
  const descriptor = { name: "run", command: tool } as const;
  if (Deno.permissions.querySync(descriptor).state === "prompt") {
    Deno.permissions.requestSync(descriptor);
  }
}

async function browserLogin(
  choice: LoginChoice,
  request: LoginRequest,
  deps: { http: CommandSetup["http"] },
  io: CliIo,
): Promise<LoginResult> {
  askForPeerCheck();
  const pasting = choice.paste || Deno.stdin.isTerminal();
  const session = await startLogin({
    ...request,
    report: request.report && loginReport(request.report, io, choice.quiet, pasting),
    port: choice.port,
    openBrowser: choice.openBrowser ? (url) => openBrowser(url) : undefined,
    verbose: choice.verbose,
  }, deps);
  const stop = startWaiting(session, io, {
    timeoutMs: choice.timeoutMs,
    pasting,
    quiet: choice.quiet,
  });
  try {
    return await session.result;
  } finally {
    stop();
  }
}

/** The login modes that exclude each other. */
const MODES = ["with-api-key", "with-access-token", "device-auth", "paste"] as const;

function choose(
  values: NonNullable<ReturnType<typeof parse>>["values"],
  quiet: boolean,
): LoginChoice {
  const device = values["device-auth"] === true;
  const defaultMs = device ? DEVICE_TIMEOUT_MS : DEFAULT_LOGIN_TIMEOUT_MS;
  return {
    port: values.port === undefined ? undefined : parseIntegerFlag("port", values.port, 65535),
    timeoutMs: values.timeout === undefined
      ? defaultMs
      : 1000 * parseIntegerFlag("timeout", values.timeout, MAX_TIMEOUT_S),
    openBrowser: values["no-browser"] !== true,
    paste: values.paste === true,
    verbose: values.verbose === true,
    quiet,
  };
}

function parse(args: readonly string[], run: CommandRun) {
  return commandFlags(help, args, run, (values) => ({
    apiBase: values["api-base"],
    platformUrl: values["platform-url"],
  }));
}

/** Run `login`. Returns the exit code; `undefined` asks the caller to print the help. */
async function run(args: readonly string[], commandRun: CommandRun): Promise<number | undefined> {
  const flags = parse(args, commandRun);
  if (!flags) return undefined;
  const { io } = commandRun;
  const { values } = flags;
  const modes = MODES.filter((m) => values[m]);
  if (modes.length > 1) {
    throw usageError(
      `--${modes[0]} and --${modes[1]} cannot be used together.`,
      `Run ${commandLine(["login", "--help"])}.`,
    );
  }
  const label = values.label === undefined ? undefined : checkLabel(values.label);
  const add = values.add === true;
  if (values["with-api-key"] || values["with-access-token"]) {
    const setup = await flags.setup("signin");
    const keeper = await keeperFor(setup, flags.report, add, label);
    return values["with-api-key"]
      ? await apiKeyLogin(setup, io, flags.quiet, keeper)
      : await accessTokenLogin(setup, io, flags.quiet, keeper);
  }
  const device = values["device-auth"] === true;
  const choice = choose(values, flags.quiet);
  const setup = await flags.setup("signin");
  const refusal = methodRefusal(setup.settings, "chatgpt");
  if (refusal) throw refusal;
  const keeper = await keeperFor(setup, flags.report, add, label);
  const deviceLogin = device
    ? (await import("../../signin/device_auth.ts")).deviceLogin
    : undefined;
  const result = await withInterrupts((signal) => {
    const request = {
      home: setup.home,
      endpoints: flags.endpoints,
      store: setup.store,
      settings: setup.settings,
      trace: setup.trace,
      report: flags.report,
      timeoutMs: choice.timeoutMs,
      signal,
      keeper,
    };
    const deps = { http: setup.http };
    return deviceLogin ? deviceLogin(request, deps) : browserLogin(choice, request, deps, io);
  });
  const who = result.email ? ` as ${safeLine(result.email)}` : "";
  if (flags.quiet) return ExitCode.Ok;
  io.log(`Successfully logged in${who}. Credentials saved to ${result.authFile}.`);
  if (result.needsSetup) {
    io.log(
      result.setupLinkOffered && !device
        ? "Finish setting up your API organization in the browser page that opened."
        : "Finish setting up your API organization on the platform site (Settings > Billing).",
    );
  }
  return ExitCode.Ok;
}

/** `codex-login login`, the default command. */
export const loginCommand: Command = { help, run };
