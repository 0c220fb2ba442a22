import assert from "node:assert/strict";
import { boundedLines, MAX_PASTE_LINE, waitingLine } from "../../../lib/cli/commands/waiting.ts";

Deno.test("pasted lines are capped while read: an overlong line is dropped, the next one counts", async () => {
  const big = "x".repeat(1024 * 1024);
  let chunksYielded = 0;
  async function* chunks() {
    for (let i = 0; i < 64; i++) {
      chunksYielded++;
      yield big; // 64 MiB without a newline
    }
    yield "\nhttp://localhost:1455/auth/callback?code=c&state=s\n";
  }
  const notes: string[] = [];
  const lines: string[] = [];
  for await (const line of boundedLines(chunks(), 16 * 1024, () => notes.push("long"))) {
    lines.push(line);
  }
  assert.equal(chunksYielded, 64);
  assert.deepEqual(notes, ["long"], "said once");
  assert.deepEqual(lines, ["http://localhost:1455/auth/callback?code=c&state=s"]);
});

Deno.test("pasted lines: lines at the limit pass, empty chunks and split lines are joined", async () => {
  async function* chunks() {
    yield "http://127.0.0.1:1455/auth/call";
    yield "";
    yield "back?code=c&state=s\nsecond";
    yield " line\n";
    yield `${"y".repeat(MAX_PASTE_LINE)}\n`;
  }
  const lines: string[] = [];
  let overlong = 0;
  for await (const line of boundedLines(chunks(), MAX_PASTE_LINE, () => overlong++)) {
    lines.push(line);
  }
  assert.deepEqual(lines, [
    "http://127.0.0.1:1455/auth/callback?code=c&state=s",
    "second line",
    "y".repeat(MAX_PASTE_LINE),
  ]);
  assert.equal(overlong, 0);
});

Deno.test("the waiting line: redrawn on a terminal with the time left and the paste hint; nothing off one", async () => {
  const drawn: string[] = [];
  const stop = waitingLine(
    { log: () => {}, out: () => {}, status: (t) => drawn.push(t) },
    90_000,
    true,
  );
  await new Promise((r) => setTimeout(r, 1100));
  stop();
  assert.ok(drawn.length >= 3, `${drawn.length} draws`);
  assert.match(
    drawn[0],
    /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for you to sign in in the browser… 1:(30|29) left · or paste the address the browser ends on here$/,
  );
  assert.notEqual(drawn[0][0], drawn[1][0], "the spinner turns");
  assert.equal(drawn.at(-1), "", "cleared when stopped");
  const forever: string[] = [];
  waitingLine({ log: () => {}, out: () => {}, status: (t) => forever.push(t) }, 0, false)();
  assert.match(forever[0], /no time limit$/);
  const offTerminal = waitingLine({ log: (l) => forever.push(l), out: () => {} }, 1000, true);
  offTerminal();
  assert.equal(forever.length, 2, "off a terminal nothing is drawn");
});
