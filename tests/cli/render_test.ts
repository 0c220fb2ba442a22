import assert from "node:assert/strict";
import fc from "fast-check";
import { type EventKind, type FlowEvent, flowEvent } from "../../lib/base/events.ts";
import type { CliIo } from "../../lib/cli/io.ts";
import { spinner, terminalReport, timeLeft } from "../../lib/cli/render.ts";

/** What a fresh terminal report shows for `events`: log lines, and status redraws apart. */
function render(events: FlowEvent[], quiet: boolean, terminal = true): string[] {
  const shown: string[] = [];
  const io: CliIo = {
    log: (line) => shown.push(`log:${line}`),
    out: (text) => shown.push(`out:${text}`),
    status: terminal ? (text) => shown.push(`status:${text}`) : undefined,
  };
  const report = terminalReport(io, { quiet });
  for (const event of events) report(event);
  return shown;
}

/** The sentences the old `--quiet` matched on, so a text-based rule would be caught. */
const OLD_CHATTER = [
  "",
  "Starting local login server on http://127.0.0.1:1455",
  "Note: ",
  "Port 1455 is in use",
  "Stopped ",
  "Refreshing ",
  "If your browser did not open",
  "Open this URL",
  "Only users with",
  "Credit redemption",
  "Warning: ",
  "http://127.0.0.1:1455/oauth/authorize?",
];
const SENTINEL = "\u0001THE-TEXT\u0001";
const KINDS: EventKind[] = ["action", "warning", "note", "progress"];

Deno.test("--quiet (property): what is shown depends on the event's kind and code alone, never its text", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...KINDS),
      fc.constantFrom(
        "login.url",
        "login.listening",
        "device.code",
        "device.waiting",
        "port.fallback",
        "peer.refused",
        "x.y",
      ),
      fc.tuple(fc.constantFrom(...OLD_CHATTER), fc.string()).map(([a, b]) => a + b),
      fc.boolean(),
      fc.boolean(),
      fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }),
      (kind, code, text, quiet, terminal, msLeft) => {
        const data = msLeft === undefined ? undefined : { ms_left: msLeft };
        const actual = render([flowEvent(kind, code, text, data)], quiet, terminal);
        const template = render([flowEvent(kind, code, SENTINEL, data)], quiet, terminal);
        assert.deepEqual(actual, template.map((line) => line.replaceAll(SENTINEL, () => text)));
        if (quiet) {
          assert.equal(actual.length > 0, kind === "action" || kind === "warning", kind);
        } else {
          assert.ok(actual.length > 0, "without --quiet every event is shown");
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("the sign-in URL stands alone on its line; other events are one line each", () => {
  const url = "http://127.0.0.1:1455/oauth/authorize?x=1";
  assert.deepEqual(
    render([
      flowEvent("note", "login.listening", "Starting local login server on http://127.0.0.1:1455"),
      flowEvent("action", "login.url", url),
      flowEvent("warning", "peer.refused", "Warning: another user"),
    ], false),
    [
      "log:Starting local login server on http://127.0.0.1:1455",
      "log:",
      `log:${url}`,
      "log:",
      "log:Warning: another user",
    ],
  );
  assert.deepEqual(render([flowEvent("action", "login.url", url)], true), [
    "log:",
    `log:${url}`,
    "log:",
  ]);
});

Deno.test("progress: a status line redrawn on a terminal; off one, a line a minute", () => {
  const waiting = (ms: number) =>
    flowEvent("progress", "device.waiting", "Waiting for the code to be entered", { ms_left: ms });
  const onTerminal = render([waiting(61_000), waiting(60_000)], false);
  assert.deepEqual(onTerminal, [
    `status:${spinner(0)} Waiting for the code to be entered… 1:01 left`,
    `status:${spinner(1)} Waiting for the code to be entered… 1:00 left`,
  ]);
  const offTerminal = render(
    [waiting(125_000), waiting(124_000), waiting(119_000), waiting(61_000), waiting(59_000)],
    false,
    false,
  );
  assert.deepEqual(offTerminal, [
    "log:Waiting for the code to be entered (2:05 left).",
    "log:Waiting for the code to be entered (1:59 left).",
    "log:Waiting for the code to be entered (0:59 left).",
  ]);
  assert.deepEqual(render([waiting(61_000)], true), [], "--quiet hides the countdown");
});

Deno.test("time left: m:ss, never negative, or no time limit", () => {
  assert.equal(timeLeft(0), "0:00 left");
  assert.equal(timeLeft(-5000), "0:00 left");
  assert.equal(timeLeft(899_600), "15:00 left");
  assert.equal(timeLeft(Infinity), "no time limit");
  assert.notEqual(spinner(0), spinner(1));
  assert.equal(spinner(0), spinner(10), "ten frames, then again");
});
