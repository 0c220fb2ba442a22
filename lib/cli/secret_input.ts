/**
 * Reads a secret from standard input: all of it from a pipe, or one line typed at a prompt
 * on a terminal with echo off. The secret is never echoed.
 *
 * @module
 */

import { interrupted } from "../base/errors.ts";

/** Where the secret comes from (replaceable in tests). */
export interface SecretSource {
  /** Whether stdin is a terminal. */
  isTerminal: () => boolean;
  /** Read all of stdin (pipe). */
  readAll: () => Promise<string>;
  /** Read one line with echo off (terminal), after writing `prompt` to stderr. */
  readHidden: (prompt: string) => Promise<string>;
}

/** The longest secret read. */
const MAX_SECRET_BYTES = 64 * 1024;

async function readAllStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of Deno.stdin.readable) {
    total += chunk.byteLength;
    if (total > MAX_SECRET_BYTES) break;
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(Math.min(total, MAX_SECRET_BYTES + 1));
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c.subarray(0, bytes.length - offset), offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** The signals that end a process at a prompt, with the exit code a shell expects. */
const ENDING_SIGNALS: [Deno.Signal, number][] = Deno.build.os === "windows"
  ? [["SIGINT", 130]]
  : [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129], ["SIGQUIT", 131]];

/**
 * While `fn` runs with the terminal in raw mode, a signal that ends the process first gives
 * the terminal its echo back (a killed prompt must never leave the shell without echo).
 */
async function withTerminalRestored<T>(fn: () => Promise<T>): Promise<T> {
  const handlers = ENDING_SIGNALS.map(([signal, code]) => {
    const handler = () => {
      try {
        Deno.stdin.setRaw(false);
        Deno.stderr.writeSync(new TextEncoder().encode("\n"));
      } finally {
        Deno.exit(code);
      }
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  Deno.stdin.setRaw(true);
  try {
    return await fn();
  } finally {
    Deno.stdin.setRaw(false);
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  }
}

async function readHiddenLine(prompt: string): Promise<string> {
  const encoder = new TextEncoder();
  await Deno.stderr.write(encoder.encode(prompt));
  return await withTerminalRestored(() => readRawLine(encoder));
}

async function readRawLine(encoder: TextEncoder): Promise<string> {
  const decoder = new TextDecoder();
  let line = "";
  const buf = new Uint8Array(1024);
  try {
    outer: while (true) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      for (const ch of decoder.decode(buf.subarray(0, n), { stream: true })) {
        if (ch === "\r" || ch === "\n") break outer;
        if (ch === "\u0003") throw interrupted(); // Ctrl-C: exit 130, nothing saved
        if (ch === "\u007f" || ch === "\b") line = line.slice(0, -1);
        else if (ch >= " ") line += ch;
        if (line.length > MAX_SECRET_BYTES) break outer;
      }
    }
  } finally {
    await Deno.stderr.write(encoder.encode("\n"));
  }
  return line;
}

/** The process's stdin. */
export const stdinSource: SecretSource = {
  isTerminal: () => Deno.stdin.isTerminal(),
  readAll: readAllStdin,
  readHidden: readHiddenLine,
};

/**
 * Read a secret: hidden prompt on a terminal, else all of stdin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSecret } from "./secret_input.ts";
 * const piped = { isTerminal: () => false, readAll: () => Promise.resolve("sk-x\n"),
 *   readHidden: () => Promise.reject(new Error("not a terminal")) };
 * assert.equal(await readSecret("Paste your API key: ", piped), "sk-x\n");
 * ```
 */
export async function readSecret(
  prompt: string,
  source: SecretSource = stdinSource,
): Promise<string> {
  return source.isTerminal() ? await source.readHidden(prompt) : await source.readAll();
}
