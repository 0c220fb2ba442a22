/**
 * A small strict command-line parser: `--name`, `--name=value`, `--name value`, `-x value`,
 * `-xvalue`, repeatable options, positionals and `--`; and the help page of a command, made
 * from the same option table, so a command's help always lists the flags it takes. (No
 * `node:util`: its Node compatibility layer cost about 10 ms of every start-up.)
 *
 * @module
 */

import { usageError } from "../base/errors.ts";
import { commandLine } from "../base/invocation.ts";

/** One option: a string or a boolean, an optional one-letter alias, repeatable or not. */
export interface FlagOption {
  /** A string takes a value; a boolean does not. */
  readonly type: "string" | "boolean";
  /** A one-letter alias (`-h`). */
  readonly short?: string;
  /** May be given more than once (values collected in order). */
  readonly multiple?: boolean;
  /** The value's placeholder in help, e.g. `DIR`. */
  readonly value?: string;
  /** One line (or a few) of help; an option without it is left out of the help page. */
  readonly help?: string;
}

/** The options a command takes, by long name. */
export type FlagSpec = Readonly<Record<string, FlagOption>>;

/** A flag's parsed value. */
export type FlagValue = string | boolean | string[] | undefined;

/** The value one option parses to: a boolean, a string, or (repeatable) a list of strings. */
export type ValueOf<O extends FlagOption> = O["type"] extends "boolean" ? boolean
  : O["multiple"] extends true ? string[]
  : string;

/** The parsed values of a spec, typed from it: each option's value, or undefined when absent. */
export type FlagValues<S extends FlagSpec> = { readonly [K in keyof S]?: ValueOf<S[K]> };

