import assert from "node:assert/strict";
import { readSecret } from "../../lib/cli/secret_input.ts";

Deno.test("readSecret: hidden prompt on a terminal, all of stdin from a pipe", async () => {
  const calls: string[] = [];
  const tty = await readSecret("P: ", {
    isTerminal: () => true,
    readAll: () => Promise.resolve("pipe"),
    readHidden: (p) => (calls.push(p), Promise.resolve("typed")),
  });
  assert.equal(tty, "typed");
  assert.deepEqual(calls, ["P: "]);
  const piped = await readSecret("P: ", {
    isTerminal: () => false,
    readAll: () => Promise.resolve("pipe"),
    readHidden: () => Promise.resolve("typed"),
  });
  assert.equal(piped, "pipe");
});
