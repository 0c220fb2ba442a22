/**
 * The bottom of a terminal while a sign-in waits: one status line (cut to the terminal's width,
 * never wrapped, redrawn in place and on resize) and, below it, what the person types or pastes
 * (read in raw mode and echoed here, so a redraw never wipes it, however many rows it wraps to).
 * Lines printed meanwhile appear above both. Enter hands the typed line over; Ctrl-C raises
 * SIGINT (the sign-in's own interrupt); Ctrl-D on an empty line stops reading.
 *
 * @module
 */

/** What the screen draws on. */
export interface ScreenTerminal {
  /** Write text (escape sequences included) to the terminal. */
  write(text: string): void;
  /** The terminal's width in columns. */
  columns(): number;
}

/**
 * `text` cut to fit one row of `columns` (one column left free, so the terminal never wraps it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitRow } from "./screen.ts";
 * assert.equal(fitRow("Waiting for the browser… 9:58 left", 20), "Waiting for the br…");
 * assert.equal(fitRow("short", 80), "short");
 * ```
 */
export function fitRow(text: string, columns: number): string {
  const room = Math.max(1, columns - 1);
  const chars = [...text];
  return chars.length <= room ? text : `${chars.slice(0, room - 1).join("")}…`;
}

/** What a keystroke did. */
export type KeyResult =
  | { kind: "line"; line: string }
  | { kind: "interrupt" }
  | { kind: "eof" };

/** The waiting screen: a status row and the input below it. */
export class WaitingScreen {
  readonly #term: ScreenTerminal;
  readonly #maxInput: number;
  #status = "";
  #input = "";
  /** The width the input was last drawn at. */
  #columns: number;
  #escape = false;

  /**
   * A screen on `term`; call {@linkcode start} to draw it. A line is cut at `maxInput`
   * characters (what is typed past that is dropped as it arrives).
   */
  constructor(term: ScreenTerminal, maxInput = 16 * 1024) {
    this.#term = term;
    this.#maxInput = maxInput;
    this.#columns = term.columns();
  }

  /** What has been typed on the current line. */
  get input(): string {
    return this.#input;
  }

  /** Rows from the first row of the input to the row the cursor is on. */
  #cursorRows(): number {
    const length = [...this.#input].length;
    return length === 0 ? 0 : Math.floor((length - 1) / this.#columns);
  }

  /** Move to the start of the status row and clear it and everything below. */
  #clear(): string {
    return `\x1b[${this.#cursorRows() + 1}A\r\x1b[J`;
  }

  /** Status row, then the input (the cursor ends after it). */
  #draw(): string {
    this.#columns = Math.max(2, this.#term.columns());
    return `${fitRow(this.#status, this.#columns)}\r\n${this.#input}`;
  }

  /** Draw the screen for the first time, below whatever was printed. */
  start(status: string): void {
    this.#status = status;
    this.#term.write(this.#draw());
  }

  /** Redraw the status row in place, leaving the input (and the cursor) where they are. */
  setStatus(status: string): void {
    this.#status = status;
    const up = this.#cursorRows() + 1;
    this.#term.write(
      `\x1b7\x1b[${up}A\r\x1b[2K${fitRow(status, this.#columns)}\x1b8`,
    );
  }

  /** The terminal was resized: draw the screen again on fresh rows at the new width. */
  resized(): void {
    this.#term.write(`\r\n${this.#draw()}`);
  }

  /** Print `line` above the screen, then draw the screen again below it. */
  log(line: string): void {
    this.#term.write(`${this.#clear()}${line.replaceAll("\n", "\r\n")}\r\n${this.#draw()}`);
  }

  /** Take the screen away (status and input), leaving the cursor where it began. */
  stop(): void {
    this.#term.write(this.#clear());
  }

  /** Handle typed text; resolves what it completed, if anything. */
  keys(text: string): KeyResult[] {
    const results: KeyResult[] = [];
    for (const ch of text) {
      const result = this.#key(ch);
      if (result) results.push(result);
    }
    return results;
  }

  #key(ch: string): KeyResult | undefined {
    if (this.#escape) {
      // Skip an escape sequence (arrow keys, function keys) up to its final byte.
      if (/[@-~]/.test(ch) && ch !== "[" && ch !== "O") this.#escape = false;
      return undefined;
    }
    if (ch === "\x1b") {
      this.#escape = true;
      return undefined;
    }
    if (ch === "\x03") return { kind: "interrupt" };
    if (ch === "\x04" && this.#input === "") return { kind: "eof" };
    if (ch === "\r" || ch === "\n") {
      const line = this.#input;
      this.#term.write(`${this.#clear()}`);
      this.#input = "";
      this.#term.write(this.#draw());
      return { kind: "line", line };
    }
    if (ch === "\x7f" || ch === "\b") {
      if (this.#input === "") return undefined;
      const before = this.#clear();
      this.#input = [...this.#input].slice(0, -1).join("");
      this.#term.write(`${before}${this.#draw()}`);
      return undefined;
    }
    if (ch < " " || this.#input.length >= this.#maxInput) return undefined;
    this.#input += ch;
    this.#term.write(ch);
    return undefined;
  }
}
