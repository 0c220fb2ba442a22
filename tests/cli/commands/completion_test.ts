import assert from "node:assert/strict";
import { runCli } from "../../../lib/cli/cli.ts";
import {
  type CompletedCommand,
  completionScript,
  SHELLS,
} from "../../../lib/cli/commands/completion.ts";

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { log: (l) => err.push(l), out: (t) => out.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const COMMANDS = ["login", "status", "logout", "refresh", "token"];

Deno.test("completion scripts are made from the option tables: every flag and its short form", () => {
  const commands: CompletedCommand[] = [
    { name: "login", summary: "sign in", options: { port: { type: "string" as const } } },
    {
      name: "status",
      summary: 'who is "signed" in',
      options: { json: { type: "boolean" as const, short: "j", help: "as JSON\nmore" } },
    },
  ];
  assert.deepEqual([...SHELLS], ["bash", "zsh", "fish"]);
  const bash = completionScript("bash", commands);
  assert.match(bash, /^ {4}status\) opts="--json -j" ;;$/m);
  assert.match(
    bash,
    /^ {4}\*\) opts="login status --port" ;;$/m,
    "top level: commands and login's flags",
  );
  assert.match(
    completionScript("zsh", commands),
    /^#compdef codex-login\n#.*\nautoload -U \+X bashcompinit && bashcompinit\n_codex_login\(\) \{/,
  );
  const fish = completionScript("fish", commands);
  assert.match(fish, /-a status -d "who is \\"signed\\" in"/);
  assert.match(fish, /-n '__fish_seen_subcommand_from status' -l json -s j -d "as JSON"$/m);
  assert.match(
    fish,
    /-n '__fish_use_subcommand; or __fish_seen_subcommand_from login' -l port -r$/m,
  );
});

Deno.test("completion: bash completes commands and each command's own options", async () => {
  const script = (await cli(["completion", "bash"])).out;
  const complete = async (...words: string[]) => {
    const probe = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
      `COMP_CWORD=${words.length - 1}; _codex_login; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = await new Deno.Command("bash", { args: ["-c", probe], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\n");
  };
  assert.deepEqual(await complete("codex-login", "sta"), ["status"]);
  assert.deepEqual(await complete("codex-login", "status", "--j"), ["--json"]);
  assert.deepEqual(await complete("codex-login", "logout", "--no-r"), ["--no-revoke"]);
  assert.deepEqual(await complete("codex-login", "--no-br"), ["--no-browser"]);
});

Deno.test("completion: zsh and fish scripts list every command; an unknown shell is a usage error", async () => {
  for (const shell of ["zsh", "fish"]) {
    const { code, out } = await cli(["completion", shell]);
    assert.equal(code, 0);
    for (const name of [...COMMANDS, "completion"]) assert.match(out, new RegExp(`\\b${name}\\b`));
  }
  assert.match(
    (await cli(["completion", "fish"])).out,
    /-n '__fish_seen_subcommand_from status' -l json/,
  );
  const bad = await cli(["completion", "powershell"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Say which shell: .*completion bash\|zsh\|fish/);
});
