/**
 * The terminal a command writes to: lines for the person on stderr, output for scripts on
 * stdout, an optional status line redrawn in place, and where a secret or a pasted address is
 * read from. Every line goes through `safeLines`, so no escape sequence from an issuer or a
 * file reaches the terminal. What goes to stdout is data for scripts and is never rewritten
 * otherwise.
 *
 * @module
 */

import { safeLines } from "../base/terminal_safe.ts";
import type { SecretSource } from "./secret_input.ts";
import { type LineReader, readTypedLines } from "./typed_lines.ts";

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
  /**
   * On a terminal: read what the person types, line by line, below a status line that keeps
   * being redrawn (see `screen.ts`); omitted where stdin or stderr is not a terminal.
   */
  typeLines?: (onLine: (line: string) => Promise<boolean>, status: string) => LineReader;
}

/**
 * The process's own terminal: stderr for the person, stdout for scripts, and on a terminal a
 * status line (each terminal value keeps its own record of what it shows, to clear it before
 * the next line) and typed lines.
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
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  let statusShown = false;
  let reader: LineReader | undefined;
  const clearStatus = () => {
    if (statusShown) write("\r\x1b[2K");
    statusShown = false;
  };
  const terminal = Deno.stderr.isTerminal();
  return {
    log: (line) => {
      if (reader?.active) return reader.log(safeLines(line));
      clearStatus();
      console.error(safeLines(line));
    },
    out: (text) => console.log(safeLines(text)),
    status: terminal
      ? (text) => {
        if (reader?.active) return reader.status(text);
        write(`\r\x1b[2K${text}`);
        statusShown = text.length > 0;
      }
      : undefined,
    typeLines: terminal && Deno.stdin.isTerminal()
      ? (onLine, status) => {
        clearStatus();
        reader = readTypedLines(write, onLine, status);
        return reader;
      }
      : undefined,
  };
}
