/**
 * `make bench`, second part: codex-login side by side with the real Codex CLI (the pinned
 * `@openai/codex` binary), each subject started the same way, medians of RUNS runs:
 *
 * - ready: spawn to "authorize URL printed and its port accepting", both with no `--issuer`
 *   (nothing is contacted before the URL); RSS while waiting;
 * - `codex-login token` (a valid token: no refresh, every check and lock it takes) against a
 *   bare Deno script that reads auth.json and prints the token;
 * - for `main.ts`, the bundle and the installed command (`make install` into a temporary
 *   prefix).
 *
 * Run inside a private network namespace when it can (root: `unshare --net`), so Codex's fixed
 * port 1455 is free and nothing leaves the machine. Prints each figure with its target, the
 * median and the spread, and says which subject it could not run and why.
 *
 * @module
 */

import { memoryOf } from "../tests/support/load_client.ts";
import { CODEX_BIN, CODEX_MISSING, CODEX_VERSION } from "../tests/support/codex_cli.ts";
import { makeJwt } from "../tests/support/fake_issuer.ts";
import { opensslMissing } from "../tests/support/tls.ts";
import {
  enterPrivateNetwork,
  privateNetwork,
  startMappedIssuer,
} from "../tests/support/private_network.ts";
import { spawnCollecting, spawnReady, timedRun } from "./bench_process.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DENO = Deno.execPath();
const RUNS = Number(Deno.env.get("RUNS") ?? "11");

if (!privateNetwork()) {
  const run = await enterPrivateNetwork(import.meta.filename!, [], { env: { RUNS: String(RUNS) } });
  if (run) Deno.exit(run.status.code);
  console.log("(no private network namespace here: Codex needs port 1455 free on this machine)");
}

function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s.at(-1)! };
}

const f = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
function line(name: string, values: number[], unit: string): void {
  const s = stats(values);
  console.log(
    `${name.padEnd(34)} median ${f(s.median)} ${unit} (min ${f(s.min)}, max ${
      f(s.max)
    }, n=${values.length})`,
  );
}
function ratio(name: string, values: number[], base: number[], target: number): void {
  const r = stats(values).median / stats(base).median;
  console.log(
    `${name.padEnd(34)} ${r.toFixed(2)}x  target <= ${target}x  ${r <= target ? "MET" : "MISSED"}`,
  );
}

/** Spawn `cmd`; resolve when the authorize URL is printed and its port accepts. */
async function ready(cmd: string, args: string[], env: Record<string, string>) {
  const { child, ms } = await spawnReady(cmd, args, env);
  await new Promise((r) => setTimeout(r, 250));
  const rss = (await memoryOf(child.pid))?.rssKb;
  child.kill("SIGKILL");
  await child.status;
  return { ms, rssMb: (rss ?? 0) / 1024 };
}

/** Time a command from spawn to exit; its stdout must hold `expect`. */
async function timed(cmd: string, args: string[], env: Record<string, string>, expect: string) {
  const { ms, stdout, stderr } = await timedRun(cmd, args, env);
  if (!stdout.includes(expect)) throw new Error(`${cmd} ${args.join(" ")}: ${stderr}`);
  return ms;
}

const dir = await Deno.makeTempDir({ prefix: "codex-login-bench-codex-" });
const base = { PATH: "/usr/bin:/bin", HOME: dir, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
const bundle = `${ROOT}dist/codex-login.js`;
const haveBundle = await Deno.stat(bundle).then(() => true, () => false);
const prefix = `${dir}/prefix`;
const installed = haveBundle &&
  (await new Deno.Command("sh", {
    args: [`${ROOT}tools/make_install.sh`, "install", prefix],
    stdout: "null",
    stderr: "null",
  }).output()).success;

/** A way of running codex-login: the command and what comes before codex-login's own args. */
type Subject = { name: string; cmd: string; before: string[] };
const perms = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-ffi",
];
const ours: Subject[] = [
  {
    name: "codex-login, main.ts",
    cmd: DENO,
    before: ["run", "--quiet", ...perms, `${ROOT}main.ts`],
  },
  ...(haveBundle
    ? [{ name: "codex-login, bundle", cmd: DENO, before: ["run", "--quiet", ...perms, bundle] }]
    : []),
  ...(installed
    ? [{ name: "codex-login, installed", cmd: `${prefix}/bin/codex-login`, before: [] }]
    : []),
];

console.log(
  `\ncodex-login beside the Codex CLI: ${RUNS} runs, ${navigator.hardwareConcurrency} cores`,
);
if (!haveBundle) {
  console.log("bundle, installed: not run (dist/codex-login.js missing: make bundle)");
} else if (!installed) {
  console.log("installed: not run (make install into a temporary prefix failed)");
}

// Ready and memory while waiting.
const results = new Map<string, { ms: number[]; rss: number[] }>();
const codexReady = { ms: [] as number[], rss: [] as number[] };
let codexProblem = "";
for (let i = 0; i < RUNS; i++) {
  if (CODEX_BIN) {
    await Deno.mkdir(`${dir}/codex${i}`); // Codex refuses a codex home that does not exist
    const r = await ready(CODEX_BIN, ["login"], {
      ...base,
      CODEX_HOME: `${dir}/codex${i}`,
      BROWSER: "true",
    })
      .catch((err) => {
        codexProblem = String(err).split("\n")[0];
        return undefined;
      });
    if (r) {
      codexReady.ms.push(r.ms);
      codexReady.rss.push(r.rssMb);
    }
  }
  for (const s of ours) {
    const h = `${dir}/${i}-${s.name.length}`;
    const r = await ready(s.cmd, [...s.before, "login", "--no-browser", "--codex-home", h], base);
    const entry = results.get(s.name) ?? { ms: [], rss: [] };
    entry.ms.push(r.ms);
    entry.rss.push(r.rssMb);
    results.set(s.name, entry);
  }
}
console.log();
if (codexReady.ms.length) {
  line(`ready: Codex ${CODEX_VERSION} (native)`, codexReady.ms, "ms");
  line("RSS while waiting: Codex", codexReady.rss, "MB");
} else {
  console.log(
    `ready, RSS: Codex not run (${
      CODEX_MISSING ?? `its login did not start here: ${codexProblem}`
    })`,
  );
}
for (const [name, r] of results) {
  line(`ready: ${name}`, r.ms, "ms");
  if (codexReady.ms.length) ratio("  / Codex", r.ms, codexReady.ms, 1.1);
  line(`RSS while waiting: ${name}`, r.rss, "MB");
  if (codexReady.rss.length) ratio("  / Codex", r.rss, codexReady.rss, 1.0);
}

