/**
 * A small strict command-line parser: `--name`, `--name=value`, `--name value`, `-x value`,
 * `-xvalue`, repeatable options, positionals and `--`. It replaces `node:util`'s `parseArgs`,
 * whose Node compatibility layer cost about 10 ms of every start-up (docs/benchmarks.md).
 *
 * @module
 */

import { usageError } from "../base/errors.ts";

/** One option: a string or a boolean, an optional one-letter alias, repeatable or not. */
export interface FlagOption {
  /** A string takes a value; a boolean does not. */
  type: "string" | "boolean";
  /** A one-letter alias (`-h`). */
  short?: string;
  /** May be given more than once (values collected in order). */
  multiple?: boolean;
}

/** The options a command takes, by long name. */
export type FlagSpec = Record<string, FlagOption>;

/** A flag's parsed value. */
export type FlagValue = string | boolean | string[] | undefined;

function problem(text: string): never {
  throw usageError(`${text} Run codex-login --help.`);
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
export function parseFlags(
  args: string[],
  spec: FlagSpec,
): { values: Record<string, FlagValue>; positionals: string[] } {
  const values: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  const shorts = new Map(
    Object.entries(spec).filter(([, o]) => o.short).map(([name, o]) => [o.short, name]),
  );
  const set = (name: string, value: string | boolean) => {
    const option = spec[name];
    if (option.multiple) values[name] = [...(values[name] as string[] ?? []), String(value)];
    else values[name] = value;
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
      if (!Object.hasOwn(spec, name)) problem(`Unknown option --${name}.`);
    } else if (arg.startsWith("-") && arg.length > 1) {
      name = shorts.get(arg[1]);
      if (!name) problem(`Unknown option ${arg.slice(0, 2)}.`);
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
  return { values, positionals };
}
