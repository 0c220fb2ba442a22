import assert from "node:assert/strict";
import { ROOT, runCommand } from "./support/helpers.ts";

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  return runCommand(cmd, {
    args,
    cwd: ROOT,
    env: { DENO: Deno.execPath(), NO_COLOR: "1", ...env },
  });
}

/** Run `cmd` in `cwd` with exactly `env` (nothing inherited). */
function runIn(cwd: string, cmd: string, args: string[], env: Record<string, string>) {
  return runCommand(cmd, { args, cwd, env, clearEnv: true });
}

const { default: config } = await import("../deno.json", { with: { type: "json" } });

Deno.test("make compile: five targets, versioned names, scoped permissions, pages embedded", async () => {
  const { code, stdout } = await run("bash", ["tools/compile.sh"], {
    DRY_RUN: "1",
    CODEX_HOME_SCOPE: "/home/u/.codex",
  });
  assert.equal(code, 0);
  const lines = stdout.trim().split("\n");
  const targets = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
  ];
  assert.equal(lines.length, targets.length);
  for (const [i, target] of targets.entries()) {
    const line = lines[i];
    const exe = target.includes("windows") ? ".exe" : "";
    assert.ok(line.includes(` compile `), line);
    assert.ok(line.includes(`--target ${target} `), line);
    assert.ok(line.includes(`--output dist/codex-login-${config.version}-${target}${exe} `), line);
    assert.ok(
      line.includes(
        "--allow-net=127.0.0.1:1455,127.0.0.1:1457,auth.openai.com,api.openai.com",
      ),
    );
    assert.ok(line.includes("--allow-read=/home/u/.codex --allow-write=/home/u/.codex"));
    assert.ok(
      line.includes(
        "--allow-env=CODEX_HOME,HOME,USERPROFILE,BROWSER,WSL_DISTRO_NAME,CODEX_INTERNAL_ORIGINATOR_OVERRIDE",
      ),
    );
    const openers = target.includes("linux")
      ? "xdg-open,wslview,rundll32.exe,ss"
      : target.includes("apple")
      ? "open"
      : "rundll32";
    assert.ok(line.includes(`--allow-run=${openers} `), line);
    assert.ok(!/--allow-all|-A\b|--allow-sys|--allow-ffi/.test(line), line);
    assert.ok(line.endsWith(" main.ts"));
  }
});

Deno.test("make compile: DENORT_BIN builds only this machine's target", async () => {
  const { stdout } = await run("bash", ["tools/compile.sh"], {
    DRY_RUN: "1",
    DENORT_BIN: "/opt/denort",
  });
  assert.equal(stdout.trim().split("\n").length, 1);
});

Deno.test("make compile without denort: one clear line, no stack of errors", async () => {
  const { code, stderr } = await run("bash", ["tools/compile.sh"], {
    TARGETS: "x86_64-unknown-linux-gnu",
    CODEX_HOME_SCOPE: "/tmp/none",
  });
  if (code === 0) return; // a machine that can reach denort built it for real
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^make compile: deno compile needs the denort runtime .*DENORT_BIN/);
});

Deno.test({
  name: "bundle: one file that runs with only --allow-net --allow-write",
  ignore: !(() => {
    try {
      Deno.statSync(`${ROOT}dist/codex-login.js`);
      return true;
    } catch {
      return false;
    }
  })(),
  async fn() {
    const bundle = await Deno.readTextFile(`${ROOT}dist/codex-login.js`);
    assert.ok(!/from\s*["']\.\.?\//.test(bundle), "no relative imports left");
    assert.ok(bundle.includes("You are signed in"), "pages are inlined");
    const { code, stdout } = await run(Deno.execPath(), [
      "run",
      "--allow-net",
      "--allow-write",
      "dist/codex-login.js",
      "--version",
    ]);
    assert.equal(code, 0);
    assert.equal(stdout.trim().split("\n")[0], `codex-login ${config.version}`);
  },
});

Deno.test({
  name: "make install PREFIX=DIR: DIR/bin/codex-login runs from anywhere with no deno on PATH",
  ignore: Deno.build.os === "windows",
  async fn() {
    const prefix = await Deno.makeTempDir({ prefix: "codex-login-install-" });
    const home = await Deno.makeTempDir();
    try {
      const install = await run("make", ["install", `PREFIX=${prefix}`]);
      assert.equal(install.code, 0, install.stderr);
      const bare = { PATH: "/usr/bin:/bin", HOME: home };
      const cmd = `${prefix}/bin/codex-login`;
      const version = await runIn(home, cmd, ["--version"], bare);
      assert.equal(version.code, 0, version.stderr);
      const [name, deno, how] = version.stdout.trim().split("\n");
      assert.equal(name, `codex-login ${config.version}`);
      assert.match(deno, /^Deno \d+\.\d+\.\d+$/);
      assert.match(how, new RegExp(`^installed: make install \\(${prefix}/lib/codex-login\\)$`));
      // Its own words: a hint names the installed command, a file outside the codex home
      // the flag that grants it.
      const status = await runIn(home, cmd, ["status", "--codex-home", `${home}/elsewhere`], bare);
      assert.equal(status.code, 1, status.stderr);
      assert.equal(status.stdout.trim(), "Not logged in");
      const device = await runIn(home, cmd, ["login", "--device-auth", "--with-api-key"], bare);
      assert.match(device.stderr, /cannot be used together\. Run codex-login login --help\./);
      // The keyring binding travels with it: loading it reaches D-Bus (absent here), not a
      // missing module.
      const keyring = await runIn(
        home,
        cmd,
        ["status", "-c", "cli_auth_credentials_store=keyring"],
        bare,
      );
      assert.doesNotMatch(keyring.stderr, /binding could not be loaded/);
      // Completion as a person loads it: the installed command's bash script, on its PATH.
      const line = `codex-login --codex-home ${home} status --j`;
      const completion = await runIn(home, "/bin/bash", [
        "--norc",
        "-c",
        'eval "$(codex-login completion bash)" && COMP_LINE=$1 COMP_POINT=${#1} && ' +
        'COMP_WORDS=($1) && COMP_CWORD=4 && _codex_login && echo "${COMPREPLY[*]}"',
        "bash",
        line,
      ], { ...bare, PATH: `${prefix}/bin:/usr/bin:/bin` });
      assert.equal(completion.stdout.trim(), "--json", completion.stderr);
      const uninstall = await run("make", ["uninstall", `PREFIX=${prefix}`]);
      assert.equal(uninstall.code, 0, uninstall.stderr);
      await assert.rejects(Deno.stat(cmd), Deno.errors.NotFound);
      await assert.rejects(Deno.stat(`${prefix}/lib/codex-login`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(prefix, { recursive: true }).catch(() => {});
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});
