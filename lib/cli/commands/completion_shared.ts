/**
 * What every completion script is made from: the commands as completion sees them, the
 * config keys `-c` completes, and each command's options flattened (every spelling, what its
 * value completes to, its help on one line).
 *
 * What an option's value completes to comes from its placeholder in the table: `DIR`
 * directories, `FILE` or `PATH` file names, `K=V` the config.toml keys codex-login honours
 * (then their values); anything else completes to nothing.
 *
 * @module
 */

import type { FlagSpec } from "../args.ts";

/** A command as completion sees it: its name, one line, its options and its argument. */
export interface CompletedCommand {
  /** The command's name. */
  name: string;
  /** What it does, in one line. */
  summary: string;
  /** Every option it takes (its own and the shared ones). */
  options: FlagSpec;
  /** The values its one argument may take (`completion`: the shells); none: it takes none. */
  choices?: readonly string[];
}

/** The shells a script can be made for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** A shell a script can be made for. */
export type Shell = (typeof SHELLS)[number];

/** The config.toml keys codex-login honours, with the values each accepts. */
export { CONFIG_KEYS } from "../../store/config.ts";

/** What an option's value completes to. */
export type ValueKind = "dir" | "file" | "config" | "value";

/** One option, flattened for the scripts. */
export interface Flag {
  /** `--name` or `-x`. */
  flag: string;
  /** The other spelling of the same option (`-c` for `--config`), if any. */
  alias?: string;
  /** What its value completes to; undefined: it takes no value. */
  kind?: ValueKind;
  /** The value's placeholder (`DIR`). */
  placeholder: string;
  /** Its help, on one line. */
  help: string;
  /** May be given more than once. */
  multiple: boolean;
}

const WORD = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Names go into the scripts unquoted: refuse any that would need quoting. */
export function word(text: string): string {
  if (!WORD.test(text)) throw new Error(`completion: ${JSON.stringify(text)} is not a plain word`);
  return text;
}

/** What a value completes to, from its placeholder. */
function kindOf(value: string | undefined): ValueKind {
  if (value === "DIR") return "dir";
  if (value === "FILE" || value === "PATH") return "file";
  if (value === "K=V") return "config";
  return "value";
}

/** Help text on one line (a shell shows a description on one). */
export function oneLine(text: string | undefined): string {
  return (text ?? "").replace(/\s+/g, " ").trim();
}

/** Every spelling of every option of a command: `--name`, then `-x` when it has one. */
export function flagsOf(options: FlagSpec): Flag[] {
  return Object.entries(options).flatMap(([name, o]) => {
    const long = `--${word(name)}`;
    const short = o.short ? `-${word(o.short)}` : undefined;
    const common = {
      kind: o.type === "string" ? kindOf(o.value) : undefined,
      placeholder: o.value ?? "VALUE",
      help: oneLine(o.help),
      multiple: o.multiple === true,
    };
    return [
      { flag: long, alias: short, ...common },
      ...(short ? [{ flag: short, alias: long, ...common }] : []),
    ];
  });
}

/** The options every command takes (the shared ones, which may come before the command). */
export function sharedFlags(commands: CompletedCommand[]): Set<string> {
  const all = commands.map((c) => new Set(flagsOf(c.options).map((f) => f.flag)));
  return new Set([...all[0] ?? []].filter((f) => all.every((s) => s.has(f))));
}

/** The command that runs when the line starts with an option. */
export function defaultOf(commands: CompletedCommand[], name: string): CompletedCommand {
  const found = commands.find((c) => c.name === name);
  if (!found) throw new Error(`completion: no default command ${name}`);
  return found;
}

/** Options only the default command takes: one of them before any command makes it the command. */
export function defaultOnly(commands: CompletedCommand[], defaultCommand: string): string[] {
  const shared = sharedFlags(commands);
  return flagsOf(defaultOf(commands, defaultCommand).options).map((f) => f.flag).filter((f) =>
    !shared.has(f)
  );
}
