import assert from "node:assert/strict";
import { boundedLines, MAX_PASTE_LINE, startWaiting } from "../../../lib/cli/commands/waiting.ts";
import type { CliIo } from "../../../lib/cli/io.ts";
import type { LoginSession } from "../../../lib/signin/login_types.ts";

/** A session that never ends, for what the terminal shows while it waits. */
const waiting: LoginSession = {
  authUrl: "https://auth.example/authorize",
  port: 1455,
  redirectUri: "http://127.0.0.1:1455/auth/callback",
  startUrl: "http://127.0.0.1:1455/start/x",
  result: new Promise(() => {}),
  cancel: () => {},
  submitRedirect: () => Promise.resolve({ accepted: false, message: "no" }),
};

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
  const io: CliIo = { log: () => {}, out: () => {}, status: (t) => drawn.push(t) };
  const stop = startWaiting(waiting, io, { timeoutMs: 90_000, pasting: false, quiet: false });
  await new Promise((r) => setTimeout(r, 1100));
  stop();
  assert.ok(drawn.length >= 2, `${drawn.length} draws`);
  assert.match(drawn[0], /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for the browser… 1:(30|29) left$/);
  assert.notEqual(drawn[0][0], drawn[1][0], "the spinner turns");
  assert.equal(drawn.at(-1), "", "cleared when stopped");
  const forever: string[] = [];
  const noLimit: CliIo = { log: () => {}, out: () => {}, status: (t) => forever.push(t) };
  startWaiting(waiting, noLimit, { timeoutMs: 0, pasting: false, quiet: false })();
  assert.match(forever[0], /no time limit$/);
  const quiet: string[] = [];
  const offTerminal: CliIo = { log: (l) => quiet.push(l), out: () => {} };
  startWaiting(waiting, offTerminal, { timeoutMs: 1000, pasting: false, quiet: false })();
  const before = forever.length;
  startWaiting(waiting, noLimit, { timeoutMs: 1000, pasting: false, quiet: true })();
  assert.deepEqual(quiet, [], "off a terminal nothing is drawn");
  assert.equal(forever.length, before, "with --quiet nothing is drawn");
});
