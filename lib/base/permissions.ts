/**
 * Deno permissions the program needs beyond `--allow-net --allow-write`: it asks through
 * Deno's own prompt when there is a terminal, and otherwise says in one line what to pass.
 *
 * @module
 */

import { LoginError } from "./errors.ts";
import { denoRunCommand, type Invocation, invocation } from "./invocation.ts";

/**
 * Make sure a permission is granted: granted already, or granted at Deno's prompt. Throws a
 * {@linkcode LoginError} (exit 2) that names the flag to pass when it is not.
 *
 * @example
 * ```ts
 * import { ensurePermission } from "./permissions.ts";
 * // Granted already (or at the prompt): resolves. Denied: a LoginError naming the flag.
 * const home = await Deno.makeTempDir();
 * await ensurePermission({ name: "read", path: home }, "to read auth.json");
 * ```
 */
export async function ensurePermission(
  descriptor: Deno.PermissionDescriptor,
  why: string,
  alternative?: string,
): Promise<void> {
  let state = (await Deno.permissions.query(descriptor)).state;
  if (state === "prompt") state = (await Deno.permissions.request(descriptor)).state;
  if (state === "granted") return;
  throw permissionError(descriptor, why, alternative);
}

/**
 * Make sure every permission of `descriptors` is granted (asking at Deno's prompt for those that
 * can be asked); throws one {@linkcode LoginError} (exit 2) naming every flag still missing.
 *
 * @example
 * ```ts
 * import { ensureAllPermissions } from "./permissions.ts";
 * const home = await Deno.makeTempDir();
 * await ensureAllPermissions([{ name: "read", path: home }], "to read auth.json");
 * ```
 */
export async function ensureAllPermissions(
  descriptors: readonly Deno.PermissionDescriptor[],
  why: string,
  alternative?: string,
): Promise<void> {
  const missing: Deno.PermissionDescriptor[] = [];
  for (const descriptor of descriptors) {
    let state = (await Deno.permissions.query(descriptor)).state;
    if (state === "prompt") state = (await Deno.permissions.request(descriptor)).state;
    if (state !== "granted") missing.push(descriptor);
  }
  if (missing.length === 0) return;
  if (missing.length === 1) throw permissionError(missing[0], why, alternative);
  const how = invocation();
  const advice = how === "deno-run"
    ? `run it again with ${missing.map(grantFlag).join(" ")}`
    : grantAdvice(missing[0], how);
  throw new LoginError("permission", {
    what: `codex-login needs ${missing.map(describe).join(", ")} ${why}.`,
    next: `${advice[0].toUpperCase()}${advice.slice(1)}${
      alternative ? `, or ${alternative}` : ""
    }.`,
  });
}

/**
 * The one way a missing permission is said: what codex-login needs and why, then the flag (or
 * command) that grants it, and `alternative` when there is another way. Exit 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permissionError } from "./permissions.ts";
 * const err = permissionError({ name: "read", path: "/home/me/.codex" }, "to read config.toml");
 * assert.equal(err.what, "codex-login needs read access to /home/me/.codex to read config.toml.");
 * assert.equal(err.next, "Run it again with --allow-read=/home/me/.codex.");
 * assert.equal(err.exitCode, 2);
 * ```
 */
export function permissionError(
  descriptor: Deno.PermissionDescriptor,
  why: string,
  alternative?: string,
): LoginError {
  const advice = grantAdvice(descriptor);
  return new LoginError("permission", {
    what: `codex-login needs ${describe(descriptor)}${why ? ` ${why}` : ""}.`,
    next: `${advice[0].toUpperCase()}${advice.slice(1)}${
      alternative ? `, or ${alternative}` : ""
    }.`,
  });
}

