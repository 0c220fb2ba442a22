/**
 * The terminal a command writes to: lines for the person on stderr, output for scripts on
 * stdout, an optional status line redrawn in place, and where a secret is read from. Every
 * line goes through `safeLines`, so no escape sequence from an issuer or a file reaches the
 * terminal, and through `stripUserinfo`, so no password in a URL (a proxy's) is ever shown.
 *
 * @module
 */

import { stripUserinfo } from "../base/redact.ts";
import { safeLines } from "../base/terminal_safe.ts";
import type { SecretSource } from "./secret_input.ts";

/** Where the CLI writes. Defaults to the process's stderr and stdout. */
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

const encoder = new TextEncoder();
let statusShown = false;

function clearStatus(): void {
  if (statusShown) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
  statusShown = false;
}

/** The process's own terminal: stderr for the person, stdout for scripts. */
export const defaultIo: CliIo = {
  log: (line) => {
    clearStatus();
    console.error(safeLines(stripUserinfo(line)));
  },
  out: (text) => console.log(safeLines(stripUserinfo(text))),
  status: Deno.stderr.isTerminal()
    ? (text) => {
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${text}`));
      statusShown = true;
    }
    : undefined,
};
