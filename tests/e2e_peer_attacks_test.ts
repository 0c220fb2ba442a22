/**
 * The peer check's attacks (issue 25), performed for real by another uid against a person who
 * is not root. The sign-in server admits a connection only after finding who owns its other
 * end (`lib/loopback/peer_lookup.ts`); `loopback/peer_lookup_test.ts` plays these attacks
 * against a scripted `ss`, here the kernel, `ss` and `lsof` are real:
 *
 * - the person's `codex-login login` runs as uid 1000 (CI runs as root, where "root is
 *   trusted" and "the person's own uid" would coincide), on the default port 1455, inside a
 *   private network namespace of its own (`unshare --net`), so runs never collide;
 * - the attacker runs as uid 65534 and knows the worst: the person's `state`, and holds a code
 *   of its own account for the person's PKCE challenge (login CSRF);
 * - the person's browser runs as uid 1000, like the person.
 *
 * Each attack runs against `main.ts` and the bundle under `deno run` with the launcher's
 * scoped grants, and against the command `make install` installs (run with PATH=/usr/bin:/bin,
 * or that PATH changed on purpose: the failing `ss` wrapper first, or no `ss` at all; the
 * installed launcher, like `deno run`, takes PATH from the environment). This file loops over
 * the three itself, so it runs once: in `make test`'s second pass over the e2e files (the
 * bundle, `CODEX_LOGIN_ENTRY`) or against `CODEX_LOGIN_COMMAND`, it reports itself skipped.
 *
 * What each test asserts: the attacker's connections got not one byte (no 200, no 302), the
 * login log names uid 65534 for each of them (ss) or says their owner was not found (lsof),
 * nothing but the person's own connection was admitted, no token of the attacker's account
 * was ever used and the person is signed in to their own account. The attacker's code may be
 * exchanged once, early, while its connection's owner is being looked up (the sign-in server
 * previews a callback so the check and the exchange overlap, `lib/signin/callback.ts`): those
 * tokens are never used, which `attackerTokensUsed` and the saved account hold.
 */
import assert from "node:assert/strict";
import { ROOT } from "./support/helpers.ts";
import {
  asUid,
  type Attack,
  ATTACKER_UID,
  PERSON,
  PERSON_UID,
  type ScenarioInput,
  type ScenarioResult,
  type Target,
} from "./support/peer_scenario.ts";

