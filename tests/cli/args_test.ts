import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { closest, formatHelp, parseFlags } from "../../lib/cli/args.ts";

const SPEC = {
  port: { type: "string", value: "N", help: "the port" },
  json: { type: "boolean", help: "as JSON" },
  config: { type: "string", short: "c", multiple: true, help: "an override" },
  help: { type: "boolean", short: "h" },
} as const;

Deno.test("flags: --name, --name=value, --name value, -x value, -xvalue, repeats, positionals, --", () => {
  const { values, positionals } = parseFlags(
    ["--port=1455", "-c", "a=1", "-cb=2", "--config", "c=3", "--json", "x", "--", "--json", "-h"],
    SPEC,
  );
  assert.deepEqual(values, { port: "1455", config: ["a=1", "b=2", "c=3"], json: true });
  assert.deepEqual(positionals, ["x", "--json", "-h"]);
  assert.deepEqual(parseFlags(["--port", "0"], SPEC).values, { port: "0" });
  assert.deepEqual(parseFlags([], SPEC).values, {});
});

Deno.test("flags: the command's own options and the shared ones, typed from both specs", () => {
  const { values } = parseFlags(["--json", "--verbose"], { json: SPEC.json }, {
    verbose: { type: "boolean" },
  });
  const json: boolean | undefined = values.json;
  const verbose: boolean | undefined = values.verbose;
  assert.deepEqual([json, verbose], [true, true]);
});

Deno.test("flags: mistakes are usage errors (exit 2) that say what and where to look", () => {
  const usage = (args: string[], message: RegExp) =>
    assert.throws(() => parseFlags(args, SPEC), (e: unknown) => {
      assert.ok(e instanceof LoginError && e.exitCode === 2, String(e));
      assert.match(e.message, message);
      assert.match(e.message, /Run .*--help\.$/);
      return true;
    });
  usage(["--bogus"], /^Unknown option --bogus\./);
  usage(["--jsn"], /Unknown option --jsn\. Did you mean --json\?/);
  usage(["-z"], /^Unknown option -z\./);
  usage(["--port"], /Option --port needs a value\./);
  usage(["-c"], /Option -c needs a value\./);
  usage(["--json=yes"], /Option --json does not take a value\./);
});

Deno.test("did you mean: within two edits, or the only name it starts", () => {
  assert.equal(closest("no-brower", ["no-browser", "paste"]), "no-browser");
  assert.equal(closest("stat", ["status", "token"]), "status");
  assert.equal(closest("st", ["status", "stop"]), "stop", "too short to be a prefix: by edits");
  assert.equal(closest("zzzzzz", ["status", "token"]), undefined);
});

Deno.test("a command's help page lists exactly the options of its table, shared ones last", () => {
  const page = formatHelp({
    name: "status",
    summary: "who is signed in",
    usage: ["status [--json]"],
    options: { json: SPEC.json, secret: { type: "boolean" } },
    examples: [["codex-login status --json", "for scripts"]],
    notes: ["Exit codes: 0 logged in."],
  }, { config: SPEC.config });
  assert.equal(
    page,
    [
      "codex-login status: who is signed in",
      "",
      "Usage:",
      "  codex-login status [--json]",
      "",
      "Options:",
      "      --json    as JSON",
      "  -c, --config  an override",
      "",
      "Examples:",
      "  codex-login status --json",
      "      for scripts",
      "",
      "Exit codes: 0 logged in.",
    ].join("\n"),
  );
});
