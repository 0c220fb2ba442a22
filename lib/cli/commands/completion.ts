/**
 * `codex-login completion bash|zsh|fish`: a shell completion script for every command and
 * its options, made from the same option tables the parser reads (so it never lists a flag
 * the command would refuse). Each script finds the command the way the parser does: options
 * before it (and their values) are skipped, and an option only the default command takes
 * makes that the command. The scripts themselves: `completion_bash.ts`, `completion_zsh.ts`,
 * `completion_fish.ts`, from `completion_shared.ts`.
 *
 * Descriptions reach each shell in single quotes (escaped for that shell), so nothing in them
 * is expanded, when the script is loaded or when it completes.
 *
 * @module
 */

import { commandLine } from "../../base/invocation.ts";
import { safeLine } from "../../base/terminal_safe.ts";
import { ExitCode, usageError } from "../../base/errors.ts";
import { parseFlags } from "../args.ts";
import { type Command, type CommandRun, COMMON_OPTIONS } from "../flags.ts";
import { bashScript } from "./completion_bash.ts";
import { zshScript } from "./completion_zsh.ts";
import { fishScript } from "./completion_fish.ts";
import { type CompletedCommand, type Shell, SHELLS } from "./completion_shared.ts";

export { type CompletedCommand, CONFIG_KEYS, type Shell, SHELLS } from "./completion_shared.ts";

/**
 * The completion script for `shell`; `defaultCommand` is the command a line starting with an
 * option runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { completionScript } from "./completion.ts";
 * const script = completionScript("fish", [
 *   { name: "login", summary: "sign in", options: { port: { type: "string", value: "N" } } },
 *   { name: "status", summary: "who", options: { json: { type: "boolean" } } },
 * ], "login");
 * assert.match(script, /-n '__codex_login_using status' -l json/);
 * ```
 */
export function completionScript(
  shell: Shell,
  commands: CompletedCommand[],
  defaultCommand: string,
): string {
  if (shell === "bash") return bashScript(commands, defaultCommand);
  return shell === "zsh"
    ? zshScript(commands, defaultCommand)
    : fishScript(commands, defaultCommand);
}

const help = {
  name: "completion",
  summary: "print a shell completion script (bash, zsh or fish)",
  usage: ["completion bash|zsh|fish"],
  options: {},
  examples: [
    ['eval "$(codex-login completion bash)"', "in ~/.bashrc (or zsh in ~/.zshrc, after compinit)"],
    [
      "codex-login completion fish > ~/.config/fish/completions/codex-login.fish",
      "fish loads it when it first completes codex-login",
    ],
  ],
  notes: [
    "It completes commands, each command's options, directories for --codex-home, the keys",
    "codex-login honours for -c, and the shells here.",
  ],
} satisfies Command["help"];

/** A command of the command table, as completion reads it. */
export interface CommandEntry {
  /** What it does, in one line. */
  summary: string;
  /** The command itself (its option table). */
  load: () => Promise<Command>;
}

/**
 * The `completion` command for a command table (which holds it too): the script lists every
 * command of `table`, with the shared options and its own. `defaultCommand` is the one a line
 * starting with an option runs.
 */
export function completionCommandFor(
  table: Readonly<Record<string, CommandEntry>>,
  defaultCommand: string,
): Command {
  async function run(args: readonly string[], commandRun: CommandRun) {
    const { values, positionals } = parseFlags(args, help.options, COMMON_OPTIONS);
    if (values.help) return undefined;
    const shell = SHELLS.find((s) => s === positionals[0]);
    if (!shell && positionals.length === 1) {
      throw usageError(
        `codex-login has no completion for ${
          safeLine(positionals[0])
        }: it completes in bash, zsh and fish.`,
        `For example, eval "$(${commandLine(["completion", "bash"])})" in ~/.bashrc.`,
      );
    }
    if (!shell || positionals.length !== 1) {
      throw usageError(
        `Say which shell: ${commandLine(["completion", "bash|zsh|fish"])}.`,
        `For example, eval "$(${commandLine(["completion", "bash"])})" in ~/.bashrc.`,
      );
    }
    const commands = await Promise.all(
      Object.entries(table).map(async ([name, entry]) => ({
        name,
        summary: entry.summary,
        options: { ...COMMON_OPTIONS, ...(await entry.load()).help.options },
        choices: name === help.name ? SHELLS : undefined,
      })),
    );
    commandRun.io.out(completionScript(shell, commands, defaultCommand).trimEnd());
    return ExitCode.Ok;
  }
  return { help, run };
}