// codex-login token against a bare script that reads auth.json and prints the token.
const home = `${dir}/token-home`;
await Deno.mkdir(home, { mode: 0o700 });
const access = makeJwt({ exp: Math.floor(Date.now() / 1000) + 86_400 });
await Deno.writeTextFile(
  `${home}/auth.json`,
  JSON.stringify({
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    tokens: {
      id_token: makeJwt({ exp: Math.floor(Date.now() / 1000) + 86_400 }),
      access_token: access,
      refresh_token: "rt",
      account_id: null,
    },
    last_refresh: new Date().toISOString(),
  }),
  { mode: 0o600 },
);
const bare = `${dir}/bare_token.ts`;
await Deno.writeTextFile(
  bare,
  'const a = JSON.parse(await Deno.readTextFile(Deno.args[0] + "/auth.json"));\nconsole.log(a.tokens.access_token);\n',
);
const bareMs: number[] = [];
const tokenMs = new Map<string, number[]>();
for (let i = 0; i < RUNS; i++) {
  bareMs.push(
    await timed(DENO, ["run", "--quiet", `--allow-read=${home}`, bare, home], base, access),
  );
  for (const s of ours) {
    const ms = await timed(s.cmd, [...s.before, "token", "--codex-home", home], base, access);
    tokenMs.set(s.name, [...(tokenMs.get(s.name) ?? []), ms]);
  }
}
console.log();
line("token: bare Deno script", bareMs, "ms");
for (const [name, ms] of tokenMs) {
  line(`token: ${name}`, ms, "ms");
  ratio("  / bare script", ms, bareMs, 1.2);
}
await wanComparison();
await Deno.remove(dir, { recursive: true });

/**
 * Spawn a sign-in, wait for its URL and a second "on the sign-in page", then time the
 * browser's callback from request to answer, ms.
 */
async function timeCallback(
  browser: Deno.HttpClient,
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const { child, output } = spawnCollecting(cmd, args, env);
  try {
    let url: string | undefined;
    const started = performance.now();
    while (!(url = /(https:\/\/auth\.openai\.com\/oauth\/authorize\?\S+)/.exec(output())?.[1])) {
      if (performance.now() - started > 15_000) throw new Error(`${cmd}: no URL\n${output()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 1000)); // the person on the sign-in page
    const authorize = await fetch(url, { redirect: "manual", client: browser });
    await authorize.body?.cancel();
    const callback = authorize.headers.get("location")!;
    const t = performance.now();
    const answer = await fetch(callback, { redirect: "manual" });
    await answer.body?.cancel();
    return performance.now() - t;
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

/**
 * The browser's callback on a simulated WAN (150 ms connection set-up, 50 ms a request), Codex
 * against codex-login, both signing in at "auth.openai.com" (mapped to a fake issuer over TLS
 * on this namespace's loopback, trusted through CODEX_CA_CERTIFICATE): spawn, wait for the
 * URL, a second "on the sign-in page", then time the callback from request to answer.
 */
async function wanComparison(): Promise<void> {
  const missing = privateNetwork() !== "hosts"
    ? "needs a private mount and network namespace (root) to map auth.openai.com here"
    : !CODEX_BIN
    ? CODEX_MISSING
    : await opensslMissing();
  if (missing) {
    console.log(`\ncallback on a WAN, Codex against codex-login: not run (${missing})`);
    return;
  }
  await using mapped = await startMappedIssuer({
    connectMs: 150,
    latencyMs: 50,
    account: {
      email: "wan@example.com",
      accountId: "acct_wan",
      planType: "free",
      completedPlatformOnboarding: true,
      isOrgOwner: false,
    },
  });
  const { client: browser, caFile } = mapped;
  const time = (cmd: string, args: string[], env: Record<string, string>) =>
    timeCallback(browser, cmd, args, env);
  const codexMs: number[] = [];
  const oursMs: number[] = [];
  const runs = Math.min(RUNS, 7);
  for (let i = 0; i < runs; i++) {
    await Deno.mkdir(`${dir}/wan-codex${i}`);
    codexMs.push(
      await time(CODEX_BIN!, ["login"], {
        ...base,
        CODEX_HOME: `${dir}/wan-codex${i}`,
        BROWSER: "true",
        CODEX_CA_CERTIFICATE: caFile,
      }),
    );
    const best = ours.at(-1)!;
    oursMs.push(
      await time(best.cmd, [
        ...best.before,
        "login",
        "--no-browser",
        "--codex-home",
        `${dir}/wan-ours${i}`,
      ], {
        ...base,
        CODEX_CA_CERTIFICATE: caFile,
      }),
    );
  }
  console.log();
  line(`callback on a WAN: Codex ${CODEX_VERSION}`, codexMs, "ms");
  line(`callback on a WAN: ${ours.at(-1)!.name}`, oursMs, "ms");
  ratio("  / Codex", oursMs, codexMs, 0.3);
}
