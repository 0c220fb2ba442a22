import assert from "node:assert/strict";
import { loadSettings, parseSettings } from "../../lib/store/config.ts";
import { LoginError } from "../../lib/base/errors.ts";
import { tempHome } from "../support/helpers.ts";

Deno.test("config.toml: the keys Codex uses for sign-in policy; unknown keys ignored", () => {
  const s = parseSettings(
    [
      'model = "o3"',
      'forced_login_method = "api"',
      'forced_chatgpt_workspace_id = ["ws-a", "ws-b"]',
      'cli_auth_credentials_store = "file"',
      "[mcp_servers.x]",
      'command = "y"',
    ].join("\n"),
    "/h/config.toml",
  );
  assert.equal(s.forcedLoginMethod, "api");
  assert.deepEqual(s.forcedWorkspaceIds, ["ws-a", "ws-b"]);
  assert.equal(s.credentialsStore, "file");
  assert.deepEqual(parseSettings('forced_chatgpt_workspace_id = "ws-a"', "c").forcedWorkspaceIds, [
    "ws-a",
  ]);
  const empty = parseSettings("", "c");
  assert.equal(empty.forcedLoginMethod, undefined);
  assert.equal(empty.forcedWorkspaceIds, undefined);
  assert.equal(empty.credentialsStore, undefined);
});

Deno.test("config.toml: a comma inside one workspace string is an error, as in Codex", () => {
  assert.throws(
    () => parseSettings('forced_chatgpt_workspace_id = "ws-a,ws-b"', "/h/config.toml"),
    (e: unknown) =>
      e instanceof LoginError && e.exitCode === 2 &&
      /TOML list of strings; comma-separated strings are not supported/.test(e.message),
  );
});

Deno.test("config.toml: bad values and bad TOML name the file (and line), exit 2", () => {
  assert.throws(
    () => parseSettings('forced_login_method = "sso"', "/h/config.toml"),
    /\/h\/config\.toml: forced_login_method must be one of "chatgpt", "api", got "sso"/,
  );
  assert.throws(
    () => parseSettings('cli_auth_credentials_store = "vault"', "/h/config.toml"),
    /cli_auth_credentials_store must be one of "file", "keyring", "auto", "ephemeral"/,
  );
  assert.throws(
    () => parseSettings('model = "o3"\nforced_login_method = \n', "/h/config.toml"),
    (e: unknown) =>
      e instanceof LoginError && e.exitCode === 2 &&
      /^\/h\/config\.toml, line 2: not valid TOML/.test(e.message) &&
      !e.message.includes("\n"),
  );
});

Deno.test("-c overrides: TOML values or bare strings, dotted keys, applied over the file", () => {
  const s = parseSettings('forced_login_method = "api"', "c", [
    "forced_login_method=chatgpt",
    'forced_chatgpt_workspace_id=["w1","w2"]',
    "profiles.work.model = o3",
  ]);
  assert.equal(s.forcedLoginMethod, "chatgpt");
  assert.deepEqual(s.forcedWorkspaceIds, ["w1", "w2"]);
  assert.throws(() => parseSettings("", "c", ["novalue"]), /-c expects key=value/);
});

Deno.test("loadSettings: a missing file is the defaults; the file is read from the codex home", async () => {
  await using h = await tempHome();
  assert.deepEqual((await loadSettings(h.home)).forcedLoginMethod, undefined);
  await Deno.mkdir(h.home.path);
  await Deno.writeTextFile(h.home.config, 'forced_login_method = "chatgpt"\n');
  const settings = await loadSettings(h.home);
  assert.equal(settings.forcedLoginMethod, "chatgpt");
  assert.equal(settings.configFile, h.home.config);
});

Deno.test({
  name: "config.toml pointing at /dev/zero, or over 1 MiB, is refused with a clear error",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using h = await tempHome();
    await Deno.mkdir(h.home.path, { mode: 0o700 });
    await Deno.symlink("/dev/zero", h.home.config);
    await assert.rejects(loadSettings(h.home), /not a regular file/);
    await Deno.remove(h.home.config);
    await Deno.writeTextFile(h.home.config, `# ${"x".repeat(1024 * 1024)}\n`);
    await assert.rejects(loadSettings(h.home), /larger than 1048576 bytes/);
  },
});
