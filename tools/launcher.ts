/**
 * Writes codex-login's POSIX launcher: a `sh` script that computes, at each run, the grants
 * `lib/base/grants.ts` computes (the same rules, from the same data, evaluated in sh), then
 * runs the entry on the pinned Deno with exactly those grants. `make install` writes one for
 * the installed command, `make login` one for the checkout; `tests/grants_test.ts` feeds the
 * same rows to both evaluators and expects identical grants.
 *
 *   deno run --allow-read --allow-write tools/launcher.ts --out FILE --deno PATH --entry PATH \
 *     [--config PATH] [--binding DIR] --invocation installed|make [--install TEXT]
 *
 * @module
 */

import { bindingReads, candidatePrograms, GRANT_RULES } from "../lib/base/grants.ts";

/** Where a launcher finds what it runs, and how it says it was started. */
export interface LauncherOptions {
  /** The Deno binary. */
  deno: string;
  /** The script it runs (the bundle, or main.ts). */
  entry: string;
  /** A deno.json to run with (`{"nodeModulesDir": "manual"}` finds the binding beside it). */
  config?: string;
  /** The keyring binding's directory (`…/node_modules/@napi-rs`). */
  binding?: string;
  /** `CODEX_LOGIN_INVOCATION`: how hints name the command. */
  invocation: "installed" | "make";
  /** `CODEX_LOGIN_INSTALL`: how `--version` says it was installed. */
  install?: string;
}