function problem(text: string): never {
  throw usageError(`${text} Run ${commandLine(["--help"])}.`);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/**
 * The known name closest to a mistyped one (at most two edits away, or the only one it
 * starts), for "did you mean …?".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closest } from "./args.ts";
 * assert.equal(closest("no-brower", ["no-browser", "paste"]), "no-browser");
 * assert.equal(closest("stat", ["status", "token"]), "status");
 * assert.equal(closest("zzz", ["status", "token"]), undefined);
 * ```
 */
export function closest(name: string, known: readonly string[]): string | undefined {
  const prefixed = known.filter((k) => name.length >= 3 && k.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function unknownOption(flag: string, known: readonly string[]): never {
  const guess = closest(flag.replace(/^-+/, ""), known);
  problem(`Unknown option ${flag}.${guess ? ` Did you mean --${guess}?` : ""}`);
}

/**
 * Parse `args` against `spec`. Unknown options, a missing value, or a value given to a
 * boolean are usage errors (exit 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "./args.ts";
 * const spec = {
 *   port: { type: "string" as const },
 *   json: { type: "boolean" as const },
 *   config: { type: "string" as const, short: "c", multiple: true },
 * };
 * const { values, positionals } = parseFlags(
 *   ["--port=1455", "-c", "a=1", "-cb=2", "--json", "x"],
 *   spec,
 * );
 * assert.deepEqual(values, { port: "1455", config: ["a=1", "b=2"], json: true });
 * assert.deepEqual(positionals, ["x"]);
 * assert.throws(() => parseFlags(["--bogus"], spec), /Unknown option --bogus/);
 * ```
 */
export function parseFlags<S extends FlagSpec, C extends FlagSpec = Record<never, FlagOption>>(
  args: readonly string[],
  own: S,
  common?: C,
): { values: FlagValues<S> & FlagValues<C>; positionals: string[] } {
  const spec: FlagSpec = { ...common, ...own };
  const values: Record<string, FlagValue> = {};
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  const shorts = new Map(
    Object.entries(spec).filter(([, o]) => o.short).map(([name, o]) => [o.short, name]),
  );
  const set = (name: string, value: string | boolean) => {
    if (!spec[name].multiple) {
      values[name] = value;
      return;
    }
    const list = lists.get(name) ?? [];
    list.push(String(value));
    lists.set(name, list);
    values[name] = list;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (!Object.hasOwn(spec, name)) unknownOption(`--${name}`, Object.keys(spec));
    } else if (arg.startsWith("-") && arg.length > 1) {
      name = shorts.get(arg[1]);
      if (!name) unknownOption(arg.slice(0, 2), []);
      if (arg.length > 2) inline = arg.slice(2).replace(/^=/, "");
    } else {
      positionals.push(arg);
      continue;
    }
    const flag = arg.startsWith("--") ? `--${name}` : `-${arg[1]}`;
    if (spec[name].type === "boolean") {
      if (inline !== undefined) problem(`Option ${flag} does not take a value.`);
      set(name, true);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) problem(`Option ${flag} needs a value.`);
    set(name, value);
  }
  return { values: typedValues<FlagValues<S> & FlagValues<C>>(values), positionals };
}

/**
 * The parsed values as the specs' types say. The parser sets each option only to a value of
 * its own type (`set` above: a boolean for a boolean, a list for a repeatable one, else a
 * string), which is what this one assertion relies on.
 */
function typedValues<T>(values: Record<string, FlagValue>): T {
  return values as T;
}

/** A command's help page: what it does, how it is called, its options, examples. */
export interface CommandHelp {
  /** The command's name (`status`). */
  readonly name: string;
  /** One line: what it does. */
  readonly summary: string;
  /** Usage lines, without the program name (`status [--json]`). */
  readonly usage: readonly string[];
  /** The command's own options (the shared ones are added by the caller). */
  readonly options: FlagSpec;
  /** The arguments it takes besides options, by name (`ACCOUNT`); none when absent. */
  readonly arguments?: readonly string[];
  /** Two or three examples: the command line and what it does. */
  readonly examples: readonly (readonly [string, string])[];
  /** Lines after the examples (exit codes, notes). */
  readonly notes?: readonly string[];
}

function optionLines(spec: FlagSpec): string[] {
  const rows = Object.entries(spec).flatMap(([name, o]) => {
    if (!o.help) return [];
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.value ? ` ${o.value}` : ""}`;
    return [[flag, o.help] as const];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  // One paragraph each: fitHelp breaks it where the page's width needs.
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text.replaceAll("\n", " ")}`);
}

/** The width help pages are written for: the smallest common terminal. */
export const HELP_WIDTH = 80;

/**
 * A help page fitted to `width` columns: a longer line breaks between words, its
 * continuation lines starting under its second column (where a run of two or more spaces
 * ends: an option's or an example's description), else under its own first word. A word
 * longer than the room (a URL) stays whole.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitHelp } from "./args.ts";
 * assert.equal(
 *   fitHelp("  --port N  the loopback port to listen on, 1455 by default", 40),
 *   "  --port N  the loopback port to listen\n            on, 1455 by default",
 * );
 * ```
 */
export function fitHelp(page: string, width = HELP_WIDTH): string {
  return page.split("\n").flatMap((line) => fitLine(line, width)).join("\n");
}

/** The fewest columns a description keeps beside its first column before it goes under it. */
const MIN_ROOM = 24;

function fitLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const column = /^(\s*\S.*?\s{2,})(?=\S)/.exec(line)?.[1].length;
  const lead = line.length - line.trimStart().length;
  const head = column !== undefined && column <= width - MIN_ROOM ? column : lead;
  const indent = " ".repeat(head);
  const [first, ...words] = line.slice(head).split(/ +/);
  const out: string[] = [];
  let current = line.slice(0, head) + first;
  for (const word of words) {
    if (current.length + 1 + word.length > width) {
      out.push(current);
      current = indent + word;
    } else {
      current += ` ${word}`;
    }
  }
  out.push(current);
  return out;
}

/**
 * The help page of a command, its options listed from the same table the parser reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatHelp } from "./args.ts";
 * const page = formatHelp({
 *   name: "status",
 *   summary: "Who is signed in.",
 *   usage: ["status [--json]"],
 *   options: { json: { type: "boolean", help: "print JSON" } },
 *   examples: [["codex-login status --json", "for scripts"]],
 * }, { "codex-home": { type: "string", value: "DIR", help: "the codex home" } });
 * assert.match(page, /^Usage:\n  codex-login status \[--json\]/m);
 * assert.match(page, /--json +print JSON/);
 * assert.match(page, /--codex-home DIR +the codex home/);
 * assert.match(page, /codex-login status --json\n +for scripts/);
 * ```
 */
export function formatHelp(help: CommandHelp, common: FlagSpec = {}): string {
  const lines = [
    `codex-login ${help.name}: ${help.summary}`,
    "",
    "Usage:",
    ...help.usage.map((u) => `  codex-login ${u}`),
    "",
    "Options:",
    ...optionLines({ ...help.options, ...common }),
    "",
    "Examples:",
    ...help.examples.flatMap(([cmd, what]) => [`  ${cmd}`, `      ${what}`]),
  ];
  if (help.notes?.length) lines.push("", ...help.notes);
  return fitHelp(lines.join("\n"));
}
