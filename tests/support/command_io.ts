/**
 * A command run in-process: a `CliIo` that collects what a command writes (stderr lines for the
 * person, stdout for scripts) and feeds it a secret as if piped.
 *
 * @module
 */

import type { CliIo } from "../../lib/cli/io.ts";

/** What a command wrote. */
export interface CollectingIo extends CliIo {
  /** stderr lines, in order. */
  readonly lines: string[];
  /** stdout texts, in order. */
  readonly outs: string[];
  /** stderr as one text. */
  text(): string;
}

/** An io that collects; `piped`: what stdin holds (a secret read as from a pipe). */
export function collectingIo(piped?: string): CollectingIo {
  const lines: string[] = [];
  const outs: string[] = [];
  return {
    lines,
    outs,
    log: (line) => lines.push(line),
    out: (text) => outs.push(text),
    stdin: piped === undefined ? undefined : {
      isTerminal: () => false,
      readAll: () => Promise.resolve(piped),
      readHidden: () => Promise.reject(new Error("not a terminal")),
    },
    text: () => lines.join("\n"),
  };
}
