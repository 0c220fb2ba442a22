/**
 * `install.sh` against a local server shaped like a release (assets under
 * `/download/vX.Y.Z/` and `/latest/download/`, with SHA256SUMS): a good release installs and
 * runs, a corrupted binary and a missing one are refused with nothing installed.
 */
import assert from "node:assert/strict";
import { ROOT, runCommand } from "./support/helpers.ts";

const TARGETS: Record<string, string> = {
  "linux-x86_64": "x86_64-unknown-linux-gnu",
  "linux-aarch64": "aarch64-unknown-linux-gnu",
  "darwin-x86_64": "x86_64-apple-darwin",
  "darwin-aarch64": "aarch64-apple-darwin",
};
const target = TARGETS[`${Deno.build.os}-${Deno.build.arch}`];

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
}

/** A release server: `shape` decides what the binary asset is. */
async function releaseServer(shape: "good" | "corrupted" | "missing") {
  const version = "9.8.7";
  const asset = `codex-login-${version}-${target}`;
  const binary = new TextEncoder().encode(`#!/bin/sh\necho "codex-login ${version}"\n`);
  const sums = `${await sha256(binary)}  ${asset}\n${"0".repeat(64)}  codex-login-${version}.js\n`;
  const served = shape === "corrupted"
    ? new TextEncoder().encode(`#!/bin/sh\necho "evil"\n`)
    : binary;
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    const prefix = [`/releases/download/v${version}/`, "/releases/latest/download/"]
      .find((p) => path.startsWith(p));
    const file = prefix ? path.slice(prefix.length) : "";
    if (file === "SHA256SUMS") return new Response(sums);
    if (file === asset && shape !== "missing") return new Response(served);
    return new Response("Not Found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/releases`,
    version,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function install(args: string[]) {
  const prefix = await Deno.makeTempDir();
  const out = await runCommand("sh", {
    args: [`${ROOT}install.sh`, "--prefix", prefix, ...args],
    env: { PATH: "/usr/bin:/bin", HOME: prefix },
    clearEnv: true,
  });
  return { prefix, ...out };
}

const skip = !target ? `no release binary for ${Deno.build.os}-${Deno.build.arch}` : undefined;

Deno.test({
  name: "install.sh: a good release installs the checked binary, which runs",
  ignore: skip !== undefined,
  async fn() {
    await using release = await releaseServer("good");
    const r = await install(["--release-url", release.url, "--version", release.version]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Installed codex-login-${release.version}-${target} as`));
    const run = await new Deno.Command(`${r.prefix}/bin/codex-login`, { stdout: "piped" }).output();
    assert.equal(new TextDecoder().decode(run.stdout).trim(), `codex-login ${release.version}`);
    assert.ok(release.requests.includes(`/releases/download/v${release.version}/SHA256SUMS`));
  },
});

Deno.test({
  name: "install.sh: the latest release is found through /latest/download when no version is given",
  ignore: skip !== undefined,
  async fn() {
    await using release = await releaseServer("good");
    const r = await install(["--release-url", release.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(release.requests.includes("/releases/latest/download/SHA256SUMS"));
  },
});

Deno.test({
  name: "install.sh: a corrupted binary is refused, nothing installed",
  ignore: skip !== undefined,
  async fn() {
    await using release = await releaseServer("corrupted");
    const r = await install(["--release-url", release.url, "--version", release.version]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /checksum mismatch for codex-login-.*nothing was installed/);
    await assert.rejects(Deno.stat(`${r.prefix}/bin/codex-login`), Deno.errors.NotFound);
  },
});

Deno.test({
  name: "install.sh: a missing binary or release says so, nothing installed",
  ignore: skip !== undefined,
  async fn() {
    await using release = await releaseServer("missing");
    const r = await install(["--release-url", release.url, "--version", release.version]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /could not download .*codex-login-9\.8\.7-/);
    await assert.rejects(Deno.stat(`${r.prefix}/bin/codex-login`), Deno.errors.NotFound);
    const none = await install(["--release-url", release.url, "--version", "0.0.1"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /SHA256SUMS \(no such release, or no network\)/);
  },
});
