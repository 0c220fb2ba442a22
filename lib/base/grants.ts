/**
 * The one source of codex-login's Deno permissions: what a run may touch, computed from its
 * arguments and environment, for every way of running it. The installed command's POSIX
 * launcher and `make login` (generated from {@linkcode GRANT_RULES} by `tools/launcher.ts`),
 * the npm launcher (this module, bundled), `make compile` and the tests all take their grants
 * from here; a table-driven test feeds the same rows to each and expects identical grants.
 *
 * What a run gets: the loopback port(s) it listens on, the issuer and API hosts (and those its
 * `--issuer`, `--api-base`, `--platform-url` or proxy variables name), its one codex home
 * (the last `--codex-home`, else `$CODEX_HOME`, else `~/.codex`), the CA bundle the
 * environment names, the variables it reads, the programs it runs that are present, and the
 * keyring binding. A value is parsed the way the program parses it (a URL's host after any
 * user name and password; a proxy without a scheme is `http://`); a value Deno cannot take as
 * a grant is refused, naming the variable or flag, never its value. Commas in paths are
 * escaped (`,,`), so no value can add a grant.
 *
 * Pure: no Deno API, so that Node (the npm launcher) runs it too.
 *
 * @module
 */

import { GRANT_RULES } from "./grant_rules.ts";

export { GRANT_RULES };

/** The programs of {@linkcode GRANT_RULES} that `os` may run (granted when present). */
export function candidatePrograms(os: string): readonly string[] {
  return GRANT_RULES.programs[os as keyof typeof GRANT_RULES.programs] ?? [];
}

/** The files the keyring binding reads on `os` besides its own directory. */
export function bindingReads(os: string): readonly string[] {
  return GRANT_RULES.binding.read[os as keyof typeof GRANT_RULES.binding.read] ?? [];
}

/** What a run is granted, each list deduplicated and in a stable order. */
export interface Grants {
  /** `--allow-net` hosts (`host` or `host:port`). */
  readonly net: readonly string[];
  /** `--allow-read` paths. */
  readonly read: readonly string[];
  /** `--allow-write` paths. */
  readonly write: readonly string[];
  /** `--allow-env` names. */
  readonly env: readonly string[];
  /** `--allow-run` programs. */
  readonly run: readonly string[];
  /** `--allow-ffi` paths. */
  readonly ffi: readonly string[];
  /** `--allow-sys` kinds. */
  readonly sys: readonly string[];
}

/** What grants are computed from. */
export interface GrantInput {
  /** codex-login's own arguments (`login --issuer URL`...). */
  readonly args: readonly string[];
  /** The environment (only the names the rules read are looked at). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The operating system (`linux`, `darwin`, `windows`). */
  readonly os: string;
  /** The programs of {@linkcode GRANT_RULES} found on this machine's PATH. */
  readonly programs: readonly string[];
  /** The directory of the keyring binding (`…/node_modules/@napi-rs`), when installed. */
  readonly binding?: string;
}

/** A value Deno cannot take as a grant: named by its variable or flag, never by its value. */
export class GrantRefusal extends Error {
  /** The variable (`HTTPS_PROXY`) or flag (`--issuer`) that holds it. */
  readonly source: string;
  /** Make one for `source`, saying what was expected. */
  constructor(source: string, expected: string) {
    const fix = source.startsWith("-") ? `fix ${source}` : `fix or unset ${source}`;
    super(`${source} is not ${expected}, so codex-login cannot be granted it: ${fix}.`);
    this.name = "GrantRefusal";
    this.source = source;
  }
}

