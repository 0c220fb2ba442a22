/**
 * The npm package's launcher (tools/npm/launcher.ts), its pure parts on every platform npm
 * runs on: which `@deno/…` package it looks for, the one line where there is none, how it tells
 * a global install from npx's cache, which programs it finds on PATH (PATHEXT on Windows), and
 * the command it starts. Its grants are held to the other launchers' by tests/base/grants_test.ts;
 * the real thing runs in tests/npm_package_test.ts.
 */

import assert from "node:assert/strict";
import {
  denoTarget,
  grantOs,
  inForeground,
  type LaunchInput,
  launchPlan,
  noDeno,
  npmInstall,
  programsOnPath,
  reportsGlibc,
} from "../tools/npm/launcher.ts";

Deno.test("npm launcher: the @deno package of each platform the deno package covers, none elsewhere", () => {
  assert.equal(denoTarget("linux", "x64", false), "linux-x64-glibc");
  assert.equal(denoTarget("linux", "arm64", false), "linux-arm64-glibc");
  assert.equal(denoTarget("darwin", "arm64", false), "darwin-arm64");
  assert.equal(denoTarget("darwin", "x64", false), "darwin-x64");
  assert.equal(denoTarget("win32", "x64", false), "win32-x64");
  assert.equal(denoTarget("win32", "arm64", false), "win32-arm64");
  assert.equal(denoTarget("linux", "x64", true), undefined, "musl");
  assert.equal(denoTarget("freebsd", "x64", false), undefined);
  assert.equal(denoTarget("linux", "ia32", false), undefined);
  assert.equal(denoTarget("win32", "ia32", false), undefined);
  assert.equal(grantOs("win32"), "windows");
  assert.equal(grantOs("darwin"), "darwin");
});

Deno.test("npm launcher: glibc is told from musl by Node's report header", () => {
  assert.equal(reportsGlibc({ header: { glibcVersionRuntime: "2.36" } }), true);
  assert.equal(reportsGlibc({ header: {} }), false);
  assert.equal(reportsGlibc(undefined), false);
  assert.equal(reportsGlibc("text"), false);
});

const NESTED = [
  "/p/lib/node_modules/codex-login/node_modules/@deno/linux-x64-glibc/package.json",
  "/p/lib/node_modules/codex-login/node_modules/@deno/linux-x64-glibc/deno",
  "/p/lib/node_modules/codex-login/node_modules/@napi-rs/keyring/package.json",
  "/p/bin/codex-login",
];

function input(over: Partial<LaunchInput> = {}, files = new Set(NESTED)): LaunchInput {
  return {
    dir: "/p/lib/node_modules/codex-login",
    args: ["status"],
    env: { HOME: "/home/me", PATH: "/usr/bin" },
    platform: "linux",
    arch: "x64",
    musl: false,
    programs: ["ss"],
    exists: (path) => files.has(path),
    ...over,
  };
}

Deno.test("npm launcher: starts npm's Deno on the bundle with the grants, the binding where npm put it", () => {
  const plan = launchPlan(input());
  assert.ok(plan.ok);
  const pkg = "/p/lib/node_modules/codex-login";
  assert.equal(plan.command, `${pkg}/node_modules/@deno/linux-x64-glibc/deno`);
  assert.deepEqual(plan.args.slice(0, 5), [
    "run",
    "--quiet",
    "--no-prompt",
    "--config",
    `${pkg}/deno.json`,
  ]);
  assert.deepEqual(plan.args.slice(-2), [`${pkg}/codex-login.js`, "status"]);
  assert.ok(plan.args.includes(`--allow-ffi=${pkg}/node_modules/@napi-rs`));
  assert.ok(plan.args.includes("--allow-run=ss"));
  assert.equal(plan.env.CODEX_LOGIN_INVOCATION, "npm");
  assert.equal(plan.env.CODEX_LOGIN_INSTALL, `npm install -g (${pkg})`);
  assert.equal(plan.env.DENO_NO_UPDATE_CHECK, "1");
  assert.equal(plan.env.HOME, "/home/me", "the environment is passed on");
});

Deno.test("npm launcher: hoisted (npx's cache, a project): Deno and the binding beside the package", () => {
  const modules = "/c/_npx/ab/node_modules";
  const plan = launchPlan(input(
    { dir: `${modules}/codex-login` },
    new Set([
      `${modules}/@deno/linux-x64-glibc/package.json`,
      `${modules}/@deno/linux-x64-glibc/deno`,
      `${modules}/@napi-rs/keyring/package.json`,
    ]),
  ));
  assert.ok(plan.ok);
  assert.equal(plan.command, `${modules}/@deno/linux-x64-glibc/deno`);
  assert.ok(plan.args.includes(`--allow-ffi=${modules}/@napi-rs`));
  assert.equal(plan.env.CODEX_LOGIN_INVOCATION, "npx");
});

Deno.test("npm launcher: no keyring binding installed: no ffi grant at all", () => {
  const plan = launchPlan(input({}, new Set(NESTED.filter((p) => !p.includes("@napi-rs")))));
  assert.ok(plan.ok);
  assert.ok(!plan.args.some((a) => a.startsWith("--allow-ffi")));
});

