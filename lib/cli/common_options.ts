/**
 * The flags every command takes (their own module, light enough for the dispatcher to read
 * before any command is loaded), and where the command's name is on a command line that may
 * start with them.
 *
 * @module
 */

import type { FlagSpec } from "./args.ts";
import { DEFAULT_CLIENT_ID, DEFAULT_ISSUER } from "../issuer/issuer_config.ts";

/** The flags every command takes. */
export const COMMON_OPTIONS = {
  "codex-home": {
    type: "string",
    value: "DIR",
    help: "where the credentials live (default: $CODEX_HOME, else ~/.codex)",
  },
  config: {
    type: "string",
    short: "c",
    multiple: true,
    value: "K=V",
    help: "override a config.toml key, as `codex -c` (repeatable)",
  },
  issuer: { type: "string", value: "URL", help: `OAuth issuer (default ${DEFAULT_ISSUER})` },
  "client-id": {
    type: "string",
    value: "ID",
    help: `OAuth client id (default ${DEFAULT_CLIENT_ID})`,
  },
  "insecure-issuer": {
    type: "boolean",
    help: "accept a plain http:// issuer that is not on this machine",
  },
  verbose: { type: "boolean", help: "mirror the login log to stderr" },
  quiet: {
    type: "boolean",
    short: "q",
    help: "print only what you must act on (a sign-in URL or code) and errors",
  },
  help: { type: "boolean", short: "h", help: "show this help" },
} as const satisfies FlagSpec;

/**
 * Where the command's name is in `args`: shared options (and the value of each that takes
 * one) may come first; the first other word is the command. An option of the default command
 * alone (or nothing) means no name: -1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandIndex } from "./common_options.ts";
 * assert.equal(commandIndex(["--codex-home", "/tmp/x", "status", "--json"]), 2);
 * assert.equal(commandIndex(["-q", "status"]), 1);
 * assert.equal(commandIndex(["--device-auth", "status"]), -1);
 * assert.equal(commandIndex([]), -1);
 * ```
 */
export function commandIndex(args: readonly string[]): number {
  const shorts = new Map<string, string>(
    Object.entries(COMMON_OPTIONS).flatMap(([name, o]) =>
      "short" in o && o.short ? [[o.short, name] as const] : []
    ),
  );
  const spec: FlagSpec = COMMON_OPTIONS;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return -1;
    if (!arg.startsWith("-") || arg === "-") return i;
    const long = arg.startsWith("--");
    const name = long ? arg.slice(2).split("=")[0] : shorts.get(arg[1]);
    if (name === undefined || !Object.hasOwn(spec, name)) return -1; // the default command's
    const inline = long ? arg.includes("=") : arg.length > 2;
    if (spec[name].type === "string" && !inline) i++;
  }
  return -1;
}
