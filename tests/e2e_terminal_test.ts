/**
 * The first minutes on a real terminal (a tmux pane of 80 and of 40 columns): the sign-in URL
 * stays whole on screen while the waiting line counts down in place, a paste being typed is
 * never wiped, Ctrl-C gives the terminal back; and the lines a script reads: `-q` puts the URL
 * on stdout, `status --json` always prints one object, `Details:` names only a log that exists,
 * the busy-port line comes first and names `--device-auth`.
 */

import assert from "node:assert/strict";
import { cliArgv, ON, spawnCli } from "./support/cli_process.ts";
import { tempHome } from "./support/helpers.ts";
import { openPane, tmuxMissing } from "./support/tmux.ts";

const noTmux = await tmuxMissing();
if (noTmux) console.log(`e2e terminal tests skipped: ${noTmux}`);

/** The authorize URL as drawn: the rows from the one starting `https://` to the next blank. */
function urlOnScreen(rows: string[]): string | undefined {
  const first = rows.findIndex((row) => row.startsWith("https://"));
  if (first < 0) return undefined;
  const end = rows.findIndex((row, i) => i > first && row.trim() === "");
  return rows.slice(first, end < 0 ? undefined : end).join("");
}

/** `m:ss left` on the waiting line, in seconds. */
function secondsLeft(rows: string[]): number {
  const found = rows.map((r) => /(\d+):(\d\d) left/.exec(r)).find((m) => m);
  assert.ok(found, `no countdown on screen:\n${rows.join("\n")}`);
  return Number(found[1]) * 60 + Number(found[2]);
}

/** Wait until the countdown has moved on from `seconds`. */
async function countdownBelow(
  pane: { screen(): Promise<string[]> },
  seconds: number,
): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const rows = await pane.screen();
    if (secondsLeft(rows) < seconds) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the waiting line never counted down");
}

for (const columns of [80, 40]) {
  Deno.test({
    name:
      `${ON}terminal (${columns} columns): the whole URL stays on screen while the line counts down`,
    ignore: noTmux !== undefined,
    async fn() {
      await using h = await tempHome();
      await using pane = await openPane(
        cliArgv(["login", "--no-browser", "--port", "0", "--codex-home", h.home.path]),
        { columns, rows: 24 },
      );
      const first = await pane.waitFor(/Waiting for the browser/);
      const later = await countdownBelow(pane, secondsLeft(first));
      const again = await countdownBelow(pane, secondsLeft(later));
      for (const rows of [first, later, again]) {
        const url = urlOnScreen(rows) ?? "";
        assert.match(url, /^https:\/\/auth\.openai\.com\/oauth\/authorize\?response_type=code/);
        assert.match(
          url,
          /&originator=codex_cli_rs$/,
          `the URL's end is on screen:\n${rows.join("\n")}`,
        );
        const waiting = rows.filter((row) => row.includes("Waiting for the browser"));
        assert.equal(waiting.length, 1, `one waiting line, redrawn in place:\n${rows.join("\n")}`);
        assert.ok(waiting[0].trimEnd().length < columns, "the waiting line is cut, never wrapped");
      }
    },
  });
}

Deno.test({
  name:
    `${ON}terminal: a paste being typed survives the redraws; Enter answers it; Ctrl-C exits 130 with echo back`,
  ignore: noTmux !== undefined,
  async fn() {
    await using h = await tempHome();
    const command = cliArgv(["login", "--no-browser", "--port", "0", "--codex-home", h.home.path])
      .map((w) => `'${w}'`).join(" ");
    await using pane = await openPane(
      ["sh", "-c", `${command}; code=$?; stty -a | tr ' ' '\\n' | grep -x -- '-*echo'; exit $code`],
      { columns: 80, rows: 24 },
    );
    const shown = await pane.waitFor(/Waiting for the browser/);
    const typed = "http://127.0.0.1:9/auth/callback?code=TYPED_BUT_NOT_ENTERED_" + "x".repeat(70);
    await pane.type(typed);
    const later = await countdownBelow(pane, secondsLeft(shown) - 1);
    assert.ok(
      later.join("").includes(typed),
      `what was typed is still on screen after two redraws:\n${later.join("\n")}`,
    );
    await pane.press("C-u");
    for (let i = 0; i < typed.length; i++) await pane.press("BSpace");
    await pane.type("not an address");
    await pane.press("Enter");
    await pane.waitFor(/That is not a sign-in address/);
    await pane.press("C-c");
    assert.equal(await pane.exitCode(), 130);
    const rows = await pane.screen();
    assert.ok(rows.some((r) => /^Error: Sign-in interrupted/.test(r)), rows.join("\n"));
    assert.ok(
      rows.some((r) => r.trim() === "echo"),
      `the terminal echoes again:\n${rows.join("\n")}`,
    );
  },
});

Deno.test(`${ON}-q: the URL on stdout, alone`, async () => {
  await using h = await tempHome();
  await using cli = spawnCli([
    "-q",
    "--no-browser",
    "--port",
    "0",
    "--timeout",
    "1",
    "--codex-home",
    h.home.path,
  ]);
  const { code, stdout, stderr } = await cli.done();
  assert.equal(code, 124);
  assert.match(stdout, /^https:\/\/auth\.openai\.com\/oauth\/authorize\?\S+\n$/);
  assert.doesNotMatch(stderr, /https:\/\//, "the URL is not on stderr too");
});

Deno.test(`${ON}status --json prints one JSON object even for a corrupt auth.json`, async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path, { mode: 0o700 });
  await Deno.writeTextFile(`${h.home.path}/auth.json`, "{not json");
  await using cli = spawnCli(["status", "--json", "--codex-home", h.home.path]);
  const { code, stdout, stderr } = await cli.done();
  assert.equal(code, 1);
  const report = JSON.parse(stdout);
  assert.equal(report.logged_in, false);
  assert.equal(report.error.code, "corrupt_auth");
  assert.match(stderr, /is not valid JSON/);
});

Deno.test(`${ON}Details: names only a log that exists`, async () => {
  await using h = await tempHome();
  const missing = `${h.dir}/never-made`;
  await using cli = spawnCli(["refresh", "--codex-home", missing]);
  const { code, stderr } = await cli.done();
  assert.equal(code, 1);
  assert.match(stderr, /Not logged in/);
  assert.doesNotMatch(stderr, /Details:/);
});

Deno.test(`${ON}a busy port is said at once, naming --device-auth`, async () => {
  await using h = await tempHome();
  using holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = holder.addr.port;
  await using cli = spawnCli([
    "login",
    "--no-browser",
    "--port",
    String(port),
    "--codex-home",
    h.home.path,
  ]);
  const { code, stderr } = await cli.done();
  assert.equal(code, 13);
  const lines = stderr.split("\n");
  const busy = lines.findIndex((l) => l.startsWith(`Port ${port} is in use; waiting`));
  const error = lines.findIndex((l) => l.startsWith("Error: Port"));
  assert.ok(busy >= 0 && busy < error, stderr);
  assert.match(lines[busy], /--device-auth/);
  assert.match(lines[error], /--device-auth/);
});
