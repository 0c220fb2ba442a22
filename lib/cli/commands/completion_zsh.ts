/**
 * The zsh completion script: a native `_arguments` function (`#compdef codex-login`), usable
 * both loaded with `eval` after compinit and saved as `_codex-login` on `$fpath`. Every
 * description is in zsh single quotes with `_arguments`' own specials escaped.
 *
 * @module
 */

import type { FlagSpec } from "../args.ts";
import {
  type CompletedCommand,
  CONFIG_KEYS,
  defaultOf,
  defaultOnly,
  flagsOf,
  oneLine,
  type ValueKind,
  word,
} from "./completion_shared.ts";

/** `text` in zsh single quotes: nothing in it is expanded. */
function zshQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Text for `_arguments`' `[description]` and `:message:` parts, its own specials escaped. */
function zshSpecText(text: string): string {
  return text.replace(/[\\\]\[:]/g, "\\$&");
}

const ZSH_ACTION: Record<ValueKind, string> = {
  dir: "_files -/",
  file: "_files",
  config: "_codex-login_config",
  value: " ",
};

/** The `_arguments` specs of a command's options. */
function zshSpecs(options: FlagSpec): string[] {
  return flagsOf(options).map((f) => {
    const exclusion = f.multiple ? "*" : f.alias ? `(${f.flag} ${f.alias})` : "";
    const name = f.kind ? `${f.flag}${f.flag.startsWith("--") ? "=" : "+"}` : f.flag;
    const help = f.help ? `[${zshSpecText(f.help)}]` : "";
    const value = f.kind ? `:${zshSpecText(f.placeholder)}:${ZSH_ACTION[f.kind]}` : "";
    return zshQuote(`${exclusion}${name}${help}${value}`);
  });
}

/** A line break inside one shell command, then `n` spaces. */
function indent(n: number): string {
  return ` \\\n${" ".repeat(n)}`;
}

/** A command's `_arguments` specs (its options, and its choices), one a line at `n`. */
function specs(c: CompletedCommand, n: number): string {
  return [
    ...zshSpecs(c.options),
    ...(c.choices?.length ? [zshQuote(`1:argument:(${c.choices.map(word).join(" ")})`)] : []),
  ].join(indent(n));
}

/** The zsh script. */
export function zshScript(commands: CompletedCommand[], defaultCommand: string): string {
  const defaults = defaultOf(commands, defaultCommand);
  // `_describe` reads a backslash as an escape.
  const list = commands.map((c) =>
    zshQuote(`${word(c.name)}:${oneLine(c.summary).replaceAll("\\", "\\\\")}`)
  );
  const cases = commands.map((c) =>
    `        (${c.name})\n          _arguments -S${indent(12)}${
      specs(c, 12)
    } && ret=0\n          ;;`
  );
  const only = defaultOnly(commands, defaultCommand);
  const defaultOnlyCheck = only.length
    ? `      # An option only ${defaultCommand} takes, before any command: the command is ${defaultCommand}.
      for word in \${words[2,CURRENT-1]}; do
        case \${word%%=*} in
          (${only.join("|")}) return ret ;;
        esac
      done
`
    : "";
  const keys = Object.keys(CONFIG_KEYS).map((k) => `${word(k)}=`).join(" ");
  const valueCases = Object.entries(CONFIG_KEYS).map(([key, values]) =>
    values.length
      ? `      (${key}) _wanted values expl value compadd -- ${values.map(word).join(" ")} ;;`
      : `      (${key}) _message -e values value ;;`
  );
  return zshHead(keys, valueCases) +
    zshMain(defaultCommand, defaults, list, cases, defaultOnlyCheck);
}

/** The script's head and the `-c KEY=VALUE` completer. */
function zshHead(keys: string, valueCases: string[]): string {
  return `#compdef codex-login
# codex-login completion for zsh, made from codex-login's own option tables. Load it in
# ~/.zshrc after compinit: eval "$(codex-login completion zsh)"
# (or save it as _codex-login in a directory on $fpath).

# -c KEY=VALUE: the config.toml keys codex-login honours, then their values.
_codex-login_config() {
  local expl key
  if [[ $PREFIX == *=* ]]; then
    key=\${PREFIX%%=*}
    compset -P '*='
    case $key in
${valueCases.join("\n")}
      (*) _message -e values value ;;
    esac
  else
    _wanted keys expl 'config.toml key' compadd -S '' -- ${keys}
  fi
}

`;
}

/** The completion function: the options before a command, the commands, each command's options. */
function zshMain(
  defaultCommand: string,
  defaults: CompletedCommand,
  list: string[],
  cases: string[],
  defaultOnlyCheck: string,
): string {
  return `_codex-login() {
  local curcontext=$curcontext state state_descr line word ret=1
  local -a commands
  local -A opt_args
  # Before a command: the options of ${defaultCommand}, the command a line starting with an option runs.
  _arguments -C -S -A '-*'${indent(4)}${specs({ ...defaults, choices: [] }, 4)}${
    indent(4)
  }': :->command'${indent(4)}'*:: :->argument' && ret=0
  case $state in
    (command)
${defaultOnlyCheck}      commands=(${list.join(indent(8))})
      _describe -t commands 'codex-login command' commands && ret=0
      ;;
    (argument)
      curcontext=\${curcontext%:*:*}:codex-login-$words[1]:
      case $words[1] in
${cases.join("\n")}
      esac
      ;;
  esac
  return ret
}

if [[ $funcstack[1] == _codex-login ]]; then
  _codex-login "$@"
elif (( $+functions[compdef] )); then
  compdef _codex-login codex-login
else
  print -ru2 -- 'codex-login completion: run compinit first (autoload -Uz compinit && compinit), then load this script.'
fi
`;
}
