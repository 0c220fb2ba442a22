/**
 * The bash completion script: one function that splits the line as the program sees it
 * (bash also breaks words at `=` and `:`), finds the command, and completes options, values
 * and commands. Made from the commands' option tables; names only, no descriptions (bash
 * shows none).
 *
 * @module
 */

import {
  type CompletedCommand,
  CONFIG_KEYS,
  flagsOf,
  sharedFlags,
  word,
} from "./completion_shared.ts";

/** The bash script. */
export function bashScript(commands: CompletedCommand[], defaultCommand: string): string {
  const optionCases = commands.map((c) => {
    const entries = flagsOf(c.options).map((f) => f.kind ? `${f.flag}=${f.kind}` : f.flag);
    return `    ${word(c.name)}) _codex_login_opts=(${entries.join(" ")}) ;;`;
  });
  const choiceCases = commands.filter((c) => c.choices?.length).map((c) =>
    `    ${c.name}) _codex_login_words=(${c.choices?.map(word).join(" ")}) ;;`
  );
  const shared = [...sharedFlags(commands)];
  const sharedCase = shared.length ? `  case $1 in ${shared.join("|")}) return 0 ;; esac\n` : "";
  const keys = Object.keys(CONFIG_KEYS).map((k) => `${word(k)}=`).join(" ");
  const valueCases = Object.entries(CONFIG_KEYS).filter(([, values]) => values.length).map((
    [key, values],
  ) =>
    `      ${key}=) _codex_login_words=(${values.map((v) => `${key}=${word(v)}`).join(" ")}) ;;`
  );
  return [
    bashHelpers(optionCases, sharedCase),
    bashWords(defaultCommand),
    bashValue(choiceCases),
    bashReply(commands, keys, valueCases),
  ].join("");
}

/** The helpers: each command's options, the shared ones, what an option's value is. */
function bashHelpers(optionCases: string[], sharedCase: string): string {
  return `# codex-login completion for bash, made from codex-login's own option tables.
# Load it in ~/.bashrc: eval "$(codex-login completion bash)"

# _codex_login_opts: the options of command $1 (FLAG, or FLAG=KIND when it takes a value).
_codex_login_options() {
  case $1 in
${optionCases.join("\n")}
    *) _codex_login_opts=(); return 1 ;;
  esac
}

# Whether $1 is an option every command takes (it may come before the command).
_codex_login_shared() {
${sharedCase}  return 1
}

# kind: what the value of option $1 completes to (dir, file, config, value); fails when it takes none.
_codex_login_kind() {
  local o
  for o in \${_codex_login_opts[@]+"\${_codex_login_opts[@]}"}; do
    if [[ $o == "$1="* ]]; then kind=\${o#*=}; return 0; fi
  done
  return 1
}

`;
}

/** The line split into the program's words; the command and the option expecting a value. */
function bashWords(defaultCommand: string): string {
  return `_codex_login() {
  local line=\${COMP_LINE-} rest token i n glued
  line=\${line:0:\${COMP_POINT-\${#line}}}
  # bash also splits words at = and : (COMP_WORDBREAKS); glue back the pieces that touch, so
  # the words are the ones the program sees. token ends as the current word's last piece.
  local -a words=()
  if [[ -z $line ]]; then
    # No COMP_LINE (a caller that sets only COMP_WORDS): take the words as they are.
    words=("\${COMP_WORDS[@]:0:COMP_CWORD+1}"); token=\${COMP_WORDS[COMP_CWORD]-}
  else for ((i = 0; i <= COMP_CWORD; i++)); do
    rest=\${line#"\${line%%[![:blank:]]*}"}
    glued=0
    if ((i > 0)) && [[ \${#rest} -eq \${#line} ]]; then glued=1; fi
    token=\${COMP_WORDS[i]-}
    if ((i == COMP_CWORD)) || [[ $rest != "$token"* ]]; then token=$rest; fi
    line=\${rest:\${#token}}
    n=\${#words[@]}
    if ((glued && n > 0)); then words[n-1]+=$token; else words[n]=$token; fi
  done; fi
  local cur=\${words[\${#words[@]}-1]} cmd= expect= dashdash= flag kind w positionals=0
  local -a _codex_login_opts=() _codex_login_words=()
  COMPREPLY=()
  _codex_login_options ${word(defaultCommand)}
  for ((i = 1; i < \${#words[@]} - 1; i++)); do
    w=\${words[i]}
    if [[ -n $expect ]]; then expect=; continue; fi
    case $dashdash$w in
      --) dashdash=1 ;;
      -?*)
        if [[ $w == --* ]]; then flag=\${w%%=*}; else flag=\${w:0:2}; fi
        # An option only ${defaultCommand} takes, before any command: the command is ${defaultCommand}.
        if [[ -z $cmd ]] && ! _codex_login_shared "$flag"; then cmd=${defaultCommand}; fi
        if [[ $w == "$flag" ]] && _codex_login_kind "$flag"; then expect=$flag; fi
        ;;
      *)
        if [[ -z $cmd ]]; then cmd=$w; _codex_login_options "$cmd"
        else positionals=$((positionals + 1)); fi
        ;;
    esac
  done

`;
}

