import assert from "node:assert/strict";
import { LoginError } from "../../lib/base/errors.ts";
import { cancelSecretPort, CodexHome, homeUnusable, joinPath } from "../../lib/store/codex_home.ts";
import { tempHome } from "../support/helpers.ts";

Deno.test("codex home: flag, then $CODEX_HOME, then ~/.codex (USERPROFILE on Windows)", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(
    CodexHome.resolve({ flag: "/x", env: env({ CODEX_HOME: "/y" }), platform: "linux" }).path,
    "/x",
  );
  assert.equal(
    CodexHome.resolve({ env: env({ CODEX_HOME: "/y", HOME: "/h" }), platform: "linux" }).path,
    "/y",
  );
  assert.equal(
    CodexHome.resolve({ env: env({ HOME: "/h" }), platform: "darwin" }).path,
    "/h/.codex",
  );
  assert.equal(
    CodexHome.resolve({
      env: env({ USERPROFILE: "C:\\Users\\me", HOME: "/h" }),
      platform: "windows",
    }).path,
    "C:\\Users\\me\\.codex",
  );
  assert.throws(
    () => CodexHome.resolve({ env: env({}), platform: "linux" }),
    (e: unknown) => e instanceof LoginError && e.exitCode === 2 && /--codex-home/.test(e.message),
  );
  // HOME may be read (granted) but is unset: say to set it, not to grant what is granted.
  assert.throws(
    () => CodexHome.resolve({ env: env({}), platform: "linux" }),
    (e: unknown) =>
      e instanceof LoginError && /\$HOME is unset\)/.test(e.message) &&
      /set CODEX_HOME or HOME/.test(e.message) && !/--allow-env/.test(e.message),
  );
});

Deno.test("paths join with the platform's separator", () => {
  assert.equal(joinPath("linux", "/home/me/", ".codex"), "/home/me/.codex");
  assert.equal(joinPath("linux", "/", "auth.json"), "/auth.json");
  assert.equal(joinPath("darwin", "rel/dir", "auth.json"), "rel/dir/auth.json");
  assert.equal(joinPath("windows", "C:\\Users\\me\\", ".codex"), "C:\\Users\\me\\.codex");
  assert.equal(joinPath("windows", "D:/x", "auth.json"), "D:/x\\auth.json");
});

Deno.test("every file of the codex home is named by the home, with the platform's separator", () => {
  const home = new CodexHome("/home/me/.codex", "linux");
  assert.equal(home.authFile, "/home/me/.codex/auth.json");
  assert.equal(home.authLock, "/home/me/.codex/auth.lock");
  assert.equal(home.authFileLock, "/home/me/.codex/auth.json.lock");
  assert.equal(home.authTemp, "/home/me/.codex/.auth.json.tmp");
  assert.equal(home.config, "/home/me/.codex/config.toml");
  assert.equal(home.logDir, "/home/me/.codex/log");
  assert.equal(home.logFile, "/home/me/.codex/log/codex-login.log");
  assert.equal(home.cancelSecret(1455), "/home/me/.codex/.login-1455.secret");
  assert.equal(`${home}`, "/home/me/.codex");
  const windows = new CodexHome("C:\\Users\\me\\.codex", "windows");
  assert.equal(windows.logFile, "C:\\Users\\me\\.codex\\log\\codex-login.log");
});

Deno.test("a cancel secret's name gives its port back; no other name does", () => {
  const home = new CodexHome("/h", "linux");
  const name = home.cancelSecret(1457).slice("/h/".length);
  assert.equal(cancelSecretPort(name), 1457);
  for (const other of ["auth.json", ".login-.secret", ".login-123456.secret", "x.login-1.secret"]) {
    assert.equal(cancelSecretPort(other), undefined, other);
  }
});

Deno.test("ensure creates the home and its parents 0700; ownerUid is the uid files get here", async () => {
  await using h = await tempHome();
  const home = new CodexHome(`${h.home.path}/deeper`);
  await home.ensure();
  await home.ensure(); // a second time is fine
  const info = await Deno.stat(home.path);
  assert.ok(info.isDirectory);
  if (Deno.build.os !== "windows") assert.equal(info.mode! & 0o777, 0o700);
  const probe = await Deno.makeTempFile({ dir: home.path });
  assert.equal(await home.ownerUid(), (await Deno.stat(probe)).uid);
  assert.equal(await home.probe(), (await Deno.stat(probe)).uid);
  const left = [...Deno.readDirSync(home.path)].map((e) => e.name);
  assert.ok(!left.some((n) => n.startsWith(".codex-login-probe-")), "the probe is removed");
});

Deno.test("homeUnusable names the directory, the problem and the fix; nothing changed", () => {
  const err = homeUnusable("/srv/x", "is not a directory");
  assert.equal(err.kind, "home_unusable");
  assert.equal(err.exitCode, 1);
  assert.equal(err.what, "Cannot keep your credentials in /srv/x: it is not a directory.");
  assert.match(err.next ?? "", /--codex-home DIR.*nothing was changed/);
});
