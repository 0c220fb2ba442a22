/**
 * `make bench`: times the real program on this machine and prints each figure against
 * its target. Separate from the tests; loopback only (a fake issuer on 127.0.0.1).
 *
 * - ready: from spawning `deno run main.ts login` to the authorize URL printed and the port
 *   accepting connections (warm Deno cache), median of RUNS runs; the floor is an empty
 *   `deno run` measured the same way.
 * - RSS: resident memory of that process while it waits.
 * - callback overhead: callback round trip minus the time spent waiting for the issuer.
 * - junk requests/s: 20,000 requests over 64 keep-alive connections to a waiting login.
 * - callback on a simulated WAN: the fake issuer adds 150 ms to each new connection and 50 ms
 *   to every request; the seed's Python original (extracted from the seed's deleted lines
 *   into a temporary file, run by tools/seed_fixture.py) and this program each answer the
 *   browser's callback, timed from the request to the response.
 *
 * @module
 */

import { saveAuthFile } from "../lib/store/file_store.ts";
import { CodexHome } from "../lib/store/codex_home.ts";
import { HttpClient } from "../lib/issuer/http_client.ts";
import { resolveIssuer } from "../lib/issuer/issuer_config.ts";
import { startLogin } from "../lib/signin/login_server.ts";
import { startFakeIssuer } from "../tests/support/fake_issuer.ts";
import { memoryOf, runLoad } from "../tests/support/load_client.ts";
import { portAccepts, timeCallback } from "../tests/support/helpers.ts";

const RUNS = Number(Deno.env.get("RUNS") ?? "20");
const ROOT = new URL("..", import.meta.url).pathname;
const DENO = Deno.execPath();

function stats(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1)! };
}

function line(name: string, values: number[], unit: string, target: string, ok: boolean): void {
  const s = stats(values);
  const f = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
  console.log(
    `${name.padEnd(28)} median ${f(s.median)} ${unit} (min ${f(s.min)}, max ${
      f(s.max)
    }, n=${values.length})  target ${target}  ${ok ? "MET" : "MISSED"}`,
  );
}

