/**
 * `codex-login accounts [--json] [--usage]`: the saved accounts, the active one marked; with
 * `--usage`, each account's 5-hour and weekly windows and credits. `accounts --account ACCOUNT
 * --label NAME` renames one.
 *
 * @module
 */

import { commandLine } from "../../base/invocation.ts";
import { ExitCode, usageError } from "../../base/errors.ts";
import { safeJson, safeLine } from "../../base/terminal_safe.ts";
import { type AccountRow, accountRows, checkLabel, resolveAccount } from "../../signin/accounts.ts";
import { type AccountUsage, usageOfRows, usageUrl, type UsageWindow } from "../../signin/usage.ts";
import { fromNow } from "../../signin/status_report.ts";
import { type Command, commandFlags, type CommandRun, type CommandSetup } from "../flags.ts";
import { savedAccounts } from "../saved_context.ts";

const help = {
  name: "accounts",
  summary: "list the saved accounts (the active one marked *)",
  usage: [
    "accounts [--json] [--usage]         the saved accounts; --usage adds their limits",
    "accounts --account ACCOUNT --label NAME   rename a saved account",
  ],
  options: {
    json: {
      type: "boolean",
      help: "print a JSON array: label, email, account_id, plan, active, ... (never a token)",
    },
    usage: {
      type: "boolean",
      help:
        "also show each account's 5-hour and weekly usage and credits, read from\nChatGPT (chatgpt_base_url) with its saved access token, never refreshed",
    },
    account: { type: "string", value: "ACCOUNT", help: "the account to rename (with --label)" },
    label: { type: "string", value: "NAME", help: "its new label" },
  },
  examples: [
    ["codex-login accounts", "which accounts are saved, and which one Codex uses"],
    ["codex-login accounts --usage", "how much of each account's limits is used"],
    ["codex-login accounts --account b@example.com --label personal", "rename an account"],
  ],
  notes: [
    "ACCOUNT is a label, an email, a workspace id or a user id. Add an account with",
    "`codex-login login --add`, switch with `codex-login switch ACCOUNT`.",
  ],
} satisfies Command["help"];

