/**
 * How the command line shows a flow's events: each by its kind and code, never by its text.
 * `--quiet` keeps what the person must act on and warnings; the sign-in URL stands alone on
 * its line; progress is one status line redrawn in place on a terminal, and off a terminal
 * one line a minute (a progress event's text is a phrase: the renderer adds the time left).
 *
 * @module
 */

import { type FlowEvent, type Report, shownWhenQuiet } from "../base/events.ts";
import { commandLine } from "../base/invocation.ts";
import type { CliIo } from "./io.ts";

/**
 * Events whose line the command line composes itself, from their facts, because it names a
 * command the person can type (which only the command line knows how to spell).
 */
const COMPOSED: Record<string, (data: FlowEvent["data"]) => string> = {
  "port.busy": (data) => {
    const wait = `Port ${data?.port} is in use; waiting up to ${
      Math.round(Number(data?.wait_ms ?? 2000) / 1000)
    } s`;
    return data?.next === undefined
      ? `${wait} for it (or sign in with a code instead: ${
        commandLine(["login", "--device-auth"])
      }).`
      : `${wait} before trying port ${data.next}.`;
  },
};

/** The spinner's frames. */
const FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

/** The spinner's frame for the `tick`th redraw. */
export function spinner(tick: number): string {
  return FRAMES[tick % FRAMES.length];
}

/**
 * Time left, for a countdown: `m:ss left`, or `no time limit`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeLeft } from "./render.ts";
 * assert.equal(timeLeft(61_000), "1:01 left");
 * assert.equal(timeLeft(Infinity), "no time limit");
 * ```
 */
export function timeLeft(msLeft: number): string {
  if (!Number.isFinite(msLeft)) return "no time limit";
  const seconds = Math.max(0, Math.round(msLeft / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")} left`;
}

/** How a command shows events. */
export interface RenderOptions {
  /** `--quiet`: only actions and warnings. */
  quiet: boolean;
}

/**
 * A {@linkcode Report} that shows events on `io`.
 *
 * @example `--quiet` decides by kind, whatever the text says
 * ```ts
 * import assert from "node:assert/strict";
 * import { flowEvent } from "../base/events.ts";
 * import { terminalReport } from "./render.ts";
 * const lines: string[] = [];
 * const report = terminalReport({ log: (l) => lines.push(l), out: () => {} }, { quiet: true });
 * report(flowEvent("note", "login.listening", "Warning: looks important"));
 * report(flowEvent("warning", "peer.refused", "Starting local login server"));
 * assert.deepEqual(lines, ["Starting local login server"]);
 * ```
 */
export function terminalReport(io: CliIo, options: RenderOptions): Report {
  let tick = 0;
  let lastMinute = -1;
  const progress = (event: FlowEvent) => {
    const msLeft = Number(event.data?.ms_left ?? Infinity);
    if (io.status) {
      io.status(`${spinner(tick++)} ${event.text}… ${timeLeft(msLeft)}`);
      return;
    }
    const minute = Math.floor(Math.max(0, Math.round(msLeft / 1000)) / 60);
    if (minute === lastMinute) return;
    lastMinute = minute;
    io.log(`${event.text} (${timeLeft(msLeft)}).`);
  };
  return (event) => {
    if (options.quiet && !shownWhenQuiet(event)) return;
    if (event.kind === "progress") return progress(event);
    if (event.code === "login.url") {
      // The URL alone on its line, set apart, so that it can be copied whole.
      io.log("");
      io.log(event.text);
      io.log("");
      return;
    }
    io.log(COMPOSED[event.code]?.(event.data) ?? event.text);
  };
}
