/**
 * `install.sh` against a local server shaped like a release (assets under
 * `/download/vX.Y.Z/` and `/latest/download/`, with SHA256SUMS): a good release installs and
 * runs, a corrupted binary and a missing one are refused with nothing installed; a hostile
 * SHA256SUMS runs nothing; release URLs are the releases root over https (http only to
 * loopback), redirects never leave https; `--help` works when the script comes on a pipe.
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

interface ReleaseOptions {
  /** SHA256SUMS as served, given the good file's lines. */
  sums?: (good: { hash: string; asset: string; text: string }) => string;
  /** Serve SHA256SUMS only as a redirect to plain http (on the same loopback server). */
  redirectToHttp?: boolean;
}

/** A release server: `shape` decides what the binary asset is. */
async function releaseServer(
  shape: "good" | "corrupted" | "missing",
  options: ReleaseOptions = {},
) {
  const version = "9.8.7";
  const asset = `codex-login-${version}-${target}`;
  const binary = new TextEncoder().encode(`#!/bin/sh\necho "codex-login ${version}"\n`);
  const hash = await sha256(binary);
  const good = `${hash}  ${asset}\n${"0".repeat(64)}  codex-login-${version}.js\n`;
  const sums = options.sums ? options.sums({ hash, asset, text: good }) : good;
  const served = shape === "corrupted"
    ? new TextEncoder().encode(`#!/bin/sh\necho "evil"\n`)
    : binary;
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const { host, pathname: path } = new URL(req.url);
    requests.push(path);
    if (path === "/moved/SHA256SUMS") return new Response(sums);
    const prefix = [`/releases/download/v${version}/`, "/releases/latest/download/"]
      .find((p) => path.startsWith(p));
    const file = prefix ? path.slice(prefix.length) : "";
    if (file === "SHA256SUMS" && options.redirectToHttp) {
      const location = `http://${host}/moved/SHA256SUMS`;
      return new Response(null, { status: 302, headers: { location } });
    }
    if (file === "SHA256SUMS") return new Response(sums);
    if (file === asset && shape !== "missing") return new Response(served);
    return new Response("Not Found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/releases`,
    port: server.addr.port,
    version,
    asset,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/**
 * Run install.sh with `shell` (`sh` is dash on Debian) with a fresh prefix as its working
 * directory and a bare environment (`env` adds to it); the prefix goes when the result is
 * disposed.
 */
async function install(args: string[], env: Record<string, string> = {}, shell = "sh") {
  const prefix = await Deno.makeTempDir();
  const out = await runCommand(shell, {
    args: [`${ROOT}install.sh`, "--prefix", prefix, ...args],
    cwd: prefix,
    env: { PATH: "/usr/bin:/bin", HOME: prefix, ...env },
    clearEnv: true,
  });
  return {
    prefix,
    ...out,
    [Symbol.asyncDispose]: () => Deno.remove(prefix, { recursive: true }),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** A refusal: exit 1, exactly one line on stderr matching `message`, nothing installed. */
async function assertRefused(r: { code: number; stderr: string; prefix: string }, message: RegExp) {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr.trimEnd(), message);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(r.prefix)), [], "nothing installed");
}

const skip = !target ? `no release binary for ${Deno.build.os}-${Deno.build.arch}` : undefined;
if (skip) console.error(`SKIPPED install.sh release tests: ${skip}`);

for (const shell of ["dash", "bash"]) {
  Deno.test({
    name: `install.sh under ${shell}: a good release installs the checked binary, which runs`,
    ignore: skip !== undefined,
    async fn() {
      await using release = await releaseServer("good");
      const args = ["--release-url", release.url, "--version", release.version];
      await using r = await install(args, {}, shell);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Installed codex-login-${release.version}-${target} as`));
      const run = await new Deno.Command(`${r.prefix}/bin/codex-login`, { stdout: "piped" })
        .output();
      assert.equal(new TextDecoder().decode(run.stdout).trim(), `codex-login ${release.version}`);
      assert.ok(release.requests.includes(`/releases/download/v${release.version}/SHA256SUMS`));
    },
  });
}

Deno.test({
  name: "install.sh: the latest release is found through /latest/download when no version is given",
  ignore: skip !== undefined,
  async fn() {
    await using release = await releaseServer("good");
    await using r = await install(["--release-url", release.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(release.requests.includes("/releases/latest/download/SHA256SUMS"));
  },
});

Deno.test({
  name: "install.sh: a corrupted binary is refused, nothing installed",
  ignore: skip !== undefined,
  async fn() {
    await using release = await releaseServer("corrupted");
    await using r = await install(["--release-url", release.url, "--version", release.version]);
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
    await using r = await install(["--release-url", release.url, "--version", release.version]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /could not download .*codex-login-9\.8\.7-/);
    await assert.rejects(Deno.stat(`${r.prefix}/bin/codex-login`), Deno.errors.NotFound);
    await using none = await install(["--release-url", release.url, "--version", "0.0.1"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /SHA256SUMS \(no such release, or no network\)/);
  },
});

Deno.test({
  name: "install.sh: a hostile SHA256SUMS runs nothing, is refused in one line, nothing installed",
  ignore: skip !== undefined,
  async fn() {
    const scratch = await Deno.makeTempDir();
    const marker = `${scratch}/ran`;
    const hex = "0".repeat(64);
    // Each is what a tampered release (or a man in the middle) could serve. The first turned
    // on GNU sed's `e` flag in the old parser and ran the second line as a shell command.
    const hostile: [string, (good: { hash: string; asset: string; text: string }) => string][] = [
      [
        "sed e flag",
        () =>
          `${hex}  codex-login-9//e;#-${target}\n${hex}  codex-login-9 >/dev/null; touch ${marker}\n`,
      ],
      ["command substitution", ({ hash }) => `${hash}  codex-login-$(touch ${marker})-${target}\n`],
      ["path in the name", ({ hash }) => `${hash}  codex-login-9.8.7/../../x-${target}\n`],
      [
        "second line for the target",
        ({ hash, text }) => `${text}${hash}  ../codex-login-9.8.7-${target}\n`,
      ],
      [
        "terminal escape in the name",
        ({ hash }) => `${hash}  codex-login-9\x1b]0;pwned\x07-${target}\n`,
      ],
      ["hash not hex", ({ asset }) => `${"Z".repeat(64)}  ${asset}\n`],
    ];
    try {
      for (const [what, sums] of hostile) {
        for (const shell of ["dash", "bash"]) {
          await using release = await releaseServer("good", { sums });
          await using r = await install(
            ["--release-url", release.url, "--version", release.version],
            {},
            shell,
          );
          assert.ok(!(await exists(marker)), `${what} (${shell}): a command from SHA256SUMS ran`);
          await assertRefused(
            r,
            /^install\.sh: the release's SHA256SUMS does not list exactly one '<sha256> {2}codex-login-<version>-.*' line: refused, nothing was installed$/,
          );
          const control = [...r.stderr].some((c) => (c < " " && c !== "\n") || c === "\x7f");
          assert.ok(!control, `${what} (${shell}): control characters echoed`);
          assert.deepEqual(
            release.requests,
            [`/releases/download/v${release.version}/SHA256SUMS`],
            `${what} (${shell})`,
          );
        }
      }
      // A SHA256SUMS for another version than the one asked for.
      await using release = await releaseServer("good", {
        sums: ({ hash }) => `${hash}  codex-login-1.0.0-${target}\n`,
      });
      await using r = await install(["--release-url", release.url, "--version", release.version]);
      await assertRefused(
        r,
        /the v9\.8\.7 release's SHA256SUMS lists version 1\.0\.0 for .*: refused/,
      );
    } finally {
      await Deno.remove(scratch, { recursive: true });
    }
  },
});

