/**
 * Run in a pseudo-terminal: read typed lines with the waiting screen until one says `done`
 * (or Ctrl-D), then print what was handed over, as JSON on its own line.
 *
 * @module
 */
import { readTypedLines } from "../../lib/cli/typed_lines.ts";

const got: string[] = [];
const encoder = new TextEncoder();
await new Promise<void>((resolve) => {
  const reader = readTypedLines(
    (text) => Deno.stderr.writeSync(encoder.encode(text)),
    (line) => {
      got.push(line);
      return Promise.resolve(line === "done");
    },
    "waiting for you",
  );
  const poll = setInterval(() => {
    if (!reader.active) {
      clearInterval(poll);
      resolve();
    }
  }, 20);
});
console.log(`LINES ${JSON.stringify(got)}`);
Deno.exit(0);
