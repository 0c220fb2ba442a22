/**
 * `codex-login switch ACCOUNT [--force]`: make a saved account the one Codex reads, after
 * saving the current one's tokens (as last rotated, by us or by Codex) into its copy.
 *
 * @module
 */

import { commandLine } from "../../base/invocation.ts";
import { ExitCode, LoginError } from "../../base/errors.ts";
import { safeLine } from "../../base/terminal_safe.ts";
import { describeEntry } from "../../signin/accounts.ts";
import { processList } from "../../signin/codex_running.ts";
import { switchAccount } from "../../signin/switch.ts";
import { type Command, commandFlags, type CommandRun } from "../flags.ts";
import { askForLsof, savedContext } from "../saved_context.ts";

const help = {
  name: "switch",
  summary: "make a saved account the one Codex uses",
  usage: ["switch ACCOUNT [--force]"],
  arguments: ["ACCOUNT"],
  options: {
    force: {
      type: "boolean",
      help:
        "switch even while Codex runs on this codex home (or when that cannot be\ntold): it keeps using the old account until restarted",
    },
  },
  examples: [
    ["codex-login switch work", "Codex now uses the account labelled work"],
    ["codex-login switch b@example.com", "name it by its email (or workspace id)"],
  ],
  notes: [
    "ACCOUNT is a label, an email, a workspace id or a user id (see `codex-login accounts`);",
    "unknown or ambiguous: exit 2, nothing changed. The switch is refused while Codex runs on",
    "this codex home (seen with lsof); quit it first, or pass --force.",
  ],
} satisfies Command["help"];

/** Run `switch`. Returns the exit code; `undefined` asks the caller to print the help. */
async function run(args: readonly string[], commandRun: CommandRun): Promise<number | undefined> {
  const flags = commandFlags(help, args, commandRun);
  if (!flags) return undefined;
  const { io } = commandRun;
  const account = flags.positionals[0];
  if (account === undefined) {
    throw new LoginError("usage", {
      what: "Say which account to switch to.",
      next: `For example \`${commandLine(["switch", "work"])}\`; \`${
        commandLine(["accounts"])
      }\` lists them.`,
    });
  }
  const setup = await flags.setup("write");
  askForLsof();
  const ctx = savedContext(setup);
  const outcome = await switchAccount({
    store: setup.store,
    saved: ctx.saved,
    settings: setup.settings,
    account,
    force: flags.values.force === true,
  }, { detect: ctx.detect });
  setup.trace.event("switch", {
    to: outcome.to.id,
    from: outcome.from?.id,
    adopted: outcome.adopted,
    already: outcome.already,
    codex: outcome.codex.state,
  });
  if (outcome.already) {
    if (!flags.quiet) io.log(`${describeEntry(outcome.to)} is the active account already.`);
    return ExitCode.Ok;
  }
  if (outcome.codex.state !== "none") {
    const seen = outcome.codex.state === "running"
      ? `Codex (${processList(outcome.codex.processes)}) keeps using ${
        safeLine(outcome.from?.label ?? "the previous account")
      } until it restarts.`
      : `codex-login could not tell whether Codex runs here (${outcome.codex.reason}); a running one keeps the previous account until it restarts.`;
    io.log(`Warning: switched with --force. ${seen}`);
  }
  if (flags.quiet) return ExitCode.Ok;
  if (outcome.from) {
    io.log(
      `${outcome.adopted ? "Added" : "Saved"} ${safeLine(outcome.from.label)} to your accounts${
        outcome.adopted ? " (it was not saved yet)" : ""
      }.`,
    );
  }
  io.log(`Switched to ${describeEntry(outcome.to)}: Codex now uses ${setup.store.describe()}.`);
  return ExitCode.Ok;
}

/** `codex-login switch`. */
export const switchCommand: Command = { help, run };
