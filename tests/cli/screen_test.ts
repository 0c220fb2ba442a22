/**
 * The waiting screen: the status row never wraps, what is typed survives every redraw, and
 * the keys a person presses do what they expect.
 */
import assert from "node:assert/strict";
import { fitRow, WaitingScreen } from "../../lib/cli/screen.ts";

/** A terminal that keeps what was written, at a width a test can change. */
function terminal(width: number) {
  const written: string[] = [];
  const term = { width, write: (t: string) => written.push(t), columns: () => term.width };
  return { term, written, text: () => written.join("") };
}

Deno.test("fitRow: a row is cut to one column less than the width, with an ellipsis", () => {
  assert.equal(fitRow("abcdef", 80), "abcdef");
  assert.equal(fitRow("abcdef", 6), "abcd…", "never reaches the last column");
  assert.equal([...fitRow("⠋ Waiting for the browser… 9:58 left", 20)].length, 19);
  assert.equal(fitRow("abc", 0), "…", "a width of 0 still gives one character");
});

Deno.test("screen: typed text is echoed, Enter hands the line over and starts a fresh one", () => {
  const t = terminal(80);
  const screen = new WaitingScreen(t.term);
  screen.start("waiting");
  assert.deepEqual(screen.keys("http://x"), []);
  assert.equal(screen.input, "http://x");
  assert.deepEqual(screen.keys("/cb\r"), [{ kind: "line", line: "http://x/cb" }]);
  assert.equal(screen.input, "");
  assert.match(t.text(), /^waiting\r\nhttp:\/\/x\/cb/);
});

Deno.test("screen: backspace edits, arrows and controls are ignored, Ctrl-C and Ctrl-D end", () => {
  const screen = new WaitingScreen(terminal(80).term);
  screen.start("s");
  screen.keys("abx\x7fc\x1b[D\x1b[C\x01");
  assert.equal(screen.input, "abc", "backspace removed x; arrows and Ctrl-A typed nothing");
  assert.deepEqual(screen.keys("\x04"), [], "Ctrl-D with text is not the end");
  assert.deepEqual(screen.keys("\x03"), [{ kind: "interrupt" }]);
  screen.keys("\r");
  assert.deepEqual(screen.keys("\x04"), [{ kind: "eof" }], "Ctrl-D on an empty line is");
});

Deno.test("screen: a paste longer than the limit is cut, not grown without bound", () => {
  const screen = new WaitingScreen(terminal(80).term, 10);
  screen.start("s");
  screen.keys("x".repeat(25));
  assert.equal(screen.input, "x".repeat(10));
});

Deno.test("screen: a status redraw keeps the typed text; a line logged meanwhile goes above", () => {
  const t = terminal(10);
  const screen = new WaitingScreen(t.term);
  screen.start("first status that is long");
  screen.keys("abcdefghijklmnopqrstu"); // 21 characters: three rows at 10 columns
  const before = t.written.length;
  screen.setStatus("second status that is long");
  const redraw = t.written.slice(before).join("");
  // deno-lint-ignore no-control-regex
  assert.match(redraw, /^\x1b7\x1b\[3A\r\x1b\[2Ksecond s…\x1b8$/, "up 3 rows, one row, back");
  screen.log("Note: something");
  assert.match(t.text(), /Note: something\r\nsecond s…\r\nabcdefghijklmnopqrstu$/);
  assert.equal(screen.input, "abcdefghijklmnopqrstu");
});

Deno.test("screen: a resize draws again at the new width", () => {
  const t = terminal(80);
  const screen = new WaitingScreen(t.term);
  screen.start("a status of thirty characters.");
  t.term.width = 12;
  screen.resized();
  assert.match(t.text(), /\r\na status o…\r\n$/);
});
