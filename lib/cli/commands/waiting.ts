/**
 * What the terminal shows and reads while a browser sign-in waits: the browser's final address
 * pasted on stdin (lines capped while read), and the waiting line (a countdown redrawn in
 * place on a terminal; nothing off one).
 *
 * @module
 */

import type { LoginSession } from "../../signin/login_server.ts";
import { MAX_PASTE_CHARS } from "../../signin/paste.ts";
import type { CliIo } from "../io.ts";
import { spinner, timeLeft } from "../render.ts";

/** How the wait is shown and what it reads. */
export interface WaitOptions {
  /** How long the sign-in waits, ms (0: no limit). */
  timeoutMs: number;
  /** Read pasted addresses (from the terminal, or from a piped stdin). */
  pasting: boolean;
  /** `--quiet`: no status line. */
  quiet: boolean;
}

/**
 * While a browser sign-in waits: on a terminal, one status line redrawn every second (the
 * time left, and that the final address can be pasted), cut to the terminal's width, with
 * what the person types below it; off a terminal, pasted lines read from stdin. Returns the
 * function that stops (and clears) it all.
 */
export function startWaiting(session: LoginSession, io: CliIo, options: WaitOptions): () => void {
  const deadline = options.timeoutMs > 0 ? Date.now() + options.timeoutMs : Infinity;
  let tick = 0;
  const text = () =>
    `${spinner(tick++)} Waiting for the browser… ${timeLeft(deadline - Date.now())}${
      options.pasting ? " · or paste the address it ends on here" : ""
    }`;
  const onLine = async (line: string) => {
    if (!line.trim()) return false;
    const reply = await session.submitRedirect(line);
    io.log(reply.message);
    return reply.accepted;
  };
  const reader = options.pasting && !options.quiet && io.typeLines
    ? io.typeLines(onLine, text())
    : undefined;
  if (options.pasting && !reader) void readPastedAddresses(session, io);
  const draw = reader
    ? () => reader.status(text())
    : io.status && !options.quiet
    ? () => io.status?.(text())
    : undefined;
  if (!draw) return () => reader?.stop();
  if (!reader) draw();
  const id = setInterval(draw, 1000);
  return () => {
    clearInterval(id);
    if (reader) reader.stop();
    else io.status?.("");
  };
}

/** The longest pasted line read; the rest of a longer one is discarded as it arrives. */
export const MAX_PASTE_LINE = MAX_PASTE_CHARS;

/**
 * Split a stream of text into lines of at most `max` characters: an overlong line is
 * reported once (`onOverlong`) and dropped up to its newline, so memory stays bounded
 * whatever is pushed in.
 */
export async function* boundedLines(
  chunks: AsyncIterable<string>,
  max: number,
  onOverlong: () => void,
): AsyncGenerator<string> {
  let buffer = "";
  let discarding = false;
  for await (const chunk of chunks) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (discarding || line.length > max) {
        if (!discarding) onOverlong();
        discarding = false;
        continue;
      }
      yield line;
    }
    if (buffer.length > max) {
      if (!discarding) onOverlong();
      discarding = true;
      buffer = "";
    }
  }
}

/** Feed lines from stdin to the session until one is accepted or the session ends. */
export async function readPastedAddresses(session: LoginSession, io: CliIo): Promise<void> {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  session.result.finally(() => reader.cancel().catch(() => {})).catch(() => {});
  const chunks = {
    async *[Symbol.asyncIterator]() {
      while (true) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    },
  };
  const overlong = () =>
    io.log(
      `That line is longer than ${
        MAX_PASTE_LINE / 1024
      } KiB, so it is not a sign-in address; ignored. Still waiting.`,
    );
  try {
    for await (const line of boundedLines(chunks, MAX_PASTE_LINE, overlong)) {
      if (!line.trim()) continue;
      const reply = await session.submitRedirect(line);
      io.log(reply.message);
      if (reply.accepted) return;
    }
  } catch {
    // stdin closed or cancelled: the loopback callback may still arrive
  } finally {
    reader.releaseLock();
  }
}
