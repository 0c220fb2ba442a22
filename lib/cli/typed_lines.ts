/**
 * Reading what a person types on a terminal while a status line above it keeps being
 * redrawn: stdin in raw mode, each key given to the `WaitingScreen` (screen.ts), each Enter
 * handed to the caller. The terminal is given back as it was when reading stops, and before the
 * process ends on a signal. Ctrl-C raises SIGINT, so it ends a sign-in exactly as a Ctrl-C
 * outside raw mode would.
 *
 * @module
 */

import { WaitingScreen } from "./screen.ts";

/** Typed lines being read. */
export interface LineReader {
  /** Still reading (the screen is up). */
  readonly active: boolean;
  /** Redraw the status line. */
  status(text: string): void;
  /** Print a line above the screen. */
  log(line: string): void;
  /** Stop reading and take the screen away. */
  stop(): void;
}

/** The signals that end the process while the terminal is raw, with a shell's exit codes. */
const ENDING: [Deno.Signal, number][] = [["SIGHUP", 129], ["SIGQUIT", 131]];

/** The terminal's width; 80 where it cannot say (a pty of size 0, as `script` makes). */
function columns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

/**
 * Start reading typed lines: `onLine` gets each line (resolving true when no more are
 * wanted). Returns the reader; it stops by itself on Ctrl-D at an empty line or once `onLine`
 * says so.
 */
export function readTypedLines(
  write: (text: string) => void,
  onLine: (line: string) => Promise<boolean>,
  status: string,
  maxLength = 16 * 1024,
): LineReader {
  const screen = new WaitingScreen({ write, columns }, maxLength);
  let active = true;
  const restore = () => {
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // not a terminal any more
    }
  };
  const onResize = () => active && screen.resized();
  const endings = ENDING.map(([signal, code]) => {
    const handler = () => {
      restore();
      Deno.exit(code);
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGWINCH", onResize);
  const stop = () => {
    if (!active) return;
    active = false;
    screen.stop();
    restore();
    for (const [signal, handler] of endings) Deno.removeSignalListener(signal, handler);
    if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGWINCH", onResize);
  };
  Deno.stdin.setRaw(true);
  screen.start(status);
  void (async () => {
    const buffer = new Uint8Array(4096);
    const decoder = new TextDecoder();
    while (active) {
      const n = await Deno.stdin.read(buffer).catch(() => null);
      if (n === null || !active) break;
      for (const key of screen.keys(decoder.decode(buffer.subarray(0, n), { stream: true }))) {
        if (key.kind === "interrupt") Deno.kill(Deno.pid, "SIGINT");
        else if (key.kind === "eof") return stop();
        else if (await onLine(key.line)) return stop();
      }
    }
  })();
  return {
    get active() {
      return active;
    },
    status: (text) => active && screen.setStatus(text),
    log: (line) => active ? screen.log(line) : console.error(line),
    stop,
  };
}
