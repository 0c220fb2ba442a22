/**
 * One attack on the sign-in server's peer check, performed for real. Run by
 * `e2e_peer_attacks_test.ts` as root inside a private network namespace (`unshare --net`,
 * loopback up), so port 1455 is free and nothing is shared with other runs:
 *
 * - the person's `codex-login login` runs as uid 1000 (no passwd entry needed) with a home of
 *   its own, on port 1455, against a fake issuer, with the grants its target really has;
 * - the attacker runs as uid 65534 (`peer_client.py` under `setpriv`), knowing the worst:
 *   the person's `state`, with a code of its own account bound to the person's PKCE challenge
 *   (as if it had loaded the person's authorize URL and signed in as itself: login CSRF);
 * - the person's browser runs as uid 1000 too (the peer check must admit it).
 *
 * Prints one JSON line, a {@linkcode ScenarioResult}: what each side got, what the login log
 * recorded, what the issuer was asked, whose credentials were saved.
 *
 * @module
 */

import { type FakeAccount, type FakeIssuer, startFakeIssuer } from "./fake_issuer.ts";
import { launcherPermissions, lineWatcher } from "./cli_process.ts";

/** What the person runs. */
export type Target = "main.ts" | "bundle" | "installed";

/** The attacks, one per run. */
export const ATTACKS = [
  "orphans",
  "other-addresses",
  "from-server-port",
  "scan",
  "ss-fails-once",
  "lsof",
  "root-forwarder",
  "userns-root",
] as const;

/** One attack. */
export type Attack = typeof ATTACKS[number];

/** What the test hands the scenario (as JSON, its one argument). */
export interface ScenarioInput {
  attack: Attack;
  target: Target;
  /** `deno run`'s entry (main.ts or the bundle), or the installed command. */
  program: string;
  /** The Deno cache uid 1000 may write (shared by the runs of one test file). */
  denoDir: string;
  /** Absolute paths of the programs used. */
  tools: { setpriv: string; unshare: string; python: string; ss: string; lsof: string };
  /** peer_client.py. */
  client: string;
}

/** One line of the login log's `peer` step. */
export interface PeerRecord {
  from: string;
  verdict: string;
  owner?: string;
  uid?: string;
  tool?: string;
}

/** One connection of the attacker's (peer_client.py's record). */
export interface ClientConn {
  /** Its own end, `addr:port`, once connected. */
  local?: string;
  /** The end it asked for, when it could not connect. */
  source?: string;
  error?: string;
  /** Everything the server sent before closing ("" for nothing). */
  answer?: string;
  closed_at_once?: boolean;
}

/** What the person's browser saw. */
export interface BrowserResult {
  local?: string;
  /** Status of a first request on the held connection (attack "other-addresses"). */
  first?: number;
  authorize?: number;
  callback?: number;
  success?: number;
  error?: string;
}

/** What one run printed. */
export interface ScenarioResult {
  attack: Attack;
  target: Target;
  /** codex-login's exit code (null: killed at the deadline). */
  exit: number | null;
  /** codex-login's output, stdout and stderr. */
  output: string[];
  /** auth.json's `tokens.account_id` (undefined: nothing saved). */
  savedAccount?: string;
  /** Code exchanges of the attacker's code at the issuer (the early exchange of a preview). */
  attackerCodeExchanges: number;
  /** Requests at the issuer that used a token of the attacker's account (API key, refresh). */
  attackerTokensUsed: number;
  /** The attacker's connections that were read to the end. */
  attacker: ClientConn[];
  /** The attacker's connections closed at once (orphans). */
  closed: ClientConn[];
  /** Orphans (ino:0) naming the server's port, as the attacker saw them before connecting. */
  orphans?: string[];
  /** Root's own connections (a forwarder's end) and what they got. */
  root: ClientConn[];
  browser: BrowserResult;
  /** The `peer` lines of the login log. */
  log: PeerRecord[];
  /** How many times the `ss` wrapper ran (attack "ss-fails-once"). */
  ssCalls?: number;
  /** The uid the attacker's own process saw itself as (attack "userns-root": 0). */
  attackerUid?: number;
  /** The ephemeral range the scan covered (attack "scan"). */
  scanRange?: [number, number];
  /** Why the run could not be completed. */
  error?: string;
}

