import assert from "node:assert/strict";
import { terminalIo } from "../../lib/cli/io.ts";

/** What `fn` wrote through console.log (stdout) and console.error (stderr). */
function captured(fn: () => void): { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const { log, error } = console;
  console.log = (...args: unknown[]) => stdout.push(args.join(" "));
  console.error = (...args: unknown[]) => stderr.push(args.join(" "));
  try {
    fn();
  } finally {
    console.log = log;
    console.error = error;
  }
  return { stdout, stderr };
}

Deno.test("the terminal: lines for the person on stderr, made safe; data for scripts on stdout, never rewritten", () => {
  const io = terminalIo();
  const { stdout, stderr } = captured(() => {
    io.out("https://user:pw@proxy.corp:3128/x\ttoken\x1b[2J");
    io.log("one\ntwo\x1b]52;c;ZXZpbA==\x07");
  });
  assert.deepEqual(
    stdout,
    ["https://user:pw@proxy.corp:3128/x\\x09token\\x1b[2J"],
    "stdout keeps the data (no URL-credential redaction), escapes made visible",
  );
  assert.deepEqual(
    stderr,
    ["one\ntwo\\x1b]52;c;ZXZpbA==\\x07"],
    "our line breaks kept, escapes not",
  );
  assert.equal(
    io.status === undefined,
    !Deno.stderr.isTerminal(),
    "a status line only on a terminal",
  );
});
