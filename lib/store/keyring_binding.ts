/**
 * Where the keyring binding (`@napi-rs/keyring`) is and what loading it needs: the `ffi`
 * permission for its own directory, and (from the one permission source, `base/grants.ts`) the
 * variables its loader reads and, on Linux, `/usr/bin/ldd`. The installed command, `make login`
 * and the npm package grant exactly these; `deno run` asks at Deno's prompt on a terminal, or
 * says which flags to add. A compiled release binary carries no binding and says so at once.
 *
 * @module
 */

import { LoginError } from "../base/errors.ts";
import { bindingReads, GRANT_RULES } from "../base/grants.ts";
import { invocation } from "../base/invocation.ts";
import { ensureAllPermissions } from "../base/permissions.ts";

/**
 * The keyring binding's directory (`…/node_modules/@napi-rs`), or `undefined` when this copy of
 * codex-login carries none (a compiled binary, or a checkout without `npm ci`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bindingDirectory } from "./keyring_binding.ts";
 * assert.match(bindingDirectory() ?? "", /node_modules[\\/]@napi-rs$/);
 * ```
 */
export function bindingDirectory(): string | undefined {
  if (invocation() === "compiled") return undefined;
  try {
    const url = new URL(import.meta.resolve("@napi-rs/keyring"));
    if (url.protocol !== "file:") return undefined;
    const path = decodeURIComponent(url.pathname).replace(/^\/([A-Za-z]:)/, "$1");
    return path.replace(/[\\/]keyring[\\/][^\\/]*$/, "");
  } catch {
    return undefined;
  }
}

/**
 * The permissions loading the binding in `dir` needs on `os`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bindingPermissions } from "./keyring_binding.ts";
 * const needs = bindingPermissions("/opt/c/node_modules/@napi-rs", "linux");
 * assert.deepEqual(needs[0], { name: "ffi", path: "/opt/c/node_modules/@napi-rs" });
 * assert.ok(needs.some((d) => d.name === "read" && d.path === "/usr/bin/ldd"));
 * ```
 */
export function bindingPermissions(dir: string, os: string): Deno.PermissionDescriptor[] {
  return [
    { name: "ffi", path: dir },
    ...bindingReads(os).map((path) => ({ name: "read", path }) as const),
    ...GRANT_RULES.binding.env.map((variable) => ({ name: "env", variable }) as const),
  ];
}

/** Whether the binding can be loaded here without asking anyone. */
export function bindingReady(): boolean {
  const dir = bindingDirectory();
  if (!dir) return false;
  return bindingPermissions(dir, Deno.build.os).every((d) =>
    Deno.permissions.querySync(d).state === "granted"
  );
}

/** A compiled binary (or a copy without the binding) asked for the keyring. */
function noBinding(): LoginError {
  const compiled = invocation() === "compiled";
  return new LoginError("keyring_unavailable", {
    what: compiled
      ? "This codex-login is a compiled release binary, which carries no keyring binding."
      : "This copy of codex-login has no keyring binding (@napi-rs/keyring is not installed beside it).",
    next: compiled
      ? 'For the keyring, install it with npm (npm install -g codex-login) or make install; or set cli_auth_credentials_store = "file".'
      : 'Run npm ci in the checkout (or make install), or set cli_auth_credentials_store = "file".',
    code: "keyring_unavailable.no_binding",
  });
}

/**
 * Make sure the binding can be loaded: everything granted already, or granted at Deno's prompt
 * on a terminal. Throws a {@linkcode LoginError} naming a command that works otherwise.
 */
export async function ensureBinding(): Promise<void> {
  const dir = bindingDirectory();
  if (!dir) throw noBinding();
  await ensureAllPermissions(
    bindingPermissions(dir, Deno.build.os),
    'to load the keyring binding (cli_auth_credentials_store = "keyring")',
    'set cli_auth_credentials_store = "file"',
  );
}
