/**
 * The terminal a command writes to: lines for the person on stderr, output for scripts on
 * stdout, an optional status line redrawn in place, and where a secret is read from. Every
 * line goes through `safeLines`, so no escape sequence from an issuer or a file reaches the
 * terminal. What goes to stdout is data for scripts and is never rewritten otherwise.
 *
 * @module
 */

import { safeLines } from "../base/terminal_safe.ts";
import type { SecretSource } from "./secret_input.ts";

/** Where the CLI writes. */
export interface CliIo {
  /** A line for the person (stderr). */
  log: (line: string) => void;
  /** Output for scripts (stdout). */
  out: (text: string) => void;
  /** Where `login --with-api-key` reads the key. */
  stdin?: SecretSource;
  /** A transient status line (a terminal redraws it in place); omitted: none. */
  status?: (text: string) => void;
}

/**
 * The process's own terminal: stderr for the person, stdout for scripts, and a status line
 * when stderr is a terminal (each terminal value keeps its own record of whether a status
 * line is showing, to clear it before the next line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { terminalIo } from "./io.ts";
 * const io = terminalIo();
 * assert.equal(typeof io.log, "function");
 * ```
 */
export function terminalIo(): CliIo {
  const encoder = new TextEncoder();
  let statusShown = false;
  const clearStatus = () => {
    if (statusShown) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
    statusShown = false;
  };
  return {
    log: (line) => {
      clearStatus();
      console.error(safeLines(line));
    },
    out: (text) => console.log(safeLines(text)),
    status: Deno.stderr.isTerminal()
      ? (text) => {
        Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${text}`));
        statusShown = text.length > 0;
      }
      : undefined,
  };
}