/** A path Deno can take: anything but a line break (commas are escaped). */
function pathOf(value: string | undefined, source: string): string | undefined {
  if (!value) return undefined;
  if (/[\r\n]/.test(value)) throw new GrantRefusal(source, "a path on one line");
  return value;
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/;

/**
 * The host (and port, when not the scheme's default) a URL value reaches, parsed as the
 * program parses it: with a scheme (`http://`, `https://`, `socks5://`...), or, for a proxy,
 * without one (`http://` is meant, as curl does). User name and password are dropped wherever
 * the last `@` is. `undefined` for a value that is not a URL at all (the program refuses it
 * itself); a host Deno cannot take throws {@linkcode GrantRefusal}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostOf } from "./grants.ts";
 * assert.equal(hostOf("https://auth.example.com/x", "--issuer"), "auth.example.com");
 * assert.equal(hostOf("http://me:p@ss@proxy:3128", "HTTPS_PROXY", true), "proxy:3128");
 * assert.equal(hostOf("alice:Secr3t@proxy:3128", "HTTPS_PROXY", true), "proxy:3128");
 * assert.throws(() => hostOf("http://p:3128,evil.example", "HTTPS_PROXY", true), /HTTPS_PROXY/);
 * ```
 */
export function hostOf(value: string, source: string, schemeOptional = false): string | undefined {
  const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value);
  if (!hasScheme && !schemeOptional) return undefined;
  const rest = hasScheme ? value.slice(value.indexOf("://") + 3) : value;
  const authority = rest.replace(/[/?#].*$/s, "");
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  if (host === "") return undefined;
  if (!HOST.test(host)) throw new GrantRefusal(source, "a URL with a host codex-login can reach");
  return host;
}

/** The value of the last `--name X`, `--name=X` (or short alias) in `args`. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  return flagValues(args, name).at(-1);
}

/**
 * Every value of `--name X`, `--name=X` (or short alias) in `args`, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagValues } from "./grants.ts";
 * assert.deepEqual(flagValues(["-c", "a=1", "--config=b=2", "-cc=3"], "config"), ["a=1", "b=2", "c=3"]);
 * ```
 */
export function flagValues(args: readonly string[], name: string): string[] {
  const found: string[] = [];
  const shorts: Record<string, string> = GRANT_RULES.valueShorts;
  const takesValue = new Set<string>(GRANT_RULES.valueOptions);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    let option: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      option = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (arg.startsWith("-") && arg.length > 1) {
      option = shorts[arg[1]];
      if (option === undefined) continue;
      inline = arg.length > 2 ? arg.slice(2).replace(/^=/, "") : undefined;
    } else {
      continue;
    }
    if (!takesValue.has(option)) continue;
    const value = inline ?? args[++i];
    if (option === name && value !== undefined) found.push(value);
  }
  return found;
}

/** The hosts `-c key=URL` names for the keys of {@linkcode GRANT_RULES}`.configHosts`. */
function configHosts(args: readonly string[]): (string | undefined)[] {
  return flagValues(args, "config").flatMap((pair) => {
    const key = GRANT_RULES.configHosts.find((k) => pair.startsWith(`${k}=`));
    if (!key) return [];
    // A TOML string's quotes, as the program reads `-c` (one on each side).
    const url = pair.slice(key.length + 1).replace(/^["']/, "").replace(/["']$/, "");
    return [hostOf(url, key)];
  });
}

function homeOf(input: GrantInput): string | undefined {
  const flag = flagValue(input.args, GRANT_RULES.homeFlag);
  if (flag) return pathOf(flag, `--${GRANT_RULES.homeFlag}`);
  const fromEnv = input.env.CODEX_HOME;
  if (fromEnv) return pathOf(fromEnv, "CODEX_HOME");
  const windows = input.os === "windows";
  const variable = windows ? "USERPROFILE" : "HOME";
  const home = pathOf(input.env[variable], variable);
  if (!home) return undefined;
  return `${home.replace(windows ? /[\\/]+$/ : /\/+$/, "")}${windows ? "\\" : "/"}.codex`;
}

function loopback(input: GrantInput): string[] {
  const port = flagValue(input.args, GRANT_RULES.portFlag);
  if (port === undefined) return GRANT_RULES.defaultPorts.map((p) => `127.0.0.1:${p}`);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return []; // the program refuses it
  return Number(port) === 0 ? ["127.0.0.1"] : [`127.0.0.1:${Number(port)}`];
}

/**
 * The program of each entry of `$BROWSER` (entries split at `:`, words at spaces, tabs and
 * line breaks, as the browser opener splits them).
 */
export function browserPrograms(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(":").map((entry) => entry.split(/[ \t\n]+/).find((w) => w !== ""))
    .filter((program): program is string => program !== undefined);
}

function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ""))];
}