/** Spawn a login and resolve when it printed the URL and its port accepts. */
async function timeReady(issuerUrl: string, home: string, entry = `${ROOT}main.ts`) {
  const started = performance.now();
  const child = new Deno.Command(DENO, {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      `--allow-read=${home}`,
      `--allow-write=${home}`,
      entry,
      "login",
      "--no-browser",
      "--port",
      "0",
      "--issuer",
      issuerUrl,
      "--codex-home",
      home,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port = 0;
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`login exited early:\n${text}`);
    text += value;
    port = Number(/127\.0\.0\.1:(\d+)\n/.exec(text)?.[1] ?? 0);
    if (port && /\/oauth\/authorize\?\S+\n/.test(text)) break;
  }
  while (!(await portAccepts(port))) await new Promise((r) => setTimeout(r, 1));
  const readyMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 200));
  const memory = await memoryOf(child.pid);
  return {
    readyMs,
    port,
    memory,
    async stop() {
      child.kill("SIGINT");
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

/** An empty program that listens on a port: Deno's own floor for time and memory. */
async function timeEmptyDeno(): Promise<{ ms: number; rssKb?: number }> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    file,
    "const l = Deno.listen({ hostname: '127.0.0.1', port: 0 }); console.error('ready');\n" +
      "setTimeout(() => l.close(), 400);\n",
  );
  const started = performance.now();
  const child = new Deno.Command(DENO, {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", file],
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  await reader.read();
  const ms = performance.now() - started;
  await new Promise((r) => setTimeout(r, 200));
  const memory = await memoryOf(child.pid);
  await child.status;
  reader.releaseLock();
  await child.stderr.cancel().catch(() => {});
  await Deno.remove(file);
  return { ms, rssKb: memory?.rssKb };
}

/** The seed's Python original, from the `-` lines of its file in the seed PR. */
async function extractSeed(dir: string): Promise<string | undefined> {
  const seedPr = `${ROOT}../shared/seed/000_5462d69aafc791bc.txt`;
  const text = await Deno.readTextFile(seedPr).catch(() => undefined);
  if (!text) return undefined;
  const start = text.indexOf("--- a/codex-rs/login/src/login_with_chatgpt.py");
  const end = text.indexOf("diff --git", start);
  const body = text.slice(start, end).split("\n").filter((l) =>
    l.startsWith("-") && !l.startsWith("---")
  )
    .map((l) => l.slice(1)).join("\n");
  const path = `${dir}/seed_login.py`;
  await Deno.writeTextFile(path, body);
  return path;
}

/** Start a login process, wait for its URL and a second on the sign-in page, time the callback. */
async function timeWanCallback(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const child = new Deno.Command(command, {
    args,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let url: string | undefined;
  while (!url) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited early:\n${text}`);
    text += value;
    url = /(\S+\/oauth\/authorize\?\S+)\n/.exec(text)?.[1];
  }
  void (async () => {
    while (!(await reader.read()).done);
  })().catch(() => {});
  await new Promise((r) => setTimeout(r, 1000)); // the person on the sign-in page
  const { ms } = await timeCallback(url);
  child.kill("SIGKILL");
  await child.status;
  return ms;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

await using issuer = startFakeIssuer();
const dir = await Deno.makeTempDir({ prefix: "codex-login-bench-" });
console.log(
  `codex-login benchmark: ${RUNS} runs, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
);

// Warm the module cache once.
await (await timeReady(issuer.url, `${dir}/warm`)).stop();

const bundle = `${ROOT}dist/codex-login.js`;
const haveBundle = await Deno.stat(bundle).then(() => true, () => false);
const ready: number[] = [];
const readyBundle: number[] = [];
const rss: number[] = [];
const floor: number[] = [];
const floorRss: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const empty = await timeEmptyDeno();
  floor.push(empty.ms);
  if (empty.rssKb) floorRss.push(empty.rssKb / 1024);
  const run = await timeReady(issuer.url, `${dir}/r${i}`);
  ready.push(run.readyMs);
  if (run.memory) rss.push(run.memory.rssKb / 1024);
  await run.stop();
  if (haveBundle) {
    const b = await timeReady(issuer.url, `${dir}/b${i}`, bundle);
    readyBundle.push(b.readyMs);
    await b.stop();
  }
}

// Callback handling overhead, in-process: round trip minus time spent on the issuer.
const overhead: number[] = [];
const saveMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  // Only the code exchange is on the callback's path: the warm-up runs before it, and the
  // API-key exchange and credits run after the answer (they would blur the figure).
  let issuerMs = 0;
  const timedFetch: typeof fetch = async (input, init) => {
    const t = performance.now();
    const r = await fetch(input, init);
    const body = await r.arrayBuffer();
    if (String(init?.body ?? "").includes("grant_type=authorization_code")) {
      issuerMs += performance.now() - t;
    }
    return new Response(body, { status: r.status, headers: r.headers });
  };
  const home = new CodexHome(`${dir}/c${i}`);
  const http = new HttpClient({ fetch: timedFetch });
  const session = await startLogin({
    home,
    endpoints: resolveIssuer({ issuer: issuer.url, apiBase: "http://127.0.0.1:9" }),
    port: 0,
  }, { http, successGraceMs: 0 });
  const { ms } = await timeCallback(session.authUrl);
  overhead.push(ms - issuerMs);
  await session.result;
  http.close();
  const s = performance.now();
  await saveAuthFile(home, {
    auth_mode: "apikey",
    OPENAI_API_KEY: "sk-bench-0123456789abcdef",
  });
  saveMs.push(performance.now() - s);
}

// The callback on a simulated WAN (150 ms connection set-up, 50 ms round trip): seed vs us.
await using wan = startFakeIssuer({
  connectMs: 150,
  latencyMs: 50,
  seedCompatible: true,
  // The seed requires org and project claims; a free plan keeps credits out of the timing.
  account: {
    email: "wan@example.com",
    accountId: "acct_wan",
    organizationId: "org_wan",
    projectId: "proj_wan",
    planType: "free",
    completedPlatformOnboarding: true,
    isOrgOwner: true,
  },
});
const seedPy = await extractSeed(dir);
const ours: number[] = [];
const seed: number[] = [];
const WAN_RUNS = Math.min(RUNS, 7);
for (let i = 0; i < WAN_RUNS; i++) {
  const home = `${dir}/w${i}`;
  ours.push(
    await timeWanCallback(DENO, [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      `--allow-read=${home}`,
      `--allow-write=${home}`,
      `${ROOT}main.ts`,
      "login",
      "--no-browser",
      "--port",
      "0",
      "--issuer",
      wan.url,
      "--api-base",
      wan.url,
      "--codex-home",
      home,
    ], {}),
  );
  if (seedPy) {
    await Deno.mkdir(`${dir}/s${i}`, { recursive: true });
    seed.push(
      await timeWanCallback(
        "python3",
        [`${ROOT}tools/seed_fixture.py`, seedPy, wan.url, String(freePort())],
        { CODEX_HOME: `${dir}/s${i}` },
      ),
    );
  }
}

// Junk requests per second against a waiting login process.
const throughput: number[] = [];
for (let i = 0; i < 3; i++) {
  const run = await timeReady(issuer.url, `${dir}/j${i}`);
  const report = await runLoad({
    port: run.port,
    host: `127.0.0.1:${run.port}`,
    total: 20_000,
    workers: 64,
    deadlineMs: 60_000,
  });
  throughput.push(report.answered / (report.elapsedMs / 1000));
  await run.stop();
}

/** A ratio against the floor, next to its target and the medians it came from. */
function ratio(name: string, values: number[], base: number[], unit: string, target: number): void {
  const r = stats(values).median / stats(base).median;
  console.log(
    `${name.padEnd(28)} ${r.toFixed(2)}x (median ${stats(values).median.toFixed(1)} ${unit} / ${
      stats(base).median.toFixed(1)
    } ${unit})  target <= ${target}x  ${r <= target ? "MET" : "MISSED"}`,
  );
}

console.log();
line("  floor: deno run, listen", floor, "ms", "(reference)", true);
line("ready (URL printed + port)", ready, "ms", "(see ratio)", true);
ratio("  ready / floor", ready, floor, "ms", 1.25);
if (haveBundle) {
  line("  same, bundle (make bundle)", readyBundle, "ms", "(see ratio)", true);
  ratio("  bundle ready / floor", readyBundle, floor, "ms", 1.25);
}
line("  floor: deno run, listen", floorRss, "MB", "(reference)", true);
line("RSS while waiting", rss, "MB", "(see ratio)", true);
ratio("  RSS / floor", rss, floorRss, "MB", 1.3);
line("callback on WAN, this program", ours, "ms", "(see ratio)", true);
if (seed.length) {
  line("callback on WAN, seed (Python)", seed, "ms", "(reference)", true);
  ratio("  ours / seed", ours, seed, "ms", 0.2);
} else {
  console.log("callback on WAN, seed: skipped (../shared/seed or python3 missing)");
}
line("callback overhead", overhead, "ms", "<= 2 ms", stats(overhead).median <= 2);
line("  of which auth.json save", saveMs, "ms", "(reference)", true);
line("junk requests/s", throughput, "req/s", ">= 10000", stats(throughput).median >= 10_000);
await Deno.remove(dir, { recursive: true });
