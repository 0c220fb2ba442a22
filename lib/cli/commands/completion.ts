/**
 * `codex-login completion bash|zsh|fish`: a shell completion script for every command and
 * its options, made from the same option tables the parser reads (so it never lists a flag
 * the command would refuse).
 *
 * @module
 */

import type { FlagSpec } from "../args.ts";

/** A command as completion sees it: its name, one line, and its options. */
export interface CompletedCommand {
  /** The command's name. */
  name: string;
  /** What it does, in one line. */
  summary: string;
  /** Every option it takes (its own and the shared ones). */
  options: FlagSpec;
}

/** The shells a script can be made for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

function flags(options: FlagSpec): string[] {
  return Object.entries(options).flatMap(([name, o]) => [
    `--${name}`,
    ...(o.short ? [`-${o.short}`] : []),
  ]);
}

function bash(commands: CompletedCommand[]): string {
  const cases = commands.map((c) => `    ${c.name}) opts="${flags(c.options).join(" ")}" ;;`);
  const login = commands.find((c) => c.name === "login");
  const top = [...commands.map((c) => c.name), ...flags(login?.options ?? {})].join(" ");
  return `# codex-login completion for bash: eval "$(codex-login completion bash)"
_codex_login() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" opts="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$cmd" in
${cases.join("\n")}
    *) opts="${top}" ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
}
complete -o default -F _codex_login codex-login
`;
}

function zsh(commands: CompletedCommand[]): string {
  return `#compdef codex-login
# codex-login completion for zsh: eval "$(codex-login completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bash(commands).split("\n").slice(1).join("\n")}`;
}

function fish(commands: CompletedCommand[]): string {
  const lines = [
    "# codex-login completion for fish: codex-login completion fish | source",
    "complete -c codex-login -f",
    ...commands.map((c) =>
      `complete -c codex-login -n __fish_use_subcommand -a ${c.name} -d ${
        JSON.stringify(c.summary)
      }`
    ),
  ];
  for (const c of commands) {
    for (const [name, o] of Object.entries(c.options)) {
      const when = c.name === "login"
        ? "__fish_use_subcommand; or __fish_seen_subcommand_from login"
        : `__fish_seen_subcommand_from ${c.name}`;
      const short = o.short ? ` -s ${o.short}` : "";
      const value = o.type === "string" ? " -r" : "";
      const help = o.help ? ` -d ${JSON.stringify(o.help.split("\n")[0])}` : "";
      lines.push(`complete -c codex-login -n '${when}' -l ${name}${short}${value}${help}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The completion script for `shell`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { completionScript } from "./completion.ts";
 * const script = completionScript("bash", [
 *   { name: "status", summary: "who", options: { json: { type: "boolean" } } },
 * ]);
 * assert.match(script, /status\) opts="--json" ;;/);
 * ```
 */
export function completionScript(
  shell: (typeof SHELLS)[number],
  commands: CompletedCommand[],
): string {
  return shell === "bash" ? bash(commands) : shell === "zsh" ? zsh(commands) : fish(commands);
}