/** `value` as one single-quoted sh word. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const words = (list: readonly string[]) => list.join(" ");

/** The launcher's shell functions and grant rules: the same for every launcher. */
const r = GRANT_RULES;
const RULES_SH = `value_options=${shQuote(` ${words(r.valueOptions)} `)}
alnum=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789
hex=0123456789abcdefABCDEF
nl='
'
cr='\r'

refuse() {
  case $1 in -*) fix="fix $1" ;; *) fix="fix or unset $1" ;; esac
  printf 'codex-login: %s is not %s, so codex-login cannot be granted it: %s.\\n' "$1" "$2" "$fix" >&2
  exit 2
}

# found=the value of the last --NAME X, --NAME=X (or -c X) among the arguments; status 1 if none.
flag_value() {
  want=$1
  shift
  found=
  have=1
  each_value "$want" remember_value "$@"
  return $have
}
remember_value() {
  found=$1
  have=0
}

# Run FUNC VALUE for every --NAME X, --NAME=X (or -c X) among the arguments, in order.
each_value() {
  want=$1
  func=$2
  shift 2
  while [ $# -gt 0 ]; do
    arg=$1
    shift
    inline=0
    case $arg in
      --) break ;;
      --*=*) opt=\${arg%%=*}; opt=\${opt#--}; val=\${arg#*=}; inline=1 ;;
      --*) opt=\${arg#--} ;;
      -c?*) opt=config; val=\${arg#-c}; val=\${val#=}; inline=1 ;;
      -c) opt=config ;;
      *) continue ;;
    esac
    case $value_options in *" $opt "*) ;; *) continue ;; esac
    if [ $inline = 0 ]; then
      [ $# -gt 0 ] || break
      val=$1
      shift
    fi
    if [ "$opt" = "$want" ]; then "$func" "$val"; fi
  done
}

# The host of -c KEY=URL for the config keys whose value is a URL that is reached.
config_host() {
  case $1 in
${r.configHosts.map((k) => `    ${k}=*) key=${k} ;;`).join("\n")}
    *) return 0 ;;
  esac
  url=\${1#"$key="}
  case $url in [\\"\\']*) url=\${url#?} ;; esac
  case $url in *[\\"\\']) url=\${url%?} ;; esac
  host_of "$url" "$key" 0
  add net "$host"
}

# A path on one line (a line break is refused, naming SOURCE).
check_path() {
  case $1 in *"$nl"*|*"$cr"*) refuse "$2" "a path on one line" ;; esac
}

# host=the host[:port] the URL VALUE reaches (after any user:password@), as hostOf in
# lib/base/grants.ts; empty for a value that is not a URL. OPTIONAL=1: no scheme means http://.
host_of() {
  value=$1
  host=
  rest=
  has=0
  case $value in
    *://*)
      scheme=\${value%%://*}
      case $scheme in
        ''|[!$alnum]*|*[!$alnum+.-]*) ;;
        *) rest=\${value#*://}; has=1 ;;
      esac ;;
  esac
  if [ $has = 0 ]; then
    [ "$3" = 1 ] || return 0
    rest=$value
  fi
  authority=\${rest%%[/?#]*}
  host=\${authority##*@}
  [ -n "$host" ] || return 0
  case $host in
    \\[*) name=\${host%%]*}; name=\${name#?}; port=\${host#"[$name]"}
      [ "$port" != "$host" ] || refuse "$2" "a URL with a host codex-login can reach"
      case $name in ''|*[!$hex:.]*) refuse "$2" "a URL with a host codex-login can reach" ;; esac ;;
    *) name=\${host%%:*}; port=\${host#"$name"}
      case $name in ''|*[!$alnum._-]*) refuse "$2" "a URL with a host codex-login can reach" ;; esac ;;
  esac
  case $port in
    '') ;;
    :*) digits=\${port#:}
      case $digits in ''|*[!0-9]*) refuse "$2" "a URL with a host codex-login can reach" ;; esac
      [ \${#digits} -le 5 ] || refuse "$2" "a URL with a host codex-login can reach" ;;
    *) refuse "$2" "a URL with a host codex-login can reach" ;;
  esac
}

# Append VALUE to the list in variable LIST (one per line), once.
add() {
  [ -n "$2" ] || return 0
  current=
  eval "current=\\$$1"
  case "$nl$current" in *"$nl$2$nl"*) return 0 ;; esac
  eval "$1=\\"\\$current\\$2\\$nl\\""
}

# joined=the list in LIST (one per line) as one flag value: commas escaped (,,), comma-joined.
join_list() {
  eval "rest=\\$$1"
  joined=
  while [ -n "$rest" ]; do
    item=\${rest%%"$nl"*}
    rest=\${rest#*"$nl"}
    escaped=
    while :; do
      case $item in
        *,*) escaped="$escaped\${item%%,*},,"; item=\${item#*,} ;;
        *) escaped="$escaped$item"; break ;;
      esac
    done
    joined="\${joined:+$joined,}$escaped"
  done
}

net=
read=
write=
run=
ffi=

# The loopback port(s).
if flag_value ${shQuote(r.portFlag)} "$@"; then
  case $found in
    ''|*[!0-9]*) ;;
    *) if [ \${#found} -le 5 ] && [ "$found" -le 65535 ]; then
        digits=\${found#"\${found%%[!0]*}"}
        if [ -z "$digits" ]; then add net 127.0.0.1; else add net "127.0.0.1:$digits"; fi
      fi ;;
  esac
else
${r.defaultPorts.map((p) => `  add net 127.0.0.1:${p}`).join("\n")}
fi
for h in ${words(r.fixedHosts)}; do add net "$h"; done
for f in ${words(r.hostFlags)}; do
  if flag_value "$f" "$@"; then
    host_of "$found" "--$f" 0
    add net "$host"
  fi
done
each_value config config_host "$@"
for var in ${words(r.proxyVars)}; do
  eval "v=\\\${$var:-}"
  if [ -n "$v" ]; then
    host_of "$v" "$var" 1
    add net "$host"
  fi
done

# The codex home: the last --codex-home, else $CODEX_HOME, else ~/.codex.
if flag_value ${shQuote(r.homeFlag)} "$@" && [ -n "$found" ]; then
  home=$found
  check_path "$home" --${r.homeFlag}
elif [ -n "\${CODEX_HOME:-}" ]; then
  home=$CODEX_HOME
  check_path "$home" CODEX_HOME
elif [ -n "\${HOME:-}" ]; then
  check_path "$HOME" HOME
  home="\${HOME%"\${HOME##*[!/]}"}/.codex"
else
  home=
fi
add read "$home"
add write "$home"
for var in ${words(r.caVars)}; do
  eval "v=\\\${$var:-}"
  if [ -n "$v" ]; then
    check_path "$v" "$var"
    add read "$v"
    break
  fi
done
# shellcheck disable=SC2043 # one variable today, a list by design
for var in ${words(r.readVars)}; do
  eval "v=\\\${$var:-}"
  if [ -n "$v" ]; then
    check_path "$v" "$var"
    add read "$v"
  fi
done

`;

