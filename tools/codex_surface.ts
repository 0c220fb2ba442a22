/**
 * `make drift`: does a Codex release change sign-in? Takes a surface snapshot of a Codex binary
 * (tests/support/codex_surface.ts) offline, in a private network and mount namespace where
 * auth.openai.com is the fake issuer, and compares it with the snapshot of the pinned version
 * (tests/fixtures/codex-surface/<version>.json).
 *
 *   deno run -A tools/codex_surface.ts compare [CODEX]      CODEX's snapshot against the pinned
 *                                                           one; no CODEX: @openai/codex@latest,
 *                                                           installed into a temporary directory
 *   deno run -A tools/codex_surface.ts compare --snapshot FILE   a snapshot taken before
 *   deno run -A tools/codex_surface.ts snapshot CODEX       print CODEX's snapshot (JSON)
 *   --against FILE                                          another snapshot to compare with
 *
 * Exits 0 when they match, 1 with a report of each difference (what, old value, new value), 2
 * when it cannot run here (no root for the namespaces, no openssl, no such binary).
 *
 * @module
 */

import { CODEX_PINNED, nativeBinaryIn } from "../tests/support/codex_cli.ts";
import { takeSurface } from "../tests/support/codex_surface.ts";
import { compareSurfaces, formatReport } from "../tests/support/surface_diff.ts";
import type { Json } from "../tests/support/surface_format.ts";
import { opensslMissing } from "../tests/support/tls.ts";
import {
  enterPrivateNetwork,
  privateNetwork,
  privateNetworkMissing,
  startMappedIssuer,
} from "../tests/support/private_network.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PINNED = `tests/fixtures/codex-surface/${CODEX_PINNED}.json`;

/** Stop with exit 2: this machine cannot take the snapshot. */
function cannot(why: string): never {
  console.error(`drift: ${why}`);
  Deno.exit(2);
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (!value) cannot(`${name} needs a file`);
  args.splice(at, 2);
  return value;
}

async function readJson(path: string): Promise<Json> {
  const text = await Deno.readTextFile(path).catch(() => cannot(`cannot read ${path}`));
  try {
    return JSON.parse(text);
  } catch {
    return cannot(`${path} is not JSON`);
  }
}

/** Inside the namespace: take the snapshot and print it. */
async function snapshotHere(bin: string): Promise<void> {
  await using mapped = await startMappedIssuer({ deviceInterval: "1" });
  const surface = await takeSurface(bin, mapped);
  console.log(JSON.stringify(surface, null, 2));
}

/** `npm install @openai/codex@latest` into a temporary directory: its binary and the directory. */
async function installLatest(): Promise<{ bin: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "codex-latest-" });
  console.error(`drift: installing @openai/codex@latest into ${dir} ...`);
  const out = await new Deno.Command("npm", {
    args: [
      "install",
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      "@openai/codex@latest",
    ],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output().catch(() => undefined);
  const bin = nativeBinaryIn(`${dir}/node_modules`);
  if (!out?.success || !bin) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    cannot(
      out
        ? `npm could not install @openai/codex@latest: ${
          new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)
        }`
        : "npm is not installed (it installs @openai/codex@latest when no CODEX= is given)",
    );
  }
  return { bin, dir };
}

/** Outside the namespace: take `bin`'s snapshot inside one. */
async function snapshotOf(bin: string): Promise<Json> {
  const stat = await Deno.stat(bin).catch(() => undefined);
  if (!stat?.isFile) cannot(`no Codex binary at ${bin}`);
  bin = await Deno.realPath(bin);
  const missing = (await privateNetworkMissing()) ?? (await opensslMissing());
  if (missing) cannot(`${missing}: run it as root (sudo make drift ...)`);
  const started = performance.now();
  const run = await enterPrivateNetwork(import.meta.filename!, ["snapshot", bin], {
    capture: true,
    requireHosts: true,
  });
  if (!run) cannot("no private mount namespace for /etc/hosts here (needs root)");
  if (!run.status.success) cannot(`the snapshot of ${bin} failed (above)`);
  console.error(
    `drift: snapshot of ${bin} taken in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return JSON.parse(new TextDecoder().decode(run.stdout));
}

const versionOf = (s: Json) =>
  s !== null && typeof s === "object" && !Array.isArray(s) && typeof s["--version"] === "string"
    ? s["--version"]
    : "unknown version";

const args = [...Deno.args];
const command = args.shift();
if (command === "snapshot" && privateNetwork() === "hosts") {
  await snapshotHere(args[0]);
} else if (command === "snapshot" && args[0]) {
  console.log(JSON.stringify(await snapshotOf(args[0]), null, 2));
} else if (command === "compare") {
  const against = option(args, "--against") ?? `${ROOT}${PINNED}`;
  const taken = option(args, "--snapshot");
  const old = await readJson(against);
  let latest: { bin: string; dir: string } | undefined;
  let now: Json;
  let name: string;
  if (taken) {
    [now, name] = [await readJson(taken), taken];
  } else {
    latest = args[0] ? undefined : await installLatest();
    const bin = args[0] ?? latest!.bin;
    try {
      now = await snapshotOf(bin);
    } finally {
      if (latest) await Deno.remove(latest.dir, { recursive: true }).catch(() => {});
    }
    name = latest ? "@openai/codex@latest" : bin;
  }
  const comparison = compareSurfaces(old, now);
  const oldName = `${against.replace(ROOT, "")} (${versionOf(old)})`;
  console.log(formatReport(comparison, oldName, `${name} (${versionOf(now)})`));
  Deno.exit(comparison.differences.length === 0 ? 0 : 1);
} else {
  cannot(
    "usage: codex_surface.ts compare [CODEX] [--against FILE] [--snapshot FILE] | snapshot CODEX",
  );
}