Deno.test({
  name: "install.sh: plain http off loopback is refused before any download, in one line",
  ignore: skip !== undefined,
  async fn() {
    await using release = await releaseServer("good");
    const https = /must be an https:\/\/ URL \(plain http:\/\/ only to a loopback address\)/;
    // 0.0.0.0 reaches this loopback server on Linux: refused by address, not by luck.
    for (
      const url of [
        `http://0.0.0.0:${release.port}/releases`,
        `http://127.0.0.1@0.0.0.0:${release.port}/releases`,
        `http://127.0.0.1.example.com/releases`,
        `http://localhost.example.com/releases`,
        "http://example.com/releases",
        `ftp://127.0.0.1:${release.port}/releases`,
      ]
    ) {
      await using r = await install(["--release-url", url]);
      await assertRefused(r, new RegExp(`^install\\.sh: --release-url ${https.source}, not `));
    }
    await using env = await install([], {
      CODEX_LOGIN_RELEASE_URL: `http://0.0.0.0:${release.port}/releases`,
    });
    await assertRefused(env, new RegExp(`^install\\.sh: CODEX_LOGIN_RELEASE_URL ${https.source}`));
    assert.deepEqual(release.requests, []);
    // Loopback by name and by any 127/8 address is fine.
    await using byName = await install([
      "--release-url",
      `http://localhost:${release.port}/releases`,
    ]);
    assert.equal(byName.code, 0, byName.stderr);
  },
});

