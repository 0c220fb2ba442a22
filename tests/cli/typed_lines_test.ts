/**
 * Typed lines on a real terminal (a pseudo-terminal made by util-linux `script`): raw mode,
 * echo, editing, and the terminal given back in cooked mode after.
 */
import assert from "node:assert/strict";
import { HAVE_SCRIPT } from "../support/cli_process.ts";
import { ROOT } from "../support/helpers.ts";

/** Type `keys` (in pieces, as a person would) into the driver; what it printed and got. */
async function type(keys: string[]): Promise<{ screen: string; lines: string[] }> {
  const driver = `${ROOT}tests/support/typed_lines_driver.ts`;
  const command = `'${Deno.execPath()}' run --quiet '${driver}'; stty -a`;
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await new Promise((r) => setTimeout(r, 1000)); // Deno starts and turns raw mode on
  for (const piece of keys) {
    await writer.write(new TextEncoder().encode(piece));
    await new Promise((r) => setTimeout(r, 100));
  }
  const out = await child.output();
  await writer.close().catch(() => {});
  const screen = new TextDecoder().decode(out.stdout);
  const found = /LINES (\[.*\])/.exec(screen);
  return { screen, lines: found ? JSON.parse(found[1]) : [] };
}

Deno.test({
  name: "typed lines: each Enter hands over the line as edited; the terminal is cooked again after",
  ignore: !HAVE_SCRIPT,
  async fn() {
    const { screen, lines } = await type([
      "http://x/cb?cxode",
      "\x7f\x7f\x7f\x7fode=1",
      "\r",
      "done\r",
    ]);
    assert.deepEqual(lines, ["http://x/cb?code=1", "done"], screen);
    assert.match(screen, /waiting for you/);
    assert.match(screen, /\bicanon\b/, "canonical mode back");
    assert.match(screen, /(^|\s)echo\b/, "echo back");
  },
});

Deno.test({
  name: "typed lines: Ctrl-D on an empty line stops reading",
  ignore: !HAVE_SCRIPT,
  async fn() {
    const { screen, lines } = await type(["first\r", "\x04"]);
    assert.deepEqual(lines, ["first"], screen);
  },
});