Deno.test("npm launcher: a value Deno cannot take is refused in one line, exit 2, no value shown", () => {
  const plan = launchPlan(input({ env: { HOME: "/h", HTTPS_PROXY: "http://u:Secr3t@p:1,evil" } }));
  assert.ok(!plan.ok);
  assert.equal(plan.exitCode, 2);
  assert.match(plan.message, /^codex-login: HTTPS_PROXY is not a URL with a host/);
  assert.ok(!plan.message.includes("Secr3t") && !plan.message.includes("evil"));
});

Deno.test("npm launcher: no Deno for this platform: one line naming the release binary and from source", () => {
  for (const over of [{ musl: true }, { platform: "freebsd" }, { arch: "ia32" }]) {
    const plan = launchPlan(input(over));
    assert.ok(!plan.ok);
    assert.equal(plan.exitCode, 1);
    assert.equal(plan.message.split("\n").length, 1);
    assert.match(
      plan.message,
      /^codex-login: npm has no Deno runtime for \S+ \(only Linux with glibc, macOS and Windows/,
    );
    assert.match(plan.message, /release binary/);
    assert.match(
      plan.message,
      /deno run --allow-net --allow-write \/p\/lib\/node_modules\/codex-login\/codex-login\.js$/,
    );
  }
  assert.match(noDeno(input({ musl: true }), undefined), /linux-x64-musl/);
});

Deno.test("npm launcher: the Deno package left out (--omit=optional): one line saying how to reinstall", () => {
  const plan = launchPlan(input({}, new Set(NESTED.filter((p) => !p.endsWith("/deno")))));
  assert.ok(!plan.ok);
  assert.equal(plan.exitCode, 1);
  assert.match(
    plan.message,
    /^codex-login: the Deno runtime for linux-x64-glibc \(@deno\/linux-x64-glibc\) is not installed beside codex-login \(.*\): install codex-login again here, without --omit=optional\.$/,
  );
});

Deno.test("npm launcher: global install, npx's cache and a project are told apart", () => {
  const has = (...paths: string[]) => (p: string) => paths.includes(p);
  assert.deepEqual(
    npmInstall(
      "/usr/local/lib/node_modules/codex-login",
      "linux",
      has("/usr/local/bin/codex-login"),
    ),
    { invocation: "npm", install: "npm install -g (/usr/local/lib/node_modules/codex-login)" },
  );
  assert.equal(
    npmInstall("/home/me/.npm/_npx/0a1b/node_modules/codex-login", "linux", () => true).invocation,
    "npx",
  );
  assert.match(
    npmInstall("/home/me/.npm/_npx/0a1b/node_modules/codex-login", "linux", () => true).install,
    /^npx, from npm's cache \(/,
  );
  assert.deepEqual(npmInstall("/work/app/node_modules/codex-login", "linux", () => false), {
    invocation: "npx",
    install: "npm install, in a project (/work/app/node_modules/codex-login)",
  });
  const win = "C:\\Users\\me\\AppData\\Roaming\\npm\\node_modules\\codex-login";
  assert.equal(
    npmInstall(win, "win32", has("C:\\Users\\me\\AppData\\Roaming\\npm\\codex-login.cmd"))
      .invocation,
    "npm",
  );
  assert.equal(
    npmInstall(
      "C:\\Users\\me\\AppData\\Local\\npm-cache\\_npx\\ab\\node_modules\\codex-login",
      "win32",
      () => true,
    ).invocation,
    "npx",
  );
});

Deno.test("npm launcher: programs are found on PATH as a shell finds them (PATHEXT on Windows)", () => {
  // Windows file names match whatever their case (PATHEXT is upper case, the file lower).
  const files = new Set(["/usr/bin/ss", "/opt/x/xdg-open", "c:\\windows\\system32\\rundll32.exe"]);
  const isRunnable = (p: string) => files.has(p.includes("\\") ? p.toLowerCase() : p);
  assert.deepEqual(
    programsOnPath(["xdg-open", "ss", "lsof"], { PATH: "/usr/bin:/opt/x/" }, false, isRunnable),
    ["xdg-open", "ss"],
  );
  assert.deepEqual(programsOnPath(["ss"], {}, false, isRunnable), []);
  assert.deepEqual(
    programsOnPath(
      ["rundll32"],
      { Path: "C:\\Windows\\System32;C:\\x", PATHEXT: ".COM;.EXE" },
      true,
      isRunnable,
    ),
    ["rundll32"],
  );
});

Deno.test("npm launcher: in the terminal's foreground group (Ctrl-C reaches Deno too) or not", () => {
  // pid (name) state ppid pgrp session tty tpgid: foreground when tpgid is its group.
  assert.equal(inForeground("4242 (node) S 100 4242 100 34816 4242 4194560 0 0"), true);
  assert.equal(inForeground("4242 (my (odd) name) S 100 4242 100 34816 4242 0"), true);
  assert.equal(inForeground("4242 (node) S 100 4242 100 34816 4300 4194560"), false, "background");
  assert.equal(inForeground("4242 (node) S 100 4242 4242 0 -1 4194560"), false, "no terminal");
});
