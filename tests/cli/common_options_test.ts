/** Where the command is among the arguments, past the options every command shares. */
import assert from "node:assert/strict";
import { commandIndex, COMMON_OPTIONS } from "../../lib/cli/common_options.ts";

Deno.test("commandIndex: past shared options and their values; a command's own option means the default", () => {
  assert.equal(commandIndex(["status"]), 0);
  assert.equal(commandIndex(["--codex-home", "/h", "status"]), 2, "a value is skipped");
  assert.equal(commandIndex(["--codex-home=/h", "token"]), 1, "an inline value is not");
  assert.equal(commandIndex(["-c", "k=v", "logout"]), 2);
  assert.equal(commandIndex(["--device-auth", "status"]), -1, "login's own option: login");
  assert.equal(commandIndex(["--", "status"]), -1);
  assert.equal(commandIndex([]), -1);
  for (const [name, option] of Object.entries(COMMON_OPTIONS)) {
    assert.ok(option.help.length > 0, `--${name} is described for --help`);
  }
});
