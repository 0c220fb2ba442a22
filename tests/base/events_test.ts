import assert from "node:assert/strict";
import { type EventKind, flowEvent, shownWhenQuiet, silent } from "../../lib/base/events.ts";

Deno.test("flowEvent: kind, code, text, and the facts only when there are some", () => {
  assert.deepEqual(flowEvent("note", "login.listening", "Starting"), {
    kind: "note",
    code: "login.listening",
    text: "Starting",
  });
  const withData = flowEvent("warning", "peer.refused", "Warning: uid 7", { uid: 7 });
  assert.deepEqual(withData.data, { uid: 7 });
  assert.ok(!("data" in flowEvent("action", "login.url", "http://x")), "no empty data field");
});

Deno.test("--quiet keeps actions and warnings, drops notes and progress, whatever the text", () => {
  const kinds: [EventKind, boolean][] = [
    ["action", true],
    ["warning", true],
    ["note", false],
    ["progress", false],
  ];
  for (const [kind, shown] of kinds) {
    for (const text of ["", "Warning: looks important", "http://127.0.0.1:1455/x"]) {
      assert.equal(shownWhenQuiet(flowEvent(kind, "any.code", text)), shown, `${kind}: ${text}`);
    }
  }
});

Deno.test("silent drops every event without a trace", () => {
  const event = flowEvent("action", "login.url", "http://x");
  assert.equal(silent(event), undefined);
  assert.deepEqual(event, { kind: "action", code: "login.url", text: "http://x" }, "untouched");
});