/** The value being typed, what goes before it in the word, and what kind of thing it is. */
function bashValue(choiceCases: string[]): string {
  return `  # The value being typed, and what goes before it in the word.
  local value= before= candidate
  if [[ -n $expect ]]; then
    _codex_login_kind "$expect"; value=$cur
  elif [[ -z $dashdash && $cur == --*=* ]]; then
    flag=\${cur%%=*}; value=\${cur#*=}; before=$flag=
    _codex_login_kind "$flag" || return 0
  elif [[ -z $dashdash && $cur == -[!-]?* ]] && _codex_login_kind "\${cur:0:2}"; then
    # A short option with its value attached (-cKEY=VALUE).
    before=\${cur:0:2}; value=\${cur:2}
  elif [[ -z $dashdash && $cur == -* ]]; then
    kind=option; value=$cur
  elif [[ -z $cmd ]]; then
    kind=command; value=$cur
  else
    value=$cur
    case $cmd in
${choiceCases.join("\n")}
    esac
    if ((positionals == 0 && \${#_codex_login_words[@]} > 0)); then kind=words; else kind=option; fi
  fi

`;
}

/** The candidates of that kind, and the reply. */
function bashReply(commands: CompletedCommand[], keys: string, valueCases: string[]): string {
  return `  local -a found=()
  case $kind in
    option)
      for candidate in \${_codex_login_opts[@]+"\${_codex_login_opts[@]}"}; do
        found+=("\${candidate%%=*}")
      done ;;
    command) found=(${commands.map((c) => c.name).join(" ")}) ;;
    words) found=("\${_codex_login_words[@]}") ;;
    dir|file)
      while IFS= read -r candidate; do found+=("$candidate"); done < <(
        if [[ $kind == dir ]]; then compgen -d -- "$value"; else compgen -f -- "$value"; fi
      )
      if [[ $token == "$value" ]]; then
        compopt -o filenames 2>/dev/null
      else
        compopt -o nospace 2>/dev/null
        for ((i = 0; i < \${#found[@]}; i++)); do
          [[ -d \${found[i]} ]] && found[i]+=/
        done
      fi ;;
    config)
      _codex_login_words=(${keys})
      case $value in
        *=*)
          case \${value%%=*}= in
${valueCases.join("\n")}
            *) _codex_login_words=() ;;
          esac ;;
        *) compopt -o nospace 2>/dev/null ;;
      esac
      found=(\${_codex_login_words[@]+"\${_codex_login_words[@]}"}) ;;
  esac
  # Keep what starts with the word typed; reply with the part that replaces bash's last piece.
  for candidate in \${found[@]+"\${found[@]}"}; do
    case $kind in dir|file) ;; *) [[ $candidate == "$value"* ]] || continue ;; esac
    candidate=$before$candidate
    COMPREPLY+=("\${candidate:\${#cur}-\${#token}}")
  done
  return 0
}
complete -F _codex_login codex-login
`;
}