/**
 * How to grant a permission, in words that fit how codex-login was started: a flag for
 * `deno run`; `CODEX_HOME=` for `make login` (which scopes files to the codex home); for the
 * installed launcher and compiled binaries, whose permissions are fixed, what to change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grantAdvice } from "./permissions.ts";
 * const read = { name: "read", path: "/srv/codex" } as const;
 * assert.equal(grantAdvice(read, "deno-run"), "run it again with --allow-read=/srv/codex");
 * assert.equal(grantAdvice(read, "make"), "run make login CODEX_HOME=/srv/codex");
 * assert.match(grantAdvice(read, "installed"), /--codex-home \/srv\/codex/);
 * ```
 */
export function grantAdvice(d: Deno.PermissionDescriptor, how: Invocation = invocation()): string {
  const path = "path" in d ? d.path : undefined;
  const file = (d.name === "read" || d.name === "write") && path;
  switch (how) {
    case "make":
      return file
        ? `run make login CODEX_HOME=${path}`
        : `run it with ${denoRunCommand([grantFlag(d)])}`;
    case "installed":
    case "npm":
    case "npx":
      if (file) {
        return `the installed codex-login grants files only inside the codex home: pass --codex-home ${path} (or set CODEX_HOME)`;
      }
      return d.name === "net"
        ? `the installed codex-login reaches only the hosts its options name: run it again naming ${d.host}, e.g. --issuer with the issuer this session was signed in at`
        : `the installed codex-login was not granted it: reinstall it (make install, or npm install -g codex-login)`;
    case "compiled":
      return `this binary was built without it; rebuild with make compile (CODEX_HOME_SCOPE= for any directory), or run ${
        denoRunCommand([grantFlag(d)])
      }`;
    default:
      return `run it again with ${grantFlag(d)}`;
  }
}

/**
 * Read an environment variable. When env access is not granted yet: `prompt: true` asks at
 * Deno's prompt (on a terminal); otherwise the variable counts as unset. An empty value counts
 * as unset too, unless `keepEmpty`.
 */
export function readEnv(name: string, prompt = false, keepEmpty = false): string | undefined {
  const descriptor: Deno.PermissionDescriptor = { name: "env", variable: name };
  let state = Deno.permissions.querySync(descriptor).state;
  if (state === "prompt" && prompt) state = Deno.permissions.requestSync(descriptor).state;
  if (state !== "granted") return undefined;
  const value = Deno.env.get(name);
  return value === undefined || (value === "" && !keepEmpty) ? undefined : value;
}

function describe(d: Deno.PermissionDescriptor): string {
  switch (d.name) {
    case "read":
      return `read access to ${d.path ?? "files"}`;
    case "write":
      return `write access to ${d.path ?? "files"}`;
    case "env":
      return `to read the environment variable ${d.variable ?? ""}`.trimEnd();
    case "run":
      return `to run ${d.command ?? "programs"}`;
    case "net":
      return `network access to ${d.host ?? "the network"}`;
    case "ffi":
      return d.path ? `to load the native library in ${d.path}` : "the ffi permission";
    default:
      return `the ${d.name} permission`;
  }
}

/**
 * The `deno run` flag that grants a permission, e.g. `--allow-read=/home/me/.codex`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grantFlag } from "./permissions.ts";
 * assert.equal(grantFlag({ name: "net", host: "auth.openai.com" }), "--allow-net=auth.openai.com");
 * ```
 */
export function grantFlag(d: Deno.PermissionDescriptor): string {
  switch (d.name) {
    case "read":
      return d.path ? `--allow-read=${d.path}` : "--allow-read";
    case "write":
      return d.path ? `--allow-write=${d.path}` : "--allow-write";
    case "env":
      return d.variable ? `--allow-env=${d.variable}` : "--allow-env";
    case "run":
      return d.command ? `--allow-run=${d.command}` : "--allow-run";
    case "net":
      return d.host ? `--allow-net=${d.host}` : "--allow-net";
    case "ffi":
      return d.path ? `--allow-ffi=${d.path}` : "--allow-ffi";
    default:
      return `--allow-${d.name}`;
  }
}