Deno.test({
  name: "install.sh: the releases root is taken with or without a trailing /",
  ignore: skip !== undefined,
  async fn() {
    await using release = await releaseServer("good");
    for (const args of [["--version", release.version], []]) {
      await using r = await install(["--release-url", `${release.url}/`, ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Installed codex-login-9\.8\.7-/);
    }
    assert.ok(release.requests.every((path) => !path.includes("//")), release.requests.join(" "));
  },
});

Deno.test({
  name: "install.sh: a download path or a non-URL for the release says what it wants, in one line",
  ignore: skip !== undefined,
  async fn() {
    await using release = await releaseServer("good");
    const wants =
      /^install\.sh: --release-url wants the releases root, like https:\/\/github\.com\/codex-login\/codex-login\/releases\b/;
    for (
      const url of [
        `${release.url}/download/v${release.version}`,
        `${release.url}/download/v${release.version}/`,
        `${release.url}/latest/download`,
        `${release.url}/latest`,
        `${release.url}/tag/v${release.version}`,
        `${release.url}/download/v${release.version}/SHA256SUMS`,
        "github.com/codex-login/codex-login/releases",
        "releases",
        `${release.url}?page=1`,
        `http://127.0.0.1:${release.port}/a b/releases`,
        `http://127.0.0.1:/releases`,
      ]
    ) {
      await using r = await install(["--release-url", url]);
      await assertRefused(r, wants);
    }
    assert.deepEqual(release.requests, []);
  },
});

Deno.test({
  name: "install.sh: a password in the release URL is never printed",
  ignore: skip !== undefined,
  async fn() {
    await using r = await install(["--release-url", "http://me:Secr3t@example.com/releases"]);
    await assertRefused(r, /not http:\/\/\*\*\*@example\.com\/releases$/);
    assert.doesNotMatch(r.stderr, /Secr3t/);
  },
});

/** A PATH holding what install.sh uses, with wget and without curl. */
async function wgetOnlyPath(): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (
    const tool of [
      "sh",
      "cat",
      "uname",
      "tr",
      "awk",
      "cut",
      "mktemp",
      "rm",
      "mkdir",
      "chmod",
      "mv",
      "sha256sum",
      "wget",
    ]
  ) {
    for (const place of ["/usr/bin", "/bin"]) {
      if (await exists(`${place}/${tool}`)) {
        await Deno.symlink(await Deno.realPath(`${place}/${tool}`), `${dir}/${tool}`);
        break;
      }
    }
  }
  return dir;
}

const haveWget = await exists("/usr/bin/wget") || await exists("/bin/wget");
if (!haveWget) console.error("SKIPPED install.sh with wget: wget is not installed");

for (const via of ["curl", "wget"] as const) {
  Deno.test({
    name: `install.sh with ${via}: a redirect to plain http is not followed, nothing installed`,
    ignore: skip !== undefined || (via === "wget" && !haveWget),
    async fn() {
      const path = via === "wget" ? await wgetOnlyPath() : "/usr/bin:/bin";
      try {
        // The same server with no redirect installs: the tool itself works.
        await using plain = await releaseServer("good");
        await using ok = await install(["--release-url", plain.url], { PATH: path });
        assert.equal(ok.code, 0, ok.stderr);
        await using release = await releaseServer("good", { redirectToHttp: true });
        await using r = await install(["--release-url", release.url], { PATH: path });
        await assertRefused(
          r,
          /^install\.sh: http:\/\/127\.0\.0\.1:\d+\/releases\/latest\/download\/SHA256SUMS redirected to an address that is not https: refused, nothing was installed$/,
        );
      } finally {
        if (via === "wget") await Deno.remove(path, { recursive: true });
      }
    },
  });
}

Deno.test("install.sh --help works when the script arrives on a pipe (dash and bash)", async () => {
  for (const shell of ["dash", "bash"]) {
    const r = await runCommand("sh", {
      args: ["-c", 'cat "$1" | "$2" -s -- --help', "sh", `${ROOT}install.sh`, shell],
      env: { PATH: "/usr/bin:/bin" },
      clearEnv: true,
    });
    assert.equal(r.code, 0, `${shell}: ${r.stderr}`);
    assert.equal(r.stderr, "", shell);
    assert.match(r.stdout, /^Install codex-login from a release/, shell);
    assert.match(r.stdout, /--release-url URL +the releases root/, shell);
  }
});

Deno.test("install.sh: a literal ~ in --prefix is refused with the fix", async () => {
  await using r = await install(["--prefix=~/tools"]);
  await assertRefused(
    r,
    /^install\.sh: --prefix ~\/tools starts with a literal ~ \(the shell did not expand it\): use --prefix "\$HOME\/tools"$/,
  );
});
