/**
 * `codex-login completion bash|zsh|fish` (lib/cli/commands/completion.ts), tested in the real
 * shells: each script is printed by the program (a subprocess with no permissions), loaded as
 * the README says, and asked to complete a line. bash: the completion function the script
 * registers for `codex-login`, called with COMP_WORDS split the way bash splits them (at
 * blanks, and at `=` and `:`); zsh: a real interactive zsh in a pseudo-terminal with compinit,
 * a TAB typed (tests/support/zsh_complete.zsh records what completion adds); fish:
 * `complete -C`. A shell that is not installed is skipped with the reason.
 */
import assert from "node:assert/strict";
import { runCli } from "../../../lib/cli/cli.ts";
import {
  type CompletedCommand,
  completionScript,
  CONFIG_KEYS,
  type Shell,
  SHELLS,
} from "../../../lib/cli/commands/completion.ts";
import { bashScript } from "../../../lib/cli/commands/completion_bash.ts";
import { fishScript } from "../../../lib/cli/commands/completion_fish.ts";
import { defaultOnly, flagsOf, oneLine } from "../../../lib/cli/commands/completion_shared.ts";
import { zshScript } from "../../../lib/cli/commands/completion_zsh.ts";
import { COMMON_OPTIONS, type FlagSpec } from "../../../lib/cli/flags.ts";
import { parseSettings } from "../../../lib/store/config.ts";
import { ENTRY } from "../../support/cli_process.ts";
import { ROOT, runCommand } from "../../support/helpers.ts";

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { log: (l) => err.push(l), out: (t) => out.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** The commands the global help page lists. */
const COMMANDS = [...(await cli(["--help"])).out.split("Commands:\n")[1].matchAll(/^ {2}(\w+) /gm)]
  .map((m) => m[1]);

async function installed(shell: string): Promise<boolean> {
  try {
    return (await new Deno.Command(shell, { args: ["-c", "exit 0"] }).output()).success;
  } catch {
    return false;
  }
}

const HAVE: Record<Shell, boolean> = {
  bash: await installed("bash"),
  zsh: await installed("zsh"),
  fish: await installed("fish"),
};
for (const shell of SHELLS) {
  if (!HAVE[shell]) {
    console.error(`SKIPPED ${shell} completion tests: ${shell} is not installed here`);
  }
}

/** One match a shell offered: the word (as far as the shell reports it) and how it is shown. */
interface Match {
  word: string;
  display: string;
}

const BASH_PROBE = `
eval "$(cat "$1")"
spec=$(complete -p codex-login) || { echo "no completion registered for codex-login" >&2; exit 3; }
fn=\${spec##*-F }; fn=\${fn%% *}
compopt() { :; }
COMP_LINE=$2; COMP_POINT=\${#2}
shift 2
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
COMPREPLY=()
"$fn" codex-login "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
if ((\${#COMPREPLY[@]} > 0)); then printf '%s\\n' "\${COMPREPLY[@]}"; fi
`;

/** COMP_WORDS as bash makes them (checked against bash 5.2): split at blanks, `=` and `:`
 * words of their own (COMP_WORDBREAKS), the last word the one being completed. */
function bashWords(line: string): string[] {
  assert.doesNotMatch(line, /['"\\]/, "quoting is beyond this splitter");
  const words: string[] = [...line.matchAll(/[=:]+|[^\s=:]+/g)].map((m) => m[0]);
  if (/\s$/.test(line)) words.push("");
  return words;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = await runCommand(cmd, { args, cwd: ROOT, env });
  assert.equal(r.code, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r;
}

/** What `shell` offers at the end of each line, with `script` loaded. */
async function complete(
  shell: Shell,
  script: string,
  lines: string[],
  env: Record<string, string> = {},
): Promise<Map<string, Match[]>> {
  const result = new Map<string, Match[]>();
  if (shell === "zsh") {
    const { stdout } = await run("zsh", [
      "-f",
      `${ROOT}tests/support/zsh_complete.zsh`,
      script,
      ...lines,
    ], env);
    let current: Match[] = [];
    for (const text of stdout.split("\n")) {
      if (text.startsWith("== ")) result.set(text.slice(3), current = []);
      else if (text === "<<timeout>>") {
        assert.fail(`zsh did not finish completing: ${[...result.keys()].pop()}`);
      } else if (text && text !== "<<done>>") {
        const [word, display = ""] = text.split("\t");
        if (!current.some((m) => m.word === word)) current.push({ word, display });
      }
    }
    return result;
  }
  for (const line of lines) {
    if (shell === "bash") {
      const words = bashWords(line);
      const { stdout, stderr } = await run("bash", [
        "--norc",
        "--noprofile",
        "-c",
        BASH_PROBE,
        "bash",
        script,
        line,
        ...words,
      ], env);
      assert.equal(stderr, "", line);
      // A reply replaces bash's last piece of the word: the whole word is the rest before it.
      const word = line.slice(line.search(/\S*$/));
      const before = word.slice(0, word.length - (words.at(-1) ?? "").length);
      result.set(
        line,
        stdout.split("\n").filter((l) => l).map((l) => ({ word: before + l, display: "" })),
      );
    } else {
      const { stdout } = await run("fish", [
        "--no-config",
        "-c",
        "source $argv[1]; complete -C $argv[2]",
        script,
        line,
      ], env);
      result.set(
        line,
        stdout.split("\n").filter((l) => l).map((l) => {
          const [word, display = ""] = l.split("\t");
          return { word, display };
        }),
      );
    }
  }
  return result;
}

const words = (matches: Match[] | undefined) => (matches ?? []).map((m) => m.word).sort();
/** The last part of a word: a file name, or a value after `=`. */
const lastPart = (word: string) => word.replace(/\/$/, "").split(/[=/]/).pop() ?? "";

const scripts = new Map<Shell, string>();
/** The script the program prints for `shell` (a subprocess with no permissions), in a file. */
async function scriptFile(shell: Shell): Promise<string> {
  const cached = scripts.get(shell);
  if (cached) return cached;
  const { stdout } = await run(Deno.execPath(), [
    "run",
    "--quiet",
    "--no-prompt",
    ENTRY,
    "completion",
    shell,
  ]);
  const file = await Deno.makeTempFile({ prefix: `codex-login-completion-`, suffix: `.${shell}` });
  await Deno.writeTextFile(file, stdout);
  scripts.set(shell, file);
  return file;
}

async function optionsOf(name: string): Promise<FlagSpec> {
  const mod = await import(`../../../lib/cli/commands/${name}.ts`);
  return { ...COMMON_OPTIONS, ...mod[`${name}Command`].help.options };
}
const longs = (spec: FlagSpec) => Object.keys(spec).map((n) => `--${n}`).sort();

for (const shell of SHELLS) {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `completion, ${shell}: ${name}`, ignore: !HAVE[shell], fn });

  test("codex-login --codex-home DIR status --<TAB> offers status's options, not login's", async () => {
    const script = await scriptFile(shell);
    const dir = await Deno.makeTempDir();
    const status = longs(await optionsOf("status"));
    const lines = [
      `codex-login --codex-home ${dir} status --`,
      // A directory named like a command is still the value of --codex-home.
      "codex-login --codex-home logout status --",
      "codex-login -c forced_login_method=chatgpt --issuer http://127.0.0.1:9/ status --",
      "codex-login --verbose -q status --",
    ];
    const got = await complete(shell, script, lines);
    for (const line of lines) assert.deepEqual(words(got.get(line)), status, line);
    await Deno.remove(dir);
  });

  test("commands first, then each command's own options, after any shared option", async () => {
    const script = await scriptFile(shell);
    const lines = [
      "codex-login ",
      "codex-login --codex-home /tmp ",
      "codex-login sta",
      "codex-login -q status --j",
      "codex-login --config=forced_login_method=api logout --no-r",
      "codex-login --no-br",
      "codex-login --device-auth ",
      ...COMMANDS.map((c) => `codex-login ${c} --`),
    ];
    const got = await complete(shell, script, lines);
    assert.deepEqual(words(got.get("codex-login ")), [...COMMANDS].sort());
    assert.deepEqual(words(got.get("codex-login --codex-home /tmp ")), [...COMMANDS].sort());
    assert.deepEqual(words(got.get("codex-login sta")), ["status"]);
    assert.deepEqual(words(got.get("codex-login -q status --j")), ["--json"]);
    assert.deepEqual(
      words(got.get("codex-login --config=forced_login_method=api logout --no-r")),
      ["--no-revoke"],
    );
    // A line starting with an option is login (the default command).
    assert.deepEqual(words(got.get("codex-login --no-br")), ["--no-browser"]);
    // An option only login takes makes the command login: no command name after it.
    const afterLoginOption = words(got.get("codex-login --device-auth "));
    assert.ok(!afterLoginOption.some((w) => COMMANDS.includes(w)), afterLoginOption.join(" "));
    for (const name of COMMANDS) {
      const spec = name === "completion" ? { ...COMMON_OPTIONS } : await optionsOf(name);
      assert.deepEqual(words(got.get(`codex-login ${name} --`)), longs(spec), name);
    }
  });

  test("--codex-home completes directories (never commands or files)", async () => {
    const script = await scriptFile(shell);
    const dir = await Deno.makeTempDir();
    await Deno.mkdir(`${dir}/alpha`);
    await Deno.mkdir(`${dir}/beta`);
    await Deno.writeTextFile(`${dir}/gamma.txt`, "");
    try {
      const lines = [
        `codex-login --codex-home ${dir}/`,
        `codex-login status --codex-home ${dir}/`,
        `codex-login --codex-home=${dir}/`,
        `codex-login token --codex-home ${dir}/a`,
      ];
      const got = await complete(shell, script, lines);
      for (const line of lines.slice(0, 3)) {
        assert.deepEqual([...new Set(words(got.get(line)).map(lastPart))], ["alpha", "beta"], line);
      }
      assert.deepEqual(words(got.get(lines[3])).map(lastPart), ["alpha"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  test("completion <TAB> offers the shells, once", async () => {
    const script = await scriptFile(shell);
    const lines = [
      "codex-login completion ",
      "codex-login completion z",
      "codex-login completion bash ",
    ];
    const got = await complete(shell, script, lines);
    assert.deepEqual(words(got.get(lines[0])), [...SHELLS].sort());
    assert.deepEqual(words(got.get(lines[1])), ["zsh"]);
    assert.ok(!words(got.get(lines[2])).some((w) => (SHELLS as readonly string[]).includes(w)));
  });

  test("-c completes the config.toml keys codex-login honours, then their values", async () => {
    const script = await scriptFile(shell);
    const lines = [
      "codex-login -c f",
      "codex-login status -c forced_login_method=",
      "codex-login --config=cli_auth_credentials_store=k",
      "codex-login token -cforced_login_method=c",
    ];
    const got = await complete(shell, script, lines);
    assert.deepEqual(words(got.get(lines[0])), [
      "forced_chatgpt_workspace_id=",
      "forced_login_method=",
    ]);
    assert.deepEqual(words(got.get(lines[1])).map(lastPart), ["api", "chatgpt"]);
    assert.deepEqual(words(got.get(lines[2])).map(lastPart), ["keyring"]);
    assert.deepEqual(words(got.get(lines[3])).map(lastPart), ["chatgpt"]);
  });

  test("loading the script with CODEX_HOME set expands nothing in it", async () => {
    const script = await scriptFile(shell);
    const sentinel = `/tmp/codex-home-sentinel-${crypto.randomUUID()}`;
    const env = { CODEX_HOME: sentinel };
    if (shell === "bash") {
      // bash shows no descriptions: what it loaded is the function, word for word.
      const { stdout, stderr } = await run("bash", [
        "--norc",
        "-c",
        'eval "$(cat "$1")" && declare -f',
        "bash",
        script,
      ], env);
      assert.equal(stderr, "");
      assert.ok(!stdout.includes(sentinel));
      return;
    }
    const line = "codex-login status --codex";
    const [match] = (await complete(shell, script, [line], env)).get(line) ?? [];
    assert.equal(match?.word, "--codex-home");
    assert.match(match.display, /\(default: \$CODEX_HOME, else ~\/\.codex\)$/);
    assert.ok(!match.display.includes(sentinel));
  });

  test("descriptions with $VAR, backquotes, quotes, backslashes and brackets are shown as written", async () => {
    const nasty = (n: number) =>
      `${n}: it's "quoted" $HOME \`echo BQ\` $(echo CS) \\back %F{red}100%% [x] a:b -- end`;
    const commands: CompletedCommand[] = [
      {
        name: "login",
        summary: nasty(1),
        options: { "codex-home": { type: "string", value: "DIR", help: nasty(2) } },
      },
      {
        name: "status",
        summary: nasty(3),
        options: {
          "codex-home": { type: "string", value: "DIR", help: nasty(4) },
          json: { type: "boolean", help: nasty(5) },
        },
      },
    ];
    const file = await Deno.makeTempFile({ suffix: `.${shell}` });
    await Deno.writeTextFile(file, completionScript(shell, commands, "login"));
    try {
      const got = await complete(shell, file, ["codex-login ", "codex-login status --"]);
      assert.deepEqual(words(got.get("codex-login ")), ["login", "status"]);
      assert.deepEqual(words(got.get("codex-login status --")), ["--codex-home", "--json"]);
      if (shell === "bash") return; // bash shows no descriptions
      const shown = [...got.values()].flat().map((m) => m.display);
      for (const n of [1, 3, 4, 5]) {
        assert.ok(shown.some((d) => d.endsWith(nasty(n))), `${nasty(n)} in ${shown.join("\n")}`);
      }
    } finally {
      await Deno.remove(file);
    }
  });
}

Deno.test({
  name: "completion, zsh: the script also works saved as _codex-login on $fpath",
  ignore: !HAVE.zsh,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.copyFile(await scriptFile("zsh"), `${dir}/_codex-login`);
      const lines = ["codex-login st", "codex-login --codex-home /tmp status --j"];
      const got = await complete("zsh", "/dev/null", lines, { ZSH_COMPLETE_FPATH: dir });
      assert.deepEqual(words(got.get(lines[0])), ["status"]);
      assert.deepEqual(words(got.get(lines[1])), ["--json"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("completion --help: its own page, exit 0, like every command's", async () => {
  const { code, out } = await cli(["completion", "--help"]);
  assert.equal(code, 0);
  assert.match(out, /^codex-login completion: /);
  assert.match(out, /^Usage:\n {2}codex-login completion bash\|zsh\|fish$/m);
  assert.match(out, /^Examples:\n {2}eval "\$\(codex-login completion bash\)"/m);
  assert.equal((await cli(["help", "completion"])).out, out);
  assert.equal((await cli(["completion", "-h"])).out, out);
});

Deno.test("completion: an unknown or missing shell is a usage error naming the three", async () => {
  for (
    const args of [["completion", "powershell"], ["completion"], ["completion", "bash", "zsh"]]
  ) {
    const { code, out, err } = await cli(args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(out, "");
    assert.match(
      err,
      args[1] === "powershell"
        ? /no completion for powershell: it completes in bash, zsh and fish/
        : /Say which shell: .*completion bash\|zsh\|fish/,
    );
  }
});

Deno.test("unknown command: the message lists every command, completion included", async () => {
  assert.ok(COMMANDS.includes("completion"), COMMANDS.join(" "));
  const { code, err } = await cli(["bogus"]);
  assert.equal(code, 2);
  assert.match(err, new RegExp(`Commands: ${COMMANDS.join(", ")}\\.`));
});

Deno.test("completion: every -c key and value it offers is one codex-login accepts", () => {
  // Codex's in-memory store is refused when a store is opened, not by the config parser.
  assert.ok(!CONFIG_KEYS.cli_auth_credentials_store.includes("ephemeral"));
  for (const [key, values] of Object.entries(CONFIG_KEYS)) {
    for (const value of values.length ? values : ["ws-1"]) {
      parseSettings("", "config.toml", [`${key}=${value}`]); // throws on a refused value
    }
  }
  assert.throws(
    () => parseSettings("", "config.toml", ["forced_login_method=nope"]),
    /forced_login_method must be one of/,
  );
  const honoured = parseSettings(
    "",
    "config.toml",
    Object.keys(CONFIG_KEYS).map((k) => `${k}=${CONFIG_KEYS[k][0] ?? "ws-1"}`),
  );
  const set = Object.fromEntries(Object.entries(honoured).filter(([, v]) => v !== undefined));
  assert.deepEqual(set, {
    configFile: "config.toml",
    forcedLoginMethod: "chatgpt",
    forcedWorkspaceIds: ["ws-1"],
    credentialsStore: "file",
  });
});

Deno.test("completion: a name that would need quoting in a script is refused", () => {
  assert.throws(
    () => completionScript("bash", [{ name: "lo$gin", summary: "", options: {} }], "lo$gin"),
    /not a plain word/,
  );
});

Deno.test("completion: each shell's script is built from one table; a name needing quotes is refused", () => {
  const table: CompletedCommand[] = [
    {
      name: "login",
      summary: "sign in",
      options: { port: { type: "string", value: "N", help: "the\n port" }, ...COMMON_OPTIONS },
    },
    { name: "status", summary: "who", options: { json: { type: "boolean" }, ...COMMON_OPTIONS } },
  ];
  assert.deepEqual(defaultOnly(table, "login"), ["--port"], "only login's own option");
  assert.equal(flagsOf(table[0].options)[0].help, "the port", "help on one line");
  assert.equal(oneLine("  a\n  b "), "a b");
  for (const script of [bashScript, zshScript, fishScript]) {
    const text = script(table, "login");
    assert.match(text, /status/);
    assert.match(text, /--port/);
    const hostile: CompletedCommand[] = [{ name: "x;rm", summary: "", options: {} }];
    assert.throws(() => script(hostile, "x;rm"), /not a plain word/, script.name);
  }
});