/** uid 1000: the person. */
export const PERSON_UID = 1000;
/** uid 65534: the attacker. */
export const ATTACKER_UID = 65534;
/** The port the person's sign-in listens on (the default, free in the namespace). */
export const PORT = 1455;

/** The person's account, and the attacker's. */
export const PERSON: FakeAccount = {
  email: "person@example.com",
  accountId: "acct_person",
  planType: "plus",
  completedPlatformOnboarding: true,
  isOrgOwner: true,
};
export const ATTACKER: FakeAccount = {
  email: "attacker@example.com",
  accountId: "acct_attacker",
  planType: "plus",
  completedPlatformOnboarding: true,
  isOrgOwner: true,
};

/** The scan's ephemeral range: every port the person's browser can get, 64 of them. */
const SCAN_RANGE: [number, number] = [40000, 40063];

const decoder = new TextDecoder();

/** setpriv's arguments that run a program as `uid` (its group too, no other groups). */
export const asUid = (uid: number): string[] => [
  `--reuid=${uid}`,
  `--regid=${uid}`,
  "--clear-groups",
];

/** Run peer_client.py as `uid` (through `prefix`, a command that runs it); its last line. */
async function client<T>(
  input: ScenarioInput,
  uid: number,
  mode: string,
  plan: unknown,
  prefix: string[] = [],
): Promise<T> {
  const out = await new Deno.Command(input.tools.setpriv, {
    args: [
      ...asUid(uid),
      ...prefix,
      input.tools.python,
      input.client,
      mode,
      JSON.stringify(plan),
    ],
    env: { PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`peer_client.py ${mode} as uid ${uid}: ${decoder.decode(out.stderr)}`);
  }
  const lines = decoder.decode(out.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1) ?? "{}") as T;
}

/** The person's browser in hold mode: it connects, says its end, and waits for a line. */
async function heldBrowser(input: ScenarioInput, plan: Record<string, unknown>) {
  const child = new Deno.Command(input.tools.setpriv, {
    args: [...asUid(PERSON_UID), input.tools.python, input.client, "browse", JSON.stringify(plan)],
    env: { PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = lineWatcher([child.stdout, child.stderr]);
  const writer = child.stdin.getWriter();
  const held = await lines.waitFor(/"held"/, 30_000).catch(async (err) => {
    await writer.close().catch(() => {});
    await child.status;
    throw err;
  });
  return {
    held: (JSON.parse(held) as { held: string }).held,
    async go(): Promise<BrowserResult> {
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
      await child.status;
      await lines.done;
      return JSON.parse(lines.lines.filter((l) => l.startsWith("{")).at(-1) ?? "{}");
    },
  };
}

/** Root's own connection to the server (what a forwarder run as root opens): its answer. */
async function rootConnection(request: string): Promise<ClientConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: PORT });
  const record: ClientConn = { local: `127.0.0.1:${conn.localAddr.port}` };
  await conn.write(new TextEncoder().encode(request));
  const chunks: string[] = [];
  const buffer = new Uint8Array(65536);
  const timer = setTimeout(() => conn.close(), 5000);
  try {
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      chunks.push(decoder.decode(buffer.subarray(0, n)));
    }
    conn.close();
  } catch {
    // closed by the timer, or reset
  } finally {
    clearTimeout(timer);
  }
  record.answer = chunks.join("");
  return record;
}

