/**
 * The keyring binding loads with exactly the permissions codex-login asks for, no more; with
 * one missing, the message names a command that works.
 */
import assert from "node:assert/strict";
import { denoFlags, grantsFor } from "../../lib/base/grants.ts";
import { bindingDirectory, bindingPermissions } from "../../lib/store/keyring_binding.ts";
import { ROOT } from "../support/helpers.ts";

const dir = bindingDirectory();

/** Run the loader with these flags (a private bus address: no keyring is reached). */
async function load(flags: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...flags, `${ROOT}tests/support/keyring_load.ts`],
    env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return `${text.decode(out.stdout)}${text.decode(out.stderr)}`.trim();
}

/** What the launchers grant `status` with the binding installed. */
function statusGrants() {
  return grantsFor({
    args: ["status"],
    env: { HOME: "/nonexistent" },
    os: Deno.build.os,
    programs: [],
    binding: dir,
  });
}

Deno.test({
  name: "keyring binding: loads with the grants the launchers give, and with nothing wider",
  ignore: dir === undefined,
  async fn() {
    const grants = statusGrants();
    assert.equal(await load(denoFlags(grants)), "loaded");
    const needs = bindingPermissions(dir!, Deno.build.os);
    assert.deepEqual(needs[0], { name: "ffi", path: dir }, "ffi on the binding's folder only");
  },
});

Deno.test({
  name: "keyring binding: without its ffi grant, the message names flags that work",
  ignore: dir === undefined,
  async fn() {
    const grants = statusGrants();
    const withoutFfi = denoFlags({ ...grants, ffi: [] });
    const said = await load(withoutFfi);
    assert.match(said, /keyring binding/);
    assert.match(said, /--allow-ffi/);
    assert.doesNotMatch(said, /main\.ts --allow/, "Deno's flags come before the script");
  },
});
