import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/cli.ts";
import { parseFlags } from "../../lib/cli/args.ts";
import { type Command, COMMON_OPTIONS, type FlagSpec } from "../../lib/cli/flags.ts";

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { log: (l) => err.push(l), out: (t) => out.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const COMMANDS = ["login", "status", "logout", "refresh", "token"];

Deno.test("help: `<command> --help` prints that command's page with examples, exit 0", async () => {
  for (const name of COMMANDS) {
    const { code, out } = await cli([name, "--help"]);
    assert.equal(code, 0);
    assert.match(out, new RegExp(`^codex-login ${name}: `), name);
    assert.match(out, new RegExp(`Usage:\\n  codex-login \\[?${name}`), name);
    const examples = out.split("Examples:\n")[1] ?? "";
    const lines = examples.split("\n").filter((l) => /^ {2}\S/.test(l));
    assert.ok(lines.length >= 2 && lines.length <= 4, `${name}: ${lines.length} examples`);
    assert.doesNotMatch(out, /^Commands:/m, `${name} prints its own page, not the global one`);
  }
  assert.equal((await cli(["help", "status"])).out, (await cli(["status", "-h"])).out);
});

Deno.test("help: the global page lists every command and points to per-command help", async () => {
  const { code, out } = await cli(["--help"]);
  assert.equal(code, 0);
  for (const name of COMMANDS) assert.match(out, new RegExp(`^  ${name} `, "m"));
  assert.match(out, /codex-login <command> --help/);
});

Deno.test("help: every page fits an 80-column terminal, continuations under their column", async () => {
  const names = [
    "login",
    "status",
    "logout",
    "refresh",
    "token",
    "accounts",
    "switch",
    "completion",
  ];
  for (const args of [["--help"], ...names.map((name) => [name, "--help"])]) {
    const { out } = await cli(args);
    const wide = out.split("\n").filter((line) => line.length > 80);
    assert.deepEqual(wide, [], args.join(" "));
  }
  // A long option description goes on under the description column, not the flag's.
  const { out } = await cli(["login", "--help"]);
  const add = out.split("\n").findIndex((line) => /^ {6}--add {2,}/.test(line));
  const column = out.split("\n")[add].indexOf("keep");
  assert.match(out.split("\n")[add + 1], new RegExp(`^ {${column}}\\S`));
});

Deno.test("help: every option a command's page lists is one its parser accepts", async () => {
  for (const name of COMMANDS) {
    const { out } = await cli([name, "--help"]);
    const listed = [...out.matchAll(/^ {2}(?:-\w, )? *--([a-z-]+)/gm)].map((m) => m[1]);
    assert.ok(listed.length >= Object.keys(COMMON_OPTIONS).length, name);
    const mod = await import(`../../lib/cli/commands/${name}.ts`);
    const command = mod[`${name}Command`] as Command;
    const spec: FlagSpec = { ...COMMON_OPTIONS, ...command.help.options };
    for (const flag of listed) {
      assert.ok(Object.hasOwn(spec, flag), `${name} lists --${flag}`);
      const args = spec[flag].type === "string" ? [`--${flag}`, "x"] : [`--${flag}`];
      parseFlags(args, spec); // throws on an unknown option
    }
  }
});

Deno.test("usage: an unexpected argument names the command's own help", async () => {
  const { code, err } = await cli(["status", "extra"]);
  assert.equal(code, 2);
  assert.match(err, /Unexpected argument "extra" for status\. Run deno run .* status --help\./);
});

Deno.test("did you mean: a mistyped option or command gets the closest one", async () => {
  const option = await cli(["--no-brower"]);
  assert.equal(option.code, 2);
  assert.match(option.err, /Unknown option --no-brower\. Did you mean --no-browser\?/);
  const command = await cli(["stauts"]);
  assert.equal(command.code, 2);
  assert.match(command.err, /Unknown command "stauts"\. Did you mean status\?/);
  const nothing = await cli(["status", "--zzzzzz"]);
  assert.doesNotMatch(nothing.err, /Did you mean/);
});