/** Each \$BROWSER entry's program (entries split at \`:\`, words at spaces, tabs, newlines). */
const BROWSER_SH = `rest=\${${r.browserVar}:-}
while [ -n "$rest" ]; do
  case $rest in
    *:*) b_entry=\${rest%%:*}; rest=\${rest#*:} ;;
    *) b_entry=$rest; rest= ;;
  esac
  set -f
  # shellcheck disable=SC2086 # the entry's first word, split as the opener splits it
  for word in $b_entry; do add run "$word"; break; done
  set +f
done
`;

/** The reads the keyring binding needs on `os`, granted when the launcher names a binding. */
function bindingReadLines(os: string): string {
  return bindingReads(os).map((path) => `[ -z "$binding" ] || add read ${shQuote(path)}\n`).join(
    "",
  );
}

/** The launcher's text; `os` picks the candidate programs (default: this machine's). */
export function posixLauncher(options: LauncherOptions, os: string = Deno.build.os): string {
  const candidates = candidatePrograms(os);
  return `#!/bin/sh
# codex-login (${options.invocation === "make" ? "make login, from a checkout" : "installed"}).
# Generated by tools/launcher.ts from the grant rules in lib/base/grants.ts: regenerate, do not
# edit. Each run is granted only what it needs: the loopback port(s), the issuer and API hosts
# (and those its flags or proxy variables name), its one codex home, the CA bundle the
# environment names, the variables it reads, the programs it runs, the keyring binding. No
# other program is started before Deno (every step below is a shell builtin).
set -u
deno=${shQuote(options.deno)}
entry=${shQuote(options.entry)}
config=${shQuote(options.config ?? "")}
binding=${shQuote(options.binding ?? "")}
${RULES_SH}for program in ${words(candidates)}; do
  if command -v "$program" >/dev/null 2>&1; then add run "$program"; fi
done
${os === "windows" ? "" : BROWSER_SH}add ffi "$binding"
${bindingReadLines(os)}
export DENO_NO_UPDATE_CHECK=1 CODEX_LOGIN_INVOCATION=${options.invocation}
${options.install ? `export CODEX_LOGIN_INSTALL=${shQuote(options.install)}\n` : ""}join_list net
net=$joined
join_list read
read=$joined
join_list write
write=$joined
join_list run
run=$joined
join_list ffi
ffi=$joined
exec "$deno" run --quiet --no-prompt \${config:+--config} \${config:+"$config"} \\
  \${net:+"--allow-net=$net"} \${read:+"--allow-read=$read"} \${write:+"--allow-write=$write"} \\
  ${shQuote(`--allow-env=${GRANT_RULES.envNames.join(",")}`)} \\
  \${run:+"--allow-run=$run"} \${ffi:+"--allow-ffi=$ffi"} --allow-sys=uid \\
  "$entry" "$@"
`;
}

function parseArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    if (!args[i].startsWith("--") || args[i + 1] === undefined) {
      throw new Error(`tools/launcher.ts: expected --name value pairs, got ${args[i]}`);
    }
    out[args[i].slice(2)] = args[i + 1];
  }
  return out;
}

if (import.meta.main) {
  const a = parseArgs(Deno.args);
  if (!a.out || !a.deno || !a.entry || (a.invocation !== "installed" && a.invocation !== "make")) {
    console.error(
      "usage: tools/launcher.ts --out FILE --deno PATH --entry PATH [--config PATH] [--binding DIR] --invocation installed|make [--install TEXT]",
    );
    Deno.exit(2);
  }
  const text = posixLauncher({
    deno: a.deno,
    entry: a.entry,
    config: a.config,
    binding: a.binding,
    invocation: a.invocation,
    install: a.install,
  });
  await Deno.writeTextFile(`${a.out}.tmp`, text, { mode: 0o755 });
  await Deno.chmod(`${a.out}.tmp`, 0o755);
  await Deno.rename(`${a.out}.tmp`, a.out);
}