/** A value from the credentials as one inert cell, cut short. */
function cell(value: string | null | undefined, width = 40): string {
  if (!value) return "-";
  const line = safeLine(value);
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** `in 2 h`, `3 days ago`: how far `iso` is from `now`. */
export function relative(iso: string | null | undefined, now: Date): string {
  return fromNow(iso, now) ?? "-";
}

function notes(row: AccountRow): string {
  return [
    row.saved ? undefined : "not saved yet (switch saves it)",
    row.allowed ? undefined : "not allowed",
    row.mixed ? "mixes two accounts" : undefined,
    row.ended ? `session ended (${row.ended})` : undefined,
    row.codex_may_hold ? "a running Codex may hold it" : undefined,
  ].filter((n) => n).join("; ");
}

function windowText(name: string, w: UsageWindow | null | undefined, now: Date): string {
  if (!w) return `${name}: -`;
  const resets = w.resets_at ? `, resets ${relative(w.resets_at, now)}` : "";
  return `${name}: ${Math.round(w.used_percent)}% used${resets}`;
}

/** One account's usage as a line. */
export function usageLine(usage: AccountUsage, now: Date): string {
  switch (usage.status) {
    case "expired":
      return "usage: expired (its access token has expired; not refreshed to read usage)";
    case "not_chatgpt":
      return "usage: none (not a ChatGPT account)";
    case "failed":
      return `usage: could not be read (${cell(usage.error, 160)})`;
  }
  const credits = usage.credits
    ? usage.credits.unlimited
      ? "credits: unlimited"
      : `credits: ${usage.credits.has_credits ? cell(usage.credits.balance ?? "yes") : "none"}`
    : "credits: -";
  const reached = usage.limit_reached ? " (limit reached)" : "";
  return `${windowText("5-hour", usage.five_hour, now)}; ${
    windowText("weekly", usage.weekly, now)
  }; ${credits}${reached}`;
}

/**
 * The table `accounts` prints (and each account's usage under it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatAccounts } from "./accounts.ts";
 * const row = { label: "work", email: "a@x.com", account_id: "acct_A", user_id: null,
 *   plan: "plus", kind: "chatgpt", last_refresh: null, active: true, saved: true,
 *   allowed: true, codex_may_hold: false, ended: null, mixed: false };
 * assert.match(formatAccounts([row], new Date()), /^\* +work +a@x\.com +acct_A +plus/m);
 * ```
 */
export function formatAccounts(
  rows: readonly AccountRow[],
  now: Date,
  usage?: readonly AccountUsage[],
): string {
  const table = [
    ["", "LABEL", "EMAIL", "WORKSPACE", "PLAN", "LAST REFRESH", "NOTES"],
    ...rows.map((r) => [
      r.active ? "*" : "",
      cell(r.label ?? "(active)", 30),
      cell(r.email),
      cell(r.account_id ?? (r.kind === "chatgpt" ? null : r.kind), 30),
      cell(r.plan, 12),
      relative(r.last_refresh, now),
      notes(r),
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((line) => line[i].length)));
  const lines = table.map((line) =>
    line.map((c, i) => i === line.length - 1 ? c : c.padEnd(widths[i])).join("  ").trimEnd()
  );
  if (!usage) return lines.join("\n");
  return [lines[0], ...lines.slice(1).flatMap((l, i) => [l, `   ${usageLine(usage[i], now)}`])]
    .join("\n");
}

async function rename(setup: CommandSetup, account: string, label: string): Promise<string> {
  checkLabel(label);
  const saved = savedAccounts(setup);
  return await saved.withLock(async (accounts) => {
    const entry = resolveAccount(accounts.list(), account);
    const other = accounts.list().find((e) => e.label === label && e.id !== entry.id);
    if (other) {
      throw usageError(
        `The label ${label} is already ${other.email ?? other.label}'s; nothing was changed.`,
        "Choose another label.",
      );
    }
    await accounts.update({ ...entry, label });
    return entry.label;
  });
}

/** Run `accounts`. Returns the exit code; `undefined` asks the caller to print the help. */
async function run(args: readonly string[], commandRun: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, commandRun);
  if (!flags) return undefined;
  const { io } = commandRun;
  const { values } = flags;
  if ((values.account === undefined) !== (values.label === undefined)) {
    throw usageError(
      "--account and --label go together: they rename a saved account.",
      `For example: ${commandLine(["accounts", "--account", "b@example.com", "--label", "home"])}`,
    );
  }
  if (values.account !== undefined && values.label !== undefined) {
    const setup = await flags.setup("write");
    const old = await rename(setup, values.account, values.label);
    if (!flags.quiet) io.log(`Renamed ${safeLine(old)} to ${values.label}.`);
    return ExitCode.Ok;
  }
  const setup = await flags.setup("read");
  const sources = { store: setup.store, saved: savedAccounts(setup), settings: setup.settings };
  const rows = await accountRows(sources.store, sources.saved, sources.settings);
  const now = new Date();
  const url = values.usage ? usageUrl(setup.settings.chatgptBaseUrl) : undefined;
  const usage = url ? await usageOfRows(rows, sources, { http: setup.http, url, now }) : undefined;
  if (values.json) {
    io.out(safeJson(rows.map((row, i) => usage ? { ...row, usage: usage[i] } : row)));
    return ExitCode.Ok;
  }
  if (rows.length === 0) {
    io.out("No saved accounts, and not logged in.");
    if (!flags.quiet) io.log(`Sign in with \`${commandLine(["login"])}\`.`);
    return ExitCode.Ok;
  }
  io.out(formatAccounts(rows, now, usage));
  if (!rows.some((r) => r.saved) && !flags.quiet) {
    io.log(`Keep another account beside this one with \`${commandLine(["login", "--add"])}\`.`);
  }
  return ExitCode.Ok;
}

/** `codex-login accounts`. */
export const accountsCommand: Command = { help, run };
