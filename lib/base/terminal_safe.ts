/**
 * Making text that did not come from us safe to print in one terminal field: no escape
 * sequences (which can clear lines, set the title or write the clipboard with OSC 52), no line
 * breaks (which can forge whole lines), no bidirectional overrides (which can reorder what is
 * shown). Control characters are shown as visible escapes, so nothing is silently hidden.
 *
 * @module
 */

// C0 and C1 controls (ESC, BEL, CR, LF, TAB...), DEL, line/paragraph separators and the
// bidirectional embedding, override and isolate controls.
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` as one safe terminal line: every control shown as `\xNN` (or `\uNNNN`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { safeLine } from "./terminal_safe.ts";
 * assert.equal(safeLine("you@example.com"), "you@example.com");
 * assert.equal(safeLine("a\x1b]52;c;ZXZpbA==\x07b"), "a\\x1b]52;c;ZXZpbA==\\x07b");
 * assert.equal(safeLine("x\nError: forged"), "x\\x0aError: forged");
 * ```
 */
export function safeLine(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * Like {@linkcode safeLine}, but keeps the line breaks of a multi-line text we composed
 * ourselves (each line is made safe on its own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { safeLines } from "./terminal_safe.ts";
 * assert.equal(safeLines("one\ntwo\x1b[2J"), "one\ntwo\\x1b[2J");
 * ```
 */
export function safeLines(text: string): string {
  return text.split("\n").map(safeLine).join("\n");
}

/**
 * `value` as one line of JSON that is safe on a terminal and still valid JSON: every
 * character {@linkcode safeLine} would change (DEL, C1 controls, separators, bidi controls)
 * is written as a `\uNNNN` escape, which JSON readers decode back (lone surrogates are
 * escaped by `JSON.stringify` already).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { safeJson } from "./terminal_safe.ts";
 * const text = safeJson({ email: "a\u009b2J\u007f\ud800@x" });
 * assert.equal(text, '{"email":"a\\u009b2J\\u007f\\ud800@x"}');
 * assert.deepEqual(JSON.parse(text), { email: "a\u009b2J\u007f\ud800@x" });
 * ```
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
