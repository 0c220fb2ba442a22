/**
 * The npm-installed command, for any suite that runs "the installed command": publishes the
 * packed package (`make npm-pack`) to a local registry (tools/npm/local_registry.ts), runs the
 * README's `npm install -g codex-login` into a prefix with install scripts disabled, stops the
 * registry and prints the command's path (`PREFIX/bin/codex-login`) on stdout.
 *
 *   deno run -A tools/npm/local_install.ts [--prefix DIR] [--tarball dist/codex-login-X.tgz]
 *
 * Without `--prefix`, a fresh temporary directory (the caller removes it). The command runs
 * with a PATH that holds node (it is a Node launcher) and needs nothing else: no deno, no npm.
 *
 * @module
 */

import {
  type LocalRegistry,
  publish,
  registryMissing,
  seedDependencies,
  startRegistry,
} from "./local_registry.ts";
import { ROOT, runCommand } from "../../tests/support/helpers.ts";

/** The newest `dist/codex-login-*.tgz` (from `make npm-pack`). */
export async function packedTarball(): Promise<string | undefined> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const path = `${ROOT}dist/codex-login-${config.version}.tgz`;
  return await Deno.stat(path).then(() => path, () => undefined);
}

/** A registry holding the packed package and what installing it fetches. */
export async function registryWithPackage(tarball: string): Promise<LocalRegistry> {
  const registry = await startRegistry();
  try {
    await seedDependencies(registry);
    await publish(registry, tarball);
    return registry;
  } catch (err) {
    await registry[Symbol.asyncDispose]();
    throw err;
  }
}

/**
 * `npm install -g codex-login` from `registry` into `prefix` (`--ignore-scripts` unless
 * `scripts`), with PATH holding only the system directories (node and npm, no deno).
 */
export async function installGlobal(
  registry: LocalRegistry,
  prefix: string,
  scripts = false,
): Promise<string> {
  const out = await runCommand("npm", {
    args: ["install", "-g", "codex-login", ...(scripts ? [] : ["--ignore-scripts"])],
    env: { ...registry.env, NPM_CONFIG_PREFIX: prefix, PATH: "/usr/bin:/bin", HOME: registry.dir },
    clearEnv: true,
  });
  if (out.code !== 0) throw new Error(`npm install -g codex-login: ${out.stderr}`);
  return Deno.build.os === "windows" ? `${prefix}\\codex-login.cmd` : `${prefix}/bin/codex-login`;
}

if (import.meta.main) {
  const args = [...Deno.args];
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };
  const missing = await registryMissing();
  const tarball = option("--tarball") ?? await packedTarball();
  if (missing || !tarball) {
    console.error(`local_install: ${missing ?? "no dist/codex-login-*.tgz: run make npm-pack"}`);
    Deno.exit(1);
  }
  const prefix = option("--prefix") ?? await Deno.makeTempDir({ prefix: "codex-login-npm-" });
  await using registry = await registryWithPackage(tarball);
  console.log(await installGlobal(registry, prefix));
}
