/**
 * How the person started codex-login, so that every hint names a command they can type: the
 * installed launcher (`make install` sets `CODEX_LOGIN_INVOCATION=installed`), `make login`
 * (`=make`), the npm package's launcher (`=npm` when installed with `npm install -g`, `=npx`
 * when run through npx or from a project), a compiled binary, or `deno run … main.ts` from a
 * checkout.
 *
 * @module
 */

/** The ways codex-login is started. */
export type Invocation = "installed" | "make" | "npm" | "npx" | "compiled" | "deno-run";

function env(name: string): string | undefined {
  const granted = Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
  return granted ? Deno.env.get(name) : undefined;
}

/** How this process was started. */
export function invocation(): Invocation {
  const said = env("CODEX_LOGIN_INVOCATION");
  if (said === "installed" || said === "make" || said === "npm" || said === "npx") return said;
  if (Deno.mainModule.includes("/deno-compile-")) return "compiled";
  return "deno-run";
}

/**
 * The command line that runs codex-login with `args` the way it was started this time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandLine } from "./invocation.ts";
 * assert.equal(commandLine(["login", "--device-auth"], "installed"), "codex-login login --device-auth");
 * assert.equal(commandLine(["login", "--device-auth"], "make"), "make login ARGS='--device-auth'");
 * assert.equal(commandLine(["status"], "make"), "codex-login status");
 * assert.equal(commandLine(["login", "--device-auth"], "npx"), "npx codex-login login --device-auth");
 * assert.equal(commandLine(["status"], "npm"), "codex-login status");
 * assert.match(commandLine(["status"], "deno-run"), /^deno run --allow-net --allow-write \S+ status$/);
 * ```
 */
export function commandLine(args: string[], how: Invocation = invocation()): string {
  if (how === "make" && (args.length === 0 || args[0] === "login")) {
    const rest = args.slice(1).join(" ");
    return rest ? `make login ARGS='${rest}'` : "make login";
  }
  if (how === "deno-run") return [denoRunCommand(), ...args].join(" ");
  if (how === "npx") return ["npx codex-login", ...args].join(" ");
  return ["codex-login", ...args].join(" ");
}

/**
 * `deno run` with the README's two grants and `flags` before the script (main.ts, or the bundle):
 * what runs this checkout again with more permissions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoRunCommand } from "./invocation.ts";
 * assert.match(denoRunCommand(["--allow-ffi=/x"]), /^deno run --allow-ffi=\/x --allow-net --allow-write \S+$/);
 * ```
 */
export function denoRunCommand(flags: readonly string[] = []): string {
  const script = Deno.mainModule.replace(/^.*\//, "") || "main.ts";
  return ["deno run", ...flags, "--allow-net --allow-write", script].join(" ");
}

/**
 * How this copy was installed, for `--version`: the launcher's own words (`make install (DIR)`,
 * `npm install -g (DIR)`, `npx, from npm's cache (DIR)`), a compiled binary, or a checkout run
 * with `deno run`.
 */
export function installDescription(how: Invocation = invocation()): string {
  if (how === "installed") return env("CODEX_LOGIN_INSTALL") ?? "make install";
  if (how === "npm" || how === "npx") return env("CODEX_LOGIN_INSTALL") ?? `npm (${how})`;
  if (how === "compiled") return `compiled binary (${Deno.execPath()})`;
  if (how === "make") return "make login, from a checkout";
  return `deno run, from ${Deno.mainModule.replace(/^file:\/\//, "")}`;
}
