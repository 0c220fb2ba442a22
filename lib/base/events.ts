/**
 * What a flow tells the person while it runs, as data: each {@linkcode FlowEvent} has a kind
 * (must they act on it, should they see it, or is it chatter), a stable code, the line(s) for a
 * person, and the facts behind them. Flows only report events; the command line decides how
 * each is shown (`--quiet` keeps `action` and `warning`), and the login log records codes and
 * facts. Nobody selects an event by matching its text.
 *
 * @module
 */

/**
 * - `action`: something the person must act on (the sign-in URL, a device code).
 * - `warning`: something that went wrong or looks wrong, which they should see.
 * - `note`: what is happening; chatter that `--quiet` hides.
 * - `progress`: a transient status (a countdown), redrawn in place on a terminal.
 */
export type EventKind = "action" | "warning" | "note" | "progress";

/** A fact behind an event (for the log and for renderers that need the parts). */
export type EventValue = string | number | boolean;

/** One thing a flow tells the person. */
export interface FlowEvent {
  /** How it matters to the person. */
  readonly kind: EventKind;
  /** A stable code, e.g. `login.url`, `port.fallback`: what renderers and logs branch on. */
  readonly code: string;
  /** The line(s) for a person, composed whole by the flow that reports it. */
  readonly text: string;
  /** The facts behind it (a URL, a port, a uid). */
  readonly data?: Readonly<Record<string, EventValue>>;
}

/** Where a flow reports its events. */
export type Report = (event: FlowEvent) => void;

/**
 * Make an event.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flowEvent } from "./events.ts";
 * const event = flowEvent("note", "port.fallback", "Port 1455 is in use; trying 1457.", {
 *   port: 1455,
 * });
 * assert.equal(event.kind, "note");
 * assert.equal(event.data?.port, 1455);
 * ```
 */
export function flowEvent(
  kind: EventKind,
  code: string,
  text: string,
  data?: Record<string, EventValue>,
): FlowEvent {
  return data === undefined ? { kind, code, text } : { kind, code, text, data };
}

/**
 * Whether `--quiet` shows an event: only what the person must act on, and warnings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flowEvent, shownWhenQuiet } from "./events.ts";
 * assert.equal(shownWhenQuiet(flowEvent("action", "login.url", "any text")), true);
 * assert.equal(shownWhenQuiet(flowEvent("note", "login.listening", "any text")), false);
 * ```
 */
export function shownWhenQuiet(event: FlowEvent): boolean {
  return event.kind === "action" || event.kind === "warning";
}

/**
 * A report that drops everything (for library callers that want no output).
 *
 * @example
 * ```ts
 * import { flowEvent, silent } from "./events.ts";
 * silent(flowEvent("note", "x", "nothing happens"));
 * ```
 */
export const silent: Report = (): void => {};