/** A forwarder run as root (like `ssh -L` as root): 127.0.0.5:PORT to 127.0.0.1:PORT. */
function rootForwarder(relayed: string[]): Deno.TcpListener {
  const listener = Deno.listen({ hostname: "127.0.0.5", port: PORT });
  (async () => {
    for await (const down of listener) {
      const up = await Deno.connect({ hostname: "127.0.0.1", port: PORT });
      relayed.push(`127.0.0.1:${up.localAddr.port}`);
      down.readable.pipeTo(up.writable).catch(() => {});
      up.readable.pipeTo(down.writable).catch(() => {});
    }
  })().catch(() => {});
  return listener;
}

/** The `peer` lines of a login log. */
function parseLog(text: string): PeerRecord[] {
  const records: PeerRecord[] = [];
  for (const line of text.split("\n")) {
    const m = /^\S+ peer (.*)$/.exec(line);
    if (!m) continue;
    const facts: Record<string, string> = {};
    for (const pair of m[1].split(" ")) {
      const eq = pair.indexOf("=");
      facts[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    records.push({
      from: facts.from,
      verdict: facts.verdict,
      owner: facts.owner,
      uid: facts.uid,
      tool: facts.tool,
    });
  }
  return records;
}

/** The person's PATH for the attack: the failing `ss` wrapper first, or no `ss` at all. */
async function personPath(input: ScenarioInput, base: string, ssCount: string): Promise<string> {
  const bin = `${base}/bin`;
  await Deno.mkdir(bin, { mode: 0o755 });
  if (input.attack === "ss-fails-once") {
    await Deno.writeTextFile(
      `${bin}/ss`,
      [
        "#!/bin/sh",
        "# The first call fails (as a passing error would); every later one is the real ss.",
        `count='${ssCount}'`,
        "n=0",
        '[ -f "$count" ] && read -r n <"$count"',
        "n=$((n + 1))",
        'echo "$n" >"$count"',
        '[ "$n" -gt 1 ] || exit 1',
        `exec '${input.tools.ss}' "$@"`,
        "",
      ].join("\n"),
    );
    await Deno.chmod(`${bin}/ss`, 0o755);
    return `${bin}:/usr/bin:/bin`;
  }
  if (input.attack === "lsof") {
    await Deno.symlink(input.tools.lsof, `${bin}/lsof`);
    return bin; // neither /usr/bin nor /bin: no ss
  }
  return "/usr/bin:/bin";
}

/** The person's home (theirs, 0700) in `base`, a directory everyone may enter. */
async function personHome(base: string): Promise<string> {
  await Deno.chmod(base, 0o755);
  const home = `${base}/person`;
  await Deno.mkdir(home, { mode: 0o700 });
  await Deno.chown(home, PERSON_UID, PERSON_UID);
  return home;
}

/** The person's `codex-login login` as uid 1000, with the grants its target gives. */
function spawnPerson(input: ScenarioInput, issuerUrl: string, home: string, path: string) {
  const args = [
    "login",
    "--issuer",
    issuerUrl,
    "--api-base",
    issuerUrl,
    "--codex-home",
    `${home}/.codex`,
    "--no-browser",
  ];
  const env = {
    HOME: home,
    PATH: path,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    DENO_DIR: input.denoDir,
  };
  const argv = input.target === "installed" ? [input.program, ...args] : [
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    ...launcherPermissions(args, env),
    input.program,
    ...args,
  ];
  const child = new Deno.Command(input.tools.setpriv, {
    args: [...asUid(PERSON_UID), ...argv],
    env,
    clearEnv: true,
    cwd: home,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { child, output: lineWatcher([child.stdout, child.stderr]) };
}

/** What an attack works with. */
interface Run {
  input: ScenarioInput;
  result: ScenarioResult;
  /** The authorize URL the person's codex-login printed. */
  authorize: URL;
  /** The attacker's forged callback: its own code, the person's state. */
  request: string;
  /** The file the `ss` wrapper counts its calls in. */
  ssCount: string;
}

/** The person's browser: approve at the issuer, call back, load the success page. */
function browse(run: Run, extra: Record<string, unknown> = {}): Promise<BrowserResult> {
  const plan = { port: PORT, authorize: run.authorize.href, ...extra };
  return client<BrowserResult>(run.input, PERSON_UID, "browse", plan);
}

/** The attacker's connections from `sources`, each sent the forged callback. */
async function connections(
  run: Run,
  sources: [string, number][],
  closeAtOnce = false,
): Promise<ClientConn[]> {
  const plan = { port: PORT, request: run.request, sources, close_at_once: closeAtOnce };
  return (await client<{ conns: ClientConn[] }>(run.input, ATTACKER_UID, "connections", plan))
    .conns;
}

const FAVICON = `GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\n\r\n`;

/** Each attack, then the person's browser. */
const PERFORM: Record<Attack, (run: Run) => Promise<void>> = {
  async orphans(run) {
    const got = await client<{ orphans: string[]; gone: ClientConn[]; conns: ClientConn[] }>(
      run.input,
      ATTACKER_UID,
      "orphans",
      { port: PORT, request: run.request, ss: run.input.tools.ss },
    );
    run.result.orphans = got.orphans;
    run.result.closed = got.gone;
    run.result.attacker = got.conns;
    run.result.browser = await browse(run);
  },
  async "other-addresses"(run) {
    const plan = { port: PORT, authorize: run.authorize.href, hold: true };
    const browser = await heldBrowser(run.input, plan);
    const port = Number(browser.held.split(":")[1]);
    run.result.attacker = await connections(run, [
      ["127.0.0.2", port],
      ["127.0.0.3", port],
      ["127.0.0.4", port],
      ["::ffff:127.0.0.5", port], // an IPv6 socket, to the IPv4-mapped address
    ]);
    run.result.browser = await browser.go();
  },
  async "from-server-port"(run) {
    run.result.attacker = await connections(run, [
      ["127.0.0.2", PORT],
      ["127.0.0.3", PORT],
      ["127.0.0.2", 1457],
    ]);
    run.result.browser = await browse(run);
  },
  async scan(run) {
    // This namespace's ephemeral range narrowed to 64 ports, each swept twice: answers read
    // (the server closes first), then closed at once (orphans naming 1455 on every port).
    // The person's browser can only get one of those ports.
    await Deno.writeTextFile(
      "/proc/sys/net/ipv4/ip_local_port_range",
      `${SCAN_RANGE[0]} ${SCAN_RANGE[1]}`,
    );
    run.result.scanRange = SCAN_RANGE;
    const all = Array.from(
      { length: SCAN_RANGE[1] - SCAN_RANGE[0] + 1 },
      (): [string, number] => ["127.0.0.1", 0],
    );
    run.result.attacker = await connections(run, all);
    run.result.closed = await connections(run, all, true);
    // The kernel lets a new connection reuse a TIME-WAIT's ends after a second (loopback).
    await new Promise((r) => setTimeout(r, 1200));
    run.result.browser = await browse(run);
  },
  async "ss-fails-once"(run) {
    run.result.attacker = await connections(run, [["127.0.0.2", 0]]);
    run.result.browser = await browse(run);
    run.result.ssCalls = Number(await Deno.readTextFile(run.ssCount).catch(() => "0"));
  },
  async lsof(run) {
    run.result.attacker = await connections(run, [["127.0.0.1", 0], ["127.0.0.2", 0]]);
    run.result.root.push(await rootConnection(FAVICON));
    run.result.browser = await browse(run);
  },
  async "root-forwarder"(run) {
    const relayed: string[] = [];
    const forwarder = rootForwarder(relayed);
    try {
      run.result.browser = await browse(run, { via: `127.0.0.5:${PORT}` });
    } finally {
      forwarder.close();
    }
    run.result.root = relayed.map((local) => ({ local }));
  },
  async "userns-root"(run) {
    // uid 0 in a user namespace of its own (unprivileged): the kernel still knows it as 65534.
    const plan = {
      port: PORT,
      request: run.request,
      sources: [["127.0.0.2", 0], ["127.0.0.1", 0]],
    };
    const got = await client<{ uid: number; conns: ClientConn[] }>(
      run.input,
      ATTACKER_UID,
      "connections",
      plan,
      [run.input.tools.unshare, "--user", "--map-root-user"],
    );
    run.result.attackerUid = got.uid;
    run.result.attacker = got.conns;
    run.result.browser = await browse(run);
  },
};

/** Resolves with the exit code, or null when `ms` pass first. */
async function exitWithin(status: Promise<Deno.CommandStatus>, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<null>((r) => timer = setTimeout(() => r(null), ms));
  const code = await Promise.race([status.then((s) => s.code), deadline]);
  clearTimeout(timer);
  return code;
}

/** What the issuer was asked with the attacker's code and tokens. */
function issuerFacts(result: ScenarioResult, issuer: FakeIssuer, attackerCode: string): void {
  result.attackerCodeExchanges = issuer.tokenRequests("authorization_code")
    .filter((r) => r.params.code === attackerCode).length;
  result.attackerTokensUsed = issuer.requestsTo("/oauth/token").filter((r) => {
    const token = r.params.subject_token ?? r.params.refresh_token ?? "";
    return issuer.familyOf(token)?.account?.accountId === ATTACKER.accountId;
  }).length;
}

/** Whose credentials were saved, and the `peer` lines of the login log. */
async function savedFacts(result: ScenarioResult, codexHome: string): Promise<void> {
  const auth = await Deno.readTextFile(`${codexHome}/auth.json`).catch(() => undefined);
  if (auth) {
    result.savedAccount = (JSON.parse(auth) as { tokens?: { account_id?: string } }).tokens
      ?.account_id;
  }
  const log = await Deno.readTextFile(`${codexHome}/log/codex-login.log`).catch(() => "");
  result.log = parseLog(log);
}

/** Run one attack (as root, inside a private network namespace). */
export async function runScenario(input: ScenarioInput): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    attack: input.attack,
    target: input.target,
    exit: null,
    output: [],
    attackerCodeExchanges: 0,
    attackerTokensUsed: 0,
    attacker: [],
    closed: [],
    root: [],
    browser: {},
    log: [],
  };
  const base = await Deno.makeTempDir({ prefix: "codex-login-peer-" });
  try {
    const home = await personHome(base);
    const ssCount = `${home}/ss-calls`;
    await using issuer = startFakeIssuer({ account: { ...PERSON } });
    const person = spawnPerson(input, issuer.url, home, await personPath(input, base, ssCount));
    let attackerCode = "";
    try {
      const authorize = new URL(await person.output.waitFor(AUTHORIZE_LINE, 30_000));
      const param = (name: string) => authorize.searchParams.get(name) ?? "";
      // The attacker's own code for the person's sign-in (login CSRF), and the person's state.
      attackerCode = issuer.mintCode(param("redirect_uri"), param("code_challenge"), undefined, {
        ...ATTACKER,
      });
      const request = `GET /auth/callback?code=${attackerCode}&state=${
        param("state")
      } HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\n\r\n`;
      await PERFORM[input.attack]({ input, result, authorize, request, ssCount });
      result.exit = await exitWithin(person.child.status, 30_000);
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err);
    } finally {
      try {
        person.child.kill("SIGKILL");
      } catch {
        // exited
      }
      await person.child.status;
      await person.output.done;
    }
    result.output = person.output.lines;
    issuerFacts(result, issuer, attackerCode);
    await savedFacts(result, `${home}/.codex`);
  } finally {
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
  return result;
}

const AUTHORIZE_LINE = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/;

if (import.meta.main) {
  console.log(JSON.stringify(await runScenario(JSON.parse(Deno.args[0]))));
  Deno.exit(0); // whatever a killed run left open (a forwarder's relay) does not hold the test
}