/**
 * The grants of one run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grantsFor } from "./grants.ts";
 * const grants = grantsFor({
 *   args: ["login", "--issuer", "http://127.0.0.1:8080"],
 *   env: { HOME: "/home/me", HTTPS_PROXY: "http://me:pw@proxy.corp:3128" },
 *   os: "linux",
 *   programs: ["xdg-open", "ss"],
 * });
 * assert.deepEqual(grants.net, [
 *   "127.0.0.1:1455", "127.0.0.1:1457", "auth.openai.com", "api.openai.com", "chatgpt.com",
 *   "127.0.0.1:8080", "proxy.corp:3128",
 * ]);
 * assert.deepEqual(grants.write, ["/home/me/.codex"]);
 * assert.deepEqual(grants.run, ["xdg-open", "ss"]);
 * ```
 */
export function grantsFor(input: GrantInput): Grants {
  const home = homeOf(input);
  const hostFlags = GRANT_RULES.hostFlags.map((name) => {
    const value = flagValue(input.args, name);
    return value === undefined ? undefined : hostOf(value, `--${name}`);
  });
  const proxies = GRANT_RULES.proxyVars.map((name) => {
    const value = input.env[name];
    return value ? hostOf(value, name, true) : undefined;
  });
  const caVar = GRANT_RULES.caVars.find((name) => input.env[name]);
  const ca = caVar ? pathOf(input.env[caVar], caVar) : undefined;
  const files = GRANT_RULES.readVars.map((name) => pathOf(input.env[name], name));
  const candidates = candidatePrograms(input.os);
  const reads = input.binding ? bindingReads(input.os) : [];
  return {
    net: unique([
      ...loopback(input),
      ...GRANT_RULES.fixedHosts,
      ...hostFlags,
      ...configHosts(input.args),
      ...proxies,
    ]),
    read: unique([home, ca, ...files, ...reads]),
    write: unique([home]),
    env: [...GRANT_RULES.envNames],
    run: unique([
      ...candidates.filter((program) => input.programs.includes(program)),
      ...(input.os === "windows" ? [] : browserPrograms(input.env[GRANT_RULES.browserVar])),
    ]),
    ffi: unique([input.binding]),
    sys: ["uid"],
  };
}

/** A grant list as one flag value: commas inside a value escaped (`,,`), so none adds a grant. */
function joined(values: readonly string[]): string {
  return values.map((v) => v.replaceAll(",", ",,")).join(",");
}

/**
 * The `deno run` flags of some grants, in a fixed order; an empty list grants nothing (no
 * flag at all).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoFlags } from "./grants.ts";
 * assert.deepEqual(
 *   denoFlags({ net: ["a.example"], read: ["/h/a,b"], write: [], env: [], run: [], ffi: [],
 *     sys: ["uid"] }),
 *   ["--allow-net=a.example", "--allow-read=/h/a,,b", "--allow-sys=uid"],
 * );
 * ```
 */
export function denoFlags(grants: Grants): string[] {
  const order: (keyof Grants)[] = ["net", "read", "write", "env", "run", "ffi", "sys"];
  return order.flatMap((kind) =>
    grants[kind].length > 0 ? [`--allow-${kind}=${joined(grants[kind])}`] : []
  );
}

/**
 * The grants baked into a compiled binary (`make compile`), which cannot look at its
 * arguments or environment first: the default loopback ports and the issuer and API hosts,
 * `scope` as the codex home (empty: any path, for binaries handed to others), every program
 * `os` may run, no keyring binding (a compiled binary carries none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compiledFlags } from "./grants.ts";
 * const flags = compiledFlags("darwin", "");
 * assert.ok(flags.includes("--allow-read") && flags.includes("--allow-write"));
 * assert.ok(flags.includes("--allow-run=open,lsof"));
 * ```
 */
export function compiledFlags(os: string, scope: string): string[] {
  const grants = grantsFor({
    args: [],
    env: scope ? { CODEX_HOME: scope } : {},
    os,
    programs: candidatePrograms(os),
  });
  const flags = denoFlags(grants);
  return scope ? flags : [...flags, "--allow-read", "--allow-write"];
}
