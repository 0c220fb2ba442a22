/**
 * The fish completion script: `complete` lines for every command and option, with helper
 * functions that find the command on the line the way the parser does. Every description is
 * in fish single quotes (nothing is expanded, at load or at completion).
 *
 * @module
 */

import {
  type CompletedCommand,
  CONFIG_KEYS,
  flagsOf,
  oneLine,
  sharedFlags,
  type ValueKind,
  word,
} from "./completion_shared.ts";

/** `text` in fish single quotes: nothing in it is expanded. */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, "\\$&")}'`;
}

const FISH_VALUE: Record<ValueKind, string> = {
  dir: "-x -a '(__codex_login_directories)'",
  file: "-r -F",
  config: "-x -a '(__codex_login_config)'",
  value: "-x",
};

/** The fish script. */
export function fishScript(commands: CompletedCommand[], defaultCommand: string): string {
  const lines = [
    fishHelpers(commands, defaultCommand),
    fishConditions(defaultCommand),
    ...commands.map((c) =>
      `complete -c codex-login -n __codex_login_needs_command -a ${word(c.name)} -d ${
        fishQuote(oneLine(c.summary))
      }`
    ),
    ...commands.flatMap(fishOptionLines),
  ];
  return `${lines.join("\n")}\n`;
}

/** One command's `complete` lines: its long options (and aliases), its choices. */
function fishOptionLines(c: CompletedCommand): string[] {
  const lines: string[] = [];
  const when = `-n ${fishQuote(`__codex_login_using ${c.name}`)}`;
  for (const f of flagsOf(c.options)) {
    if (!f.flag.startsWith("--")) continue;
    const short = f.alias ? ` -s ${f.alias.slice(1)}` : "";
    const value = f.kind ? ` ${FISH_VALUE[f.kind]}` : "";
    const help = f.help ? ` -d ${fishQuote(f.help)}` : "";
    lines.push(`complete -c codex-login ${when} -l ${f.flag.slice(2)}${short}${value}${help}`);
  }
  if (c.choices?.length) {
    lines.push(
      `complete -c codex-login -n ${fishQuote(`__codex_login_first_argument ${c.name}`)} -a ${
        fishQuote(c.choices.map(word).join(" "))
      }`,
    );
  }
  return lines;
}

/** The head: which options take a value, and the state of the line (its command, arguments). */
function fishHelpers(commands: CompletedCommand[], defaultCommand: string): string {
  const valued = commands.map((c) => {
    const flags = flagsOf(c.options).filter((f) => f.kind).map((f) => f.flag);
    return `        case ${word(c.name)}\n            set options ${flags.join(" ")}`;
  });
  const shared = [...sharedFlags(commands)].join(" ");
  return `# codex-login completion for fish, made from codex-login's own option tables. Load it with
# codex-login completion fish | source
# (or save it as ~/.config/fish/completions/codex-login.fish).

# The options of command $argv[1] that take a value.
function __codex_login_options_with_value
    set -l options
    switch $argv[1]
${valued.join("\n")}
    end
    printf '%s\\n' $options
end

# The command on the line (- before one) and how many arguments it has been given. Options
# before the command (and their values) are skipped; an option only ${defaultCommand} takes makes
# the command ${defaultCommand}.
function __codex_login_state
    set -l shared ${shared}
    set -l command -
    set -l arguments 0
    set -l expect 0
    set -l dashdash 0
    set -l valued (__codex_login_options_with_value ${word(defaultCommand)})
    set -l tokens (commandline -opc)
    set -e tokens[1]
    for token in $tokens
        if test $expect = 1
            set expect 0
            continue
        end
        if test $dashdash = 0; and test $token = --
            set dashdash 1
        else if test $dashdash = 0; and string match -q -- '-?*' $token
            set -l flag (string replace -r -- '=.*' '' $token)
            string match -q -- '--*' $token; or set flag (string sub -l 2 -- $token)
            if test $command = -; and not contains -- $flag $shared
                set command ${defaultCommand}
            end
            if test $token = $flag; and contains -- $flag $valued
                set expect 1
            end
        else if test $command = -
            set command $token
            set valued (__codex_login_options_with_value $command)
        else
            set arguments (math $arguments + 1)
        end
    end
    printf '%s\\n' $command $arguments
end`;
}

/** The conditions `complete` asks, the value completers, and the fixed head of the lines. */
function fishConditions(defaultCommand: string): string {
  const valueCases = Object.entries(CONFIG_KEYS).map(([key, values]) =>
    `        case '*${word(key)}=*'\n            ${
      values.length
        ? `printf '%s\\n' ${values.map((v) => `${key}=${word(v)}`).join(" ")}`
        : "true # any value"
    }`
  );
  const keys = Object.keys(CONFIG_KEYS).map((k) => `${k}=`).join(" ");
  return `function __codex_login_needs_command
    test (__codex_login_state)[1] = -
end

# Whether the line is in command $argv[1] (before any command: in ${defaultCommand}).
function __codex_login_using
    set -l command (__codex_login_state)[1]
    test $command = $argv[1]; or test $command = - -a $argv[1] = ${defaultCommand}
end

# Whether the line is in command $argv[1] and it has no argument yet.
function __codex_login_first_argument
    set -l state (__codex_login_state)
    test $state[1] = $argv[1] -a $state[2] = 0
end

# Directories for the value being typed (after --name= when given that way).
function __codex_login_directories
    __fish_complete_directories (string replace -r -- '^--[^=]*=' '' (commandline -ct)) directory
end

# -c KEY=VALUE: the config.toml keys codex-login honours, then their values.
function __codex_login_config
    switch (commandline -ct)
${valueCases.join("\n")}
        case '*'
            printf '%s\\n' ${keys}
    end
end

complete -c codex-login -f`;
}
