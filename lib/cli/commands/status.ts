/**
 * `codex-login status [--json] [--account ACCOUNT]`: who is signed in (or what a saved account
 * holds); exit 0 when logged in, 1 when not (or when the stored credentials break config.toml's
 * policy, which Codex would log out, or mix two accounts).
 *
 * @module
 */

import {
  formatStatus,
  statusOf,
  type StatusReport,
  statusWithEnvironment,
} from "../../signin/status_report.ts";
import { readEnv } from "../../base/permissions.ts";
import { accountFacts } from "../../signin/account_identity.ts";
import { namedAccount } from "../../signin/saved_session.ts";
import type { SavedAccounts } from "../../store/saved_accounts.ts";
import { savedContext } from "../saved_context.ts";
import { AuthFileError } from "../../store/auth_data.ts";
import type { CliIo } from "../io.ts";
import { safeJson } from "../../base/terminal_safe.ts";
import { ExitCode, LoginError } from "../../base/errors.ts";
import { type Command, commandFlags, type CommandRun, type CommandSetup } from "../flags.ts";

const help = {
  name: "status",
  summary: "who is signed in, how, and until when",
  usage: ["status [--json] [--account ACCOUNT]"],
  options: {
    json: { type: "boolean", help: "print the report as one JSON object" },
    account: {
      type: "string",
      value: "ACCOUNT",
      help: "report on a saved account instead of the active one (see `accounts`)",
    },
  },
  examples: [
    ["codex-login status", "who is signed in, in which mode, when the tokens expire"],
    ["codex-login status --json | jq -r .email", "the same for a script"],
    ["codex-login status -c forced_login_method=chatgpt", "check against a policy"],
    ["codex-login status --account personal", "a saved account, without switching"],
  ],
  notes: [
    "As Codex: a workload identity (OPENAI_FEDERATION_RULE_ID, OPENAI_IDENTITY_TOKEN_*...) or",
    "CODEX_ACCESS_TOKEN in the environment takes over from the stored credentials.",
    "Exit codes: 0 logged in, 1 not logged in (or against config.toml's policy, or the",
    "credentials mix two accounts), 2 unknown ACCOUNT.",
  ],
} satisfies Command["help"];

type Flags = NonNullable<ReturnType<typeof commandFlags<typeof help.options>>>;

/** What to do about credentials from the environment that cannot be used. */
function environmentNext(report: StatusReport): string {
  return report.auth_mode === "workloadIdentity"
    ? "Fix the workload identity's variables, or unset them: Codex reads them before anything stored."
    : "Check CODEX_ACCESS_TOKEN (whole, not expired), or unset it: Codex reads it before anything stored.";
}

/**
 * `status --json`: always one JSON object on stdout, for the script that pipes it into `jq`;
 * when the credentials (or the settings) cannot be read, `logged_in: false` and an `error`
 * with its code and message, and the error on stderr too.
 */
async function jsonStatus(
  flags: Flags,
  io: CliIo,
): Promise<number> {
  try {
    const got = await statusReport(flags, await flags.setup("read"));
    io.out(safeJson(got));
    if (got.error) io.log(`Error checking login status: ${got.error.message}`);
    return usable(got) ? ExitCode.Ok : ExitCode.Failed;
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    io.out(safeJson({
      logged_in: false,
      auth_mode: null,
      auth_file: err instanceof AuthFileError ? err.path : null,
      error: { kind: err.kind, code: err.code, message: err.message },
    }));
    throw err;
  }
}

/**
 * Credentials that break config.toml's policy are as good as gone (Codex logs them out), and
 * so are credentials that mix two accounts.
 */
function usable(report: StatusReport): boolean {
  return report.logged_in && (report.policy_violations ?? []).length === 0 &&
    report.mixed_accounts === undefined;
}

/** The report on the active credentials, or (with `--account`) on a saved account's copy. */
async function statusReport(
  flags: Flags,
  setup: CommandSetup,
): Promise<StatusReport> {
  const ctx = savedContext(setup);
  const query = flags.values.account;
  const named = query === undefined ? undefined : await namedAccount(ctx, query);
  if (named && !named.active) {
    const { entry } = named;
    const where = `the saved copy of ${entry.label} (${ctx.saved.describe(entry)})`;
    return {
      ...statusOf(await ctx.saved.load(entry), where, setup.settings),
      saved_as: entry.label,
    };
  }
  // The active credentials: the environment first, as Codex's `login status` reads it.
  const report = await statusWithEnvironment(setup.store, setup.settings, {
    read: (name) => readEnv(name, false, true),
    client: setup.issuer(15_000),
  });
  // Credentials from the environment are no saved account, whatever auth.json holds.
  if (report.source !== "store") return report;
  const label = named?.entry.label ?? await activeLabel(setup, ctx.saved).catch(() => undefined);
  return label ? { ...report, saved_as: label } : report;
}

/** The label of the saved account the active credentials are, if any. */
async function activeLabel(setup: CommandSetup, saved: SavedAccounts): Promise<string | undefined> {
  const entries = await saved.list();
  if (entries.length === 0) return undefined;
  const active = await setup.store.load();
  if (!active) return undefined;
  const key = (await accountFacts(active)).key;
  return entries.find((e) => e.key === key)?.label;
}

/** Run `status`. Returns the exit code; `undefined` asks the caller to print the usage. */
async function run(args: readonly string[], run: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, run);
  if (!flags) return undefined;
  const { io } = run;
  if (flags.values.json) return await jsonStatus(flags, io);
  const got = await statusReport(flags, await flags.setup("read"));
  if (got.error) {
    // Codex's own words, then what to do about it.
    io.log(`Error checking login status: ${got.error.message}`);
    io.log(environmentNext(got));
    return ExitCode.Failed;
  }
  io.out(formatStatus(got, new Date()));
  return usable(got) ? ExitCode.Ok : ExitCode.Failed;
}

/** `codex-login status`. */
export const statusCommand: Command = { help, run };
