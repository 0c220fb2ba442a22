/**
 * A local npm registry for trying the npm package as a person installs it: verdaccio (pinned in
 * tests/package.json) on 127.0.0.1, with no uplink, holding only what an install of
 * `codex-login` on this machine fetches: the packed package (`npm publish`, as the release
 * does) and, copied in from npm's cache, the pinned Deno for this platform and the keyring
 * binding with its platform package. The other platforms' optional packages are absent, as
 * npm skips them anyway on this machine.
 *
 * npm is pointed at it through a throwaway user config (`NPM_CONFIG_USERCONFIG`), with a fresh
 * cache, so that nothing installed here comes from anywhere else.
 *
 * @module
 */

import { ROOT, runCommand } from "../../tests/support/helpers.ts";

/** Where verdaccio is installed (`npm ci --prefix tests`). */
export const VERDACCIO = `${ROOT}tests/node_modules/verdaccio/bin/verdaccio`;

/** A running local registry. */
export interface LocalRegistry extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  /** Its scratch directory (storage, config, npm's cache and user config). */
  dir: string;
  /** The environment that points npm at it (and only at it). */
  env: Record<string, string>;
  /** The test user's token (the one in its npmrc), for publishing without npm. */
  token: string;
  /** Stop it and remove its directory at once (for an `unload` handler). */
  stopNow(): void;
}

/** Why there can be no local registry here, or undefined. */
export async function registryMissing(): Promise<string | undefined> {
  try {
    await Deno.stat(VERDACCIO);
  } catch {
    return "verdaccio is not installed (npm ci --prefix tests)";
  }
  const npm = await runCommand("npm", { args: ["--version"] }).catch(() => undefined);
  return npm?.code === 0 ? undefined : "npm is not on PATH";
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function config(dir: string, port: number): string {
  return [
    `storage: ${dir}/storage`,
    "auth:",
    "  htpasswd:",
    `    file: ${dir}/htpasswd`,
    "uplinks: {}",
    "packages:",
    "  '**':",
    "    access: $all",
    "    publish: $authenticated",
    "    unpublish: $authenticated",
    "max_body_size: 300mb",
    `listen: 127.0.0.1:${port}`,
    "log: { type: stdout, format: pretty, level: warn }",
    "",
  ].join("\n");
}

async function waitUp(url: string, child: Deno.ChildProcess): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !exited) {
    const ok = await fetch(`${url}-/ping`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(exited ? "verdaccio exited at start" : "verdaccio did not answer in 60 s");
}

/** Register a user and return its token. */
async function addUser(url: string): Promise<string> {
  const name = "codex-login-test";
  const response = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, password: crypto.randomUUID() }),
  });
  const body = await response.json();
  if (!response.ok || typeof body.token !== "string") {
    throw new Error(`verdaccio refused the test user: ${response.status}`);
  }
  return body.token;
}

/** Start verdaccio in a fresh directory; the npm environment that uses it. */
export async function startRegistry(): Promise<LocalRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "codex-login-registry-" });
  const port = freePort();
  const url = `http://127.0.0.1:${port}/`;
  await Deno.writeTextFile(`${dir}/config.yaml`, config(dir, port));
  const child = new Deno.Command("node", {
    args: [VERDACCIO, "--config", `${dir}/config.yaml`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { NODE_ENV: "production" },
  }).spawn();
  try {
    await waitUp(url, child);
  } catch (err) {
    child.kill("SIGKILL");
    await child.status;
    throw err;
  }
  const token = await addUser(url);
  const hostPath = url.replace(/^http:/, "");
  await Deno.writeTextFile(
    `${dir}/npmrc`,
    `registry=${url}\n${hostPath}:_authToken=${token}\naudit=false\nfund=false\nupdate-notifier=false\n`,
  );
  await Deno.mkdir(`${dir}/cache`);
  const stop = () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  return {
    url,
    dir,
    token,
    env: {
      NPM_CONFIG_USERCONFIG: `${dir}/npmrc`,
      NPM_CONFIG_REGISTRY: url,
      NPM_CONFIG_CACHE: `${dir}/cache`,
      NPM_CONFIG_UPDATE_NOTIFIER: "false",
    },
    stopNow() {
      stop();
      Deno.removeSync(dir, { recursive: true });
    },
    async [Symbol.asyncDispose]() {
      stop();
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function sha(algorithm: "SHA-1" | "SHA-512", data: Uint8Array<ArrayBuffer>) {
  return new Uint8Array(await crypto.subtle.digest(algorithm, data));
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/**
 * Put a package tarball into the registry as it is (the way `npm publish` sends one, without
 * running its publish scripts or obeying its `publishConfig`).
 */
export async function putTarball(registry: LocalRegistry, tarball: string): Promise<void> {
  const listing = await runCommand("tar", { args: ["-xzOf", tarball, "package/package.json"] });
  if (listing.code !== 0) throw new Error(`${tarball} has no package/package.json`);
  const manifest = JSON.parse(listing.stdout);
  const data = await Deno.readFile(tarball);
  const name: string = manifest.name;
  const file = `${name}-${manifest.version}.tgz`;
  const shasum = [...await sha("SHA-1", data)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const document = {
    _id: name,
    name,
    "dist-tags": { latest: manifest.version },
    versions: {
      [manifest.version]: {
        ...manifest,
        _id: `${name}@${manifest.version}`,
        dist: {
          shasum,
          integrity: `sha512-${base64(await sha("SHA-512", data))}`,
          tarball: `${registry.url}${name}/-/${file.replace(/^@[^/]+\//, "")}`,
        },
      },
    },
    _attachments: { [file]: { content_type: "application/octet-stream", data: base64(data) } },
  };
  const response = await fetch(`${registry.url}${name.replace("/", "%2f")}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${registry.token}` },
    body: JSON.stringify(document),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`registry refused ${name}: ${response.status} ${text}`);
}

/**
 * The dependencies an install of `codex-login` fetches on this machine: the `@deno/…` and
 * `@napi-rs/keyring…` packages `npm ci` put in this checkout, taken as npm's cache holds them
 * (`npm pack NAME@VERSION --prefer-offline`).
 */
export async function seedDependencies(registry: LocalRegistry): Promise<string[]> {
  const names: string[] = [];
  for (const scope of ["@deno", "@napi-rs"]) {
    for await (const entry of Deno.readDir(`${ROOT}node_modules/${scope}`)) {
      if (scope === "@napi-rs" && !entry.name.startsWith("keyring")) continue;
      names.push(`${scope}/${entry.name}`);
    }
  }
  const dest = await Deno.makeTempDir({ dir: registry.dir, prefix: "seed-" });
  for (const name of names) {
    const { version } = JSON.parse(
      await Deno.readTextFile(`${ROOT}node_modules/${name}/package.json`),
    );
    const out = await runCommand("npm", {
      args: [
        "pack",
        `${name}@${version}`,
        "--prefer-offline",
        "--json",
        "--pack-destination",
        dest,
      ],
      cwd: dest,
    });
    if (out.code !== 0) throw new Error(`npm pack ${name}@${version}: ${out.stderr}`);
    const [{ filename }] = JSON.parse(out.stdout);
    await putTarball(registry, `${dest}/${filename}`);
  }
  return names;
}

/** `npm publish` the packed package to the registry (as the release workflow does). */
export async function publish(registry: LocalRegistry, tarball: string): Promise<void> {
  const out = await runCommand("npm", { args: ["publish", tarball], env: registry.env });
  if (out.code !== 0) throw new Error(`npm publish: ${out.stderr}`);
}
