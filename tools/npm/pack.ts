/**
 * `make npm-pack`: the npm package `codex-login`, built from this checkout and packed with
 * `npm pack` into `dist/codex-login-VERSION.tgz` (the path is printed). Staged in
 * `dist/npm/codex-login/`:
 *
 *   bin/codex-login.cjs   the Node launcher (tools/npm/launcher.ts with lib/base/grants.ts,
 *                         bundled): starts the bundle on npm's Deno with its grants
 *   codex-login.js        the bundle (make bundle)
 *   deno.json             {"nodeModulesDir": "manual"}: Deno finds the keyring binding where
 *                         npm put it, nested or hoisted, and never contacts a registry
 *   package.json          dependencies pinned exactly: `@napi-rs/keyring` as this checkout pins
 *                         it, and the `@deno/<platform>` packages as optionalDependencies, listed
 *                         and versioned as the pinned `deno` package lists them
 *   README.md, LICENSE
 *
 * No install script: the launcher finds everything itself, so `--ignore-scripts` (npm 12's
 * default) changes nothing.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;

interface Manifest {
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

async function readJson(path: string): Promise<Manifest> {
  return JSON.parse(await Deno.readTextFile(`${ROOT}${path}`));
}

/**
 * Bundle the Node launcher (tools/npm/bin.ts and the grant rules) into one CommonJS script at
 * `out`, with a `node` shebang, as `bin` (CommonJS: Node starts it a few ms sooner than a module).
 */
export async function bundleLauncher(out: string): Promise<void> {
  const bundled = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--format",
      "cjs",
      "--output",
      `${out}.tmp`,
      `${ROOT}tools/npm/bin.ts`,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!bundled.success) throw new Error("deno bundle of the npm launcher failed");
  const text = await Deno.readTextFile(`${out}.tmp`);
  await Deno.writeTextFile(out, `#!/usr/bin/env node\n${text}`, { mode: 0o755 });
  await Deno.chmod(out, 0o755);
  await Deno.remove(`${out}.tmp`);
}

/** The package.json of the npm package, from the checkout's pins. */
export async function packageManifest(): Promise<Record<string, unknown>> {
  const config = await readJson("deno.json");
  const root = await readJson("package.json");
  const denoPackage = await readJson("node_modules/deno/package.json");
  const pinned = root.devDependencies?.deno;
  if (!pinned || denoPackage.version !== pinned) {
    throw new Error(
      `node_modules/deno is ${denoPackage.version}, package.json pins ${pinned}: npm ci`,
    );
  }
  const platforms = denoPackage.optionalDependencies ?? {};
  if (Object.values(platforms).some((v) => v !== pinned) || !Object.keys(platforms).length) {
    throw new Error(`the deno package lists unexpected platform packages: ${platforms}`);
  }
  const keyring = root.dependencies?.["@napi-rs/keyring"];
  if (!keyring || !/^\d+\.\d+\.\d+$/.test(keyring)) {
    throw new Error("package.json must pin @napi-rs/keyring to one version");
  }
  return {
    name: "codex-login",
    version: config.version,
    description:
      "Sign in to ChatGPT/OpenAI from a terminal and leave the credentials where the Codex CLI reads them (auth.json or the OS keyring).",
    license: "Apache-2.0",
    repository: { type: "git", url: "git+https://github.com/codex-login/codex-login.git" },
    keywords: ["codex", "openai", "chatgpt", "login", "oauth", "cli"],
    bin: { "codex-login": "bin/codex-login.cjs" },
    files: ["bin/codex-login.cjs", "codex-login.js", "deno.json"],
    engines: { node: ">=18" },
    dependencies: { "@napi-rs/keyring": keyring },
    optionalDependencies: platforms,
  };
}

/** Stage the package in `dir` (made afresh). */
export async function stagePackage(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${dir}/bin`, { recursive: true });
  await bundleLauncher(`${dir}/bin/codex-login.cjs`);
  await Deno.copyFile(`${ROOT}dist/codex-login.js`, `${dir}/codex-login.js`);
  await Deno.writeTextFile(`${dir}/deno.json`, '{ "nodeModulesDir": "manual", "lock": false }\n');
  await Deno.writeTextFile(
    `${dir}/package.json`,
    `${JSON.stringify(await packageManifest(), null, 2)}\n`,
  );
  await Deno.copyFile(`${ROOT}README.md`, `${dir}/README.md`);
  await Deno.copyFile(`${ROOT}LICENSE`, `${dir}/LICENSE`);
}

/** `npm pack` the staged package into `dest`; the tarball's path. */
export async function pack(dir: string, dest: string): Promise<string> {
  const out = await new Deno.Command("npm", {
    args: ["pack", "--json", "--pack-destination", dest],
    cwd: dir,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("npm pack failed");
  const [{ filename }] = JSON.parse(new TextDecoder().decode(out.stdout));
  return `${dest}/${filename}`;
}

if (import.meta.main) {
  try {
    await Deno.stat(`${ROOT}dist/codex-login.js`);
  } catch {
    console.error("make npm-pack: dist/codex-login.js is missing: run make bundle first");
    Deno.exit(1);
  }
  const dir = `${ROOT}dist/npm/codex-login`;
  await stagePackage(dir);
  console.log(await pack(dir, `${ROOT}dist`));
}
