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
import { CodexHome } from "../../lib/store/codex_home.ts";
import { KEYRING_SERVICE, keyringAccount } from "../../lib/store/keyring_store.ts";
import { pack, stagePackage } from "../../tools/npm/pack.ts";
import { type LocalRegistry, registryMissing } from "../../tools/npm/local_registry.ts";
import { installGlobal, registryWithPackage } from "../../tools/npm/local_install.ts";
import { runner, signIn, smoke } from "../../tools/npm/smoke.ts";
import { CODEX_MISSING, CODEX_VERSION, codexEnv, runCodex } from "../support/codex_cli.ts";
import { startFakeIssuer } from "../support/fake_issuer.ts";
import { ROOT, runCommand, tempHome } from "../support/helpers.ts";
import { keyringMissing, startKeyring } from "../support/keyring_session.ts";

const NODE = (await runCommand("sh", { args: ["-c", "command -v node"] })).stdout.trim();

/** node and npm, no deno: what a Codex user's PATH has. */
const BARE_PATH = [...new Set([NODE.replace(/\/node$/, ""), "/usr/bin", "/bin"])].join(":");

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
    "package/bin/codex-login.mjs",
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
  assert.deepEqual(manifest.bin, { "codex-login": "bin/codex-login.mjs" });
  assert.deepEqual(manifest.optionalDependencies, deno.optionalDependencies);
  assert.ok(Object.values(manifest.optionalDependencies).every((v) => v === deno.version));
  assert.deepEqual(manifest.dependencies, {
    "@napi-rs/keyring": root.dependencies["@napi-rs/keyring"],
  });
  assert.equal(manifest.scripts, undefined, "nothing for npm to run at install");
  const launcher = (await runCommand("tar", {
    args: ["-xzOf", f.tarball, "package/bin/codex-login.mjs"],
  })).stdout;
  assert.match(launcher, /^#!\/usr\/bin\/env node\n/);
  assert.match(launcher, /@deno\//, "it finds npm's Deno package itself");
  assert.doesNotMatch(
    launcher,
    /bin\.cjs|spawnSync/,
    "never the deno package's bin.cjs, never blocking",
  );
});

test("npm install -g --ignore-scripts, no deno on PATH: the smoke passes", async (f) => {
  await using h = await tempHome();
  const lines: string[] = [];
  await smoke([f.global], {
    env: { PATH: BARE_PATH, HOME: h.dir },
    log: (line) => lines.push(line),
  });
  assert.equal(lines.length, 5, lines.join("\n"));
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
      await signIn(command.start, issuer.url, h.home, keyring);
      await assert.rejects(Deno.stat(`${h.home}/auth.json`), Deno.errors.NotFound, name);
      const account = await keyringAccount(new CodexHome(h.home));
      const secret = await kr.lookup(KEYRING_SERVICE, account);
      assert.ok(secret && JSON.parse(secret).tokens.refresh_token, `${name}: the entry is there`);
      const codex = await runCodex(["login", "status", ...keyring], codexEnv(h.home, kr.env));
      assert.equal(`${codex.stdout}${codex.stderr}`.trim(), "Logged in using ChatGPT", name);
      const status = await command.run(["status", "--codex-home", h.home, ...keyring]);
      assert.equal(status.code, 0, `${name}: ${status.stderr}`);
    }
  },
  keyringSkip,
);

test(`Codex ${CODEX_VERSION} reads the auth.json the npm-installed command wrote`, async (f) => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await signIn(globalRunner(f, h.dir).start, issuer.url, h.home);
  const codex = await runCodex(["login", "status"], codexEnv(h.home));
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