const BUNDLE = `${ROOT}dist/codex-login.js`;
const SEARCH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** A program's path in the system's directories (never a user's shims), or undefined. */
function which(program: string): string | undefined {
  for (const dir of SEARCH) {
    try {
      if (Deno.statSync(`${dir}/${program}`).isFile) return `${dir}/${program}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

const TOOLS = {
  setpriv: which("setpriv"),
  unshare: which("unshare"),
  ip: which("ip"),
  ss: which("ss"),
  python: which("python3"),
  lsof: which("lsof"),
};

async function succeeds(program: string, args: string[]): Promise<boolean> {
  return await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output()
    .then((o) => o.success, () => false);
}

/** Set in a pass over the e2e files against one target: this file covers all three itself. */
const ONE_TARGET_PASS = ["CODEX_LOGIN_COMMAND", "CODEX_LOGIN_ENTRY"].find((name) =>
  Deno.env.get(name)
);

/** Why none of these attacks can be performed here, or undefined. */
async function missing(): Promise<string | undefined> {
  if (ONE_TARGET_PASS) {
    return `${ONE_TARGET_PASS} is set: this file runs main.ts, the bundle and the installed command itself, in the main pass`;
  }
  if (Deno.build.os !== "linux") return "Linux only (network namespaces, setpriv, ss)";
  for (const name of ["setpriv", "unshare", "ip", "ss", "python3"] as const) {
    if (!TOOLS[name === "python3" ? "python" : name]) return `${name} is not installed`;
  }
  if (!(await succeeds(TOOLS.setpriv!, [...asUid(PERSON_UID), "true"]))) {
    return "needs root (setpriv to uid 1000 and 65534)";
  }
  if (!(await succeeds(TOOLS.unshare!, ["-n", "sh", "-c", "ip link set lo up"]))) {
    return "no private network namespace here (unshare -n)";
  }
  // uid 1000 must run this Deno on this checkout (not so under a 0700 home).
  const readable = await succeeds(TOOLS.setpriv!, [
    ...asUid(PERSON_UID),
    "sh",
    "-c",
    '"$0" --version >/dev/null && test -r "$1" && test -r "$2"',
    Deno.execPath(),
    `${ROOT}main.ts`,
    `${ROOT}tests/support/peer_client.py`,
  ]);
  return readable ? undefined : `uid ${PERSON_UID} cannot run this Deno on this checkout`;
}

const MISSING = await missing();
const BUNDLE_MISSING = await Deno.stat(BUNDLE).then(
  () => undefined,
  () => "dist/codex-login.js is missing (make bundle)",
);
if (MISSING) console.error(`SKIPPED peer attacks: ${MISSING}`);
else if (BUNDLE_MISSING) console.error(`SKIPPED peer attacks on the bundle: ${BUNDLE_MISSING}`);
if (!MISSING && !TOOLS.lsof) console.error("SKIPPED peer attack on the lsof path: no lsof");
/** Why uid 65534 cannot have a user namespace of its own here, or undefined. */
const USERNS_MISSING = MISSING ?? (await succeeds(TOOLS.setpriv!, [
    ...asUid(ATTACKER_UID),
    TOOLS.unshare!,
    "--user",
    "--map-root-user",
    "true",
  ])
  ? undefined
  : "unprivileged user namespaces are off here");
if (USERNS_MISSING && !MISSING) {
  console.error(`SKIPPED peer attack from a user namespace: ${USERNS_MISSING}`);
}

/** The temp directory of this file: uid 1000's Deno cache, the installed command. */
const dir = MISSING ? "" : await Deno.makeTempDir({ prefix: "codex-login-peer-attacks-" });
globalThis.addEventListener("unload", () => {
  if (dir) Deno.removeSync(dir, { recursive: true });
});
let denoDir: Promise<string> | undefined;
let installed: Promise<string> | undefined;

/** uid 1000's Deno cache, shared by every run of this file (module transpiles are kept). */
function personDenoDir(): Promise<string> {
  denoDir ??= (async () => {
    await Deno.chmod(dir, 0o755);
    await Deno.mkdir(`${dir}/deno`, { mode: 0o700 });
    await Deno.chown(`${dir}/deno`, PERSON_UID, PERSON_UID);
    return `${dir}/deno`;
  })();
  return denoDir;
}

/** `make install` into a prefix uid 1000 may read; the installed command's path. */
function installedCommand(): Promise<string> {
  installed ??= (async () => {
    const out = await new Deno.Command("sh", {
      args: [`${ROOT}tools/make_install.sh`, "install", `${dir}/prefix`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return `${dir}/prefix/bin/codex-login`;
  })();
  return installed;
}

/** Run one attack in a network namespace of its own; what it printed. */
async function perform(attack: Attack, target: Target): Promise<ScenarioResult> {
  const program = target === "installed"
    ? await installedCommand()
    : target === "bundle"
    ? BUNDLE
    : `${ROOT}main.ts`;
  const input: ScenarioInput = {
    attack,
    target,
    program,
    denoDir: await personDenoDir(),
    tools: {
      setpriv: TOOLS.setpriv!,
      unshare: TOOLS.unshare!,
      python: TOOLS.python!,
      ss: TOOLS.ss!,
      lsof: TOOLS.lsof ?? "",
    },
    client: `${ROOT}tests/support/peer_client.py`,
  };
  const out = await new Deno.Command(TOOLS.unshare!, {
    args: [
      "-n",
      "sh",
      "-c",
      'ip link set lo up && exec "$0" run -A tests/support/peer_scenario.ts "$1"',
      Deno.execPath(),
      JSON.stringify(input),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr) + stdout);
  const result = JSON.parse(stdout.split("\n").at(-1) ?? "{}") as ScenarioResult;
  assert.equal(result.error, undefined, `${result.error}\n${result.output.join("\n")}`);
  return result;
}

const WARNING_65534 =
  "Warning: another user on this machine (uid 65534) connected to the sign-in server; the connection was closed.";
const LSOF_WARNING =
  /^Warning: a connection to the sign-in server from 127\.0\.0\.\d+:\d+ came from no program of yours \(another user's, or one run as root such as a port forwarder, which lsof cannot see\); it was closed\.$/;

/**
 * The person ends signed in to their own account, and nothing but `via` (their browser's
 * end, or a forwarder's) was admitted: as `uid`, with `tool`, on its first lookup.
 */
function personSignedIn(r: ScenarioResult, tool: "ss" | "lsof", via?: string, uid = "1000") {
  const context = r.output.join("\n");
  assert.equal(r.exit, 0, context);
  assert.equal(r.savedAccount, PERSON.accountId, "the person's own account is saved");
  assert.ok(r.output.some((l) => l.startsWith(`Successfully logged in as ${PERSON.email}.`)));
  assert.deepEqual(
    [r.browser.authorize, r.browser.callback, r.browser.success],
    [302, 302, 200],
    "the browser's first callback is answered",
  );
  assert.equal(r.attackerTokensUsed, 0, "no token of the attacker's account is ever used");
  assert.ok(r.attackerCodeExchanges <= 1, "the attacker's code: one early exchange at most");
  assert.deepEqual(
    r.log.filter((l) => l.verdict !== "refused"),
    [{ from: via ?? r.browser.local, verdict: "admitted", owner: "found", uid, tool }],
    "the person's connection alone is admitted",
  );
  assert.ok(!r.output.some((l) => /could not check who connected/.test(l)), context);
}

/** Each attacker connection got nothing, and the login log names uid 65534 for it. */
function refusedAs65534(r: ScenarioResult, conns = r.attacker) {
  assert.ok(conns.length > 0);
  for (const c of conns) {
    assert.ok(c.local, `the attacker connected: ${JSON.stringify(c)}`);
    assert.equal(c.answer, "", `${c.local} got not one byte`);
    assert.ok(
      r.log.some((l) =>
        l.from === c.local && l.verdict === "refused" && l.owner === "found" &&
        l.uid === "65534" && l.tool === "ss"
      ),
      `${c.local} refused as uid 65534: ${JSON.stringify(r.log)}`,
    );
  }
  assert.equal(r.output.filter((l) => l === WARNING_65534).length, 1, r.output.join("\n"));
}

/** Connections closed at once still reached the server, and were refused. */
function closedRefused(r: ScenarioResult) {
  assert.ok(r.closed.length > 0);
  for (const c of r.closed) {
    assert.ok(c.local, `connected: ${JSON.stringify(c)}`);
    assert.ok(r.log.some((l) => l.from === c.local && l.verdict === "refused"), c.local);
  }
}

const ATTACK_TESTS: { attack: Attack; title: string; check: (r: ScenarioResult) => void }[] = [
  {
    attack: "orphans",
    title:
      "1, orphans: closed sockets naming port 1455 (FIN-WAIT-2, TIME-WAIT, ino:0), then connections from their very ends are refused as uid 65534",
    check(r) {
      const orphan = (local: string | undefined, remote: string) =>
        (r.orphans ?? []).some((line) => {
          const f = line.split(" ");
          return f[3] === local && f[4] === remote && /WAIT/.test(f[0]);
        });
      assert.ok(orphan(r.attacker[0].local, "127.0.0.2:1455"), JSON.stringify(r.orphans));
      assert.equal(r.attacker[1].local, r.closed[0].local, "the four ends of a TIME-WAIT orphan");
      assert.ok(orphan(r.attacker[1].local, "127.0.0.1:1455"), JSON.stringify(r.orphans));
      closedRefused(r);
      refusedAs65534(r);
      personSignedIn(r, "ss");
    },
  },
  {
    attack: "other-addresses",
    title:
      "2, 127.0.0.2-5 (one through an IPv6 socket) bound to the port of the person's open connection are refused as uid 65534",
    check(r) {
      assert.equal(r.browser.first, 404, "the person's held connection was served");
      const port = r.browser.local?.split(":")[1];
      assert.deepEqual(r.attacker.map((c) => c.local), [
        `127.0.0.2:${port}`,
        `127.0.0.3:${port}`,
        `127.0.0.4:${port}`,
        `127.0.0.5:${port}`,
      ]);
      refusedAs65534(r);
      personSignedIn(r, "ss");
    },
  },
  {
    attack: "from-server-port",
    title: "3, connections from port 1455 (and 1457) of 127.0.0.2 and 127.0.0.3 are refused",
    check(r) {
      assert.deepEqual(r.attacker.map((c) => c.local), [
        "127.0.0.2:1455",
        "127.0.0.3:1455",
        "127.0.0.2:1457",
      ]);
      refusedAs65534(r);
      personSignedIn(r, "ss");
    },
  },
  {
    attack: "scan",
    title:
      "4, a scan of the whole ephemeral range, twice: the person's connection, from a scanned port, is admitted at once",
    check(r) {
      const [low, high] = r.scanRange ?? [0, 0];
      assert.equal(r.attacker.length, high - low + 1, "every port of the range");
      refusedAs65534(r);
      closedRefused(r);
      const port = Number(r.browser.local?.split(":")[1]);
      assert.ok(port >= low && port <= high, `${port} in the scanned range`);
      assert.ok(r.closed.some((c) => c.local === r.browser.local), "an orphan had these ends");
      personSignedIn(r, "ss");
    },
  },
  {
    attack: "ss-fails-once",
    title:
      "5, ss fails on the attacker's connection (a PATH whose first ss fails once): tried again, refused as uid 65534",
    check(r) {
      assert.ok((r.ssCalls ?? 0) >= 3, `the failed run, its retry, the person's: ${r.ssCalls}`);
      refusedAs65534(r);
      personSignedIn(r, "ss");
    },
  },
  {
    attack: "lsof",
    title:
      "6, no ss on PATH, lsof used: the attacker and a root-owned connection are refused, the person admitted",
    check(r) {
      for (const c of [...r.attacker, ...r.root]) {
        assert.ok(c.local, JSON.stringify(c));
        assert.equal(c.answer, "", `${c.local} got not one byte`);
        assert.ok(
          r.log.some((l) =>
            l.from === c.local && l.verdict === "refused" && l.owner === "not_found" &&
            l.uid === "unknown" && l.tool === "lsof"
          ),
          `${c.local}: ${JSON.stringify(r.log)}`,
        );
      }
      assert.equal(r.root.length, 1);
      assert.ok(r.log.every((l) => l.tool === "lsof"), "ss never answered");
      assert.ok(r.output.some((l) => LSOF_WARNING.test(l)), r.output.join("\n"));
      personSignedIn(r, "lsof");
    },
  },
  {
    attack: "root-forwarder",
    title:
      "7, the person's browser through a forwarder run as root (ssh -L as root) is admitted on the ss path",
    check(r) {
      assert.equal(r.root.length, 1, "one relayed connection");
      assert.ok(!r.output.some((l) => l.startsWith("Warning:")), r.output.join("\n"));
      personSignedIn(r, "ss", r.root[0].local, "0");
    },
  },
  {
    attack: "userns-root",
    title:
      "8, root in a user namespace of its own (unshare --user --map-root-user) is still uid 65534",
    check(r) {
      assert.equal(r.attackerUid, 0, "the attacker's process sees itself as root");
      refusedAs65534(r);
      personSignedIn(r, "ss");
    },
  },
];

const TARGETS: Target[] = ["main.ts", "bundle", "installed"];

if (ONE_TARGET_PASS) {
  Deno.test({ name: "peer attacks: run once, in the main pass", ignore: true, fn() {} });
}
for (const target of ONE_TARGET_PASS ? [] : TARGETS) {
  for (const { attack, title, check } of ATTACK_TESTS) {
    const skip = MISSING ??
      (target !== "main.ts" ? BUNDLE_MISSING : undefined) ??
      (attack === "lsof" && !TOOLS.lsof ? "lsof is not installed" : undefined) ??
      (attack === "userns-root" ? USERNS_MISSING : undefined);
    Deno.test({
      name: `[${target}] peer attack ${title}`,
      ignore: skip !== undefined,
      async fn() {
        check(await perform(attack, target));
      },
    });
  }
}
