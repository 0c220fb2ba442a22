import assert from "node:assert/strict";
import type { FlowEvent } from "../../lib/base/events.ts";
import { admitPeers, PeerLookup } from "../../lib/loopback/peer_lookup.ts";
import type { PeerTool, ToolOutput } from "../../lib/loopback/peer_owner.ts";

const SERVER = { hostname: "127.0.0.1", port: 1455, transport: "tcp" } as const;
const from = (hostname: string, port: number) => ({ hostname, port, transport: "tcp" }) as const;
const ss = (lines: string[]): ToolOutput => ({ kind: "output", text: lines.join("\n") });
const peerLine = (addr: string, port: number, owner: string) =>
  `ESTAB 0 0 ${addr}:${port} 127.0.0.1:1455 ${owner} sk:1 <->`;

/** A scripted `ss`/`lsof`: each run answers from `answer`, and is recorded. */
function scripted(answer: (tool: PeerTool, run: number) => ToolOutput) {
  const runs: { tool: PeerTool; args: string[] }[] = [];
  return {
    runs,
    run: (tool: PeerTool, args: string[]) => {
      runs.push({ tool, args });
      return Promise.resolve(answer(tool, runs.length));
    },
  };
}

function admission(run: (tool: PeerTool, args: string[]) => Promise<ToolOutput>) {
  const events: FlowEvent[] = [];
  const records: Record<string, string | number | boolean>[] = [];
  const admit = admitPeers(new PeerLookup(1455, { os: "linux", run, backoffMs: 1 }), {
    ownUid: 1000,
    report: (e) => events.push(e),
    record: (r) => records.push(r),
  });
  assert.ok(admit);
  return { admit, events, records };
}

Deno.test("peer lookup: one run answers every connection waiting when it starts", async () => {
  const tool = scripted(() =>
    ss([
      peerLine("127.0.0.1", 50001, "uid:1000 ino:1"),
      peerLine("127.0.0.1", 50002, "uid:65534 ino:2"),
    ])
  );
  const lookup = new PeerLookup(1455, { os: "linux", run: tool.run });
  const answers = await Promise.all([
    lookup.peerOf({ addr: "127.0.0.1", port: 1455 }, { addr: "127.0.0.1", port: 50001 }),
    lookup.peerOf({ addr: "127.0.0.1", port: 1455 }, { addr: "127.0.0.1", port: 50002 }),
    lookup.peerOf({ addr: "127.0.0.1", port: 1455 }, { addr: "127.0.0.1", port: 50003 }),
  ]);
  assert.deepEqual(answers, [
    { kind: "found", tool: "ss", uid: 1000 },
    { kind: "found", tool: "ss", uid: 65534 },
    { kind: "not_found", tool: "ss" },
  ]);
  assert.deepEqual(tool.runs[0], { tool: "ss", args: ["-tnHe", "( dport = :1455 )"] });
  assert.ok(tool.runs.length <= 2, `${tool.runs.length} runs`);
});

Deno.test("attack: orphans with the person's port numbers are nobody's peer; not found is refused quietly", async () => {
  // The attacker left orphans (ino:0, no uid) with dport 1455 from 127.0.0.2, then connects
  // from 127.0.0.3 with the same port number: nothing live matches all four ends.
  const tool = scripted(() =>
    ss([
      `FIN-WAIT-2 0 0 127.0.0.2:40000 127.0.0.1:1455 ino:0 sk:3 <->`,
      peerLine("127.0.0.3", 40000, "uid:65534 ino:8"),
    ])
  );
  const a = admission(tool.run);
  assert.equal(await a.admit(SERVER, from("127.0.0.2", 40000)), false, "an orphan is not root");
  assert.equal(await a.admit(SERVER, from("127.0.0.3", 40000)), false, "another user");
  assert.deepEqual(a.records.map((r) => r.verdict), ["refused", "refused"]);
  assert.deepEqual(a.records.map((r) => r.owner), ["not_found", "found"]);
  assert.ok(a.events.some((e) => e.code === "peer.found" && /uid 65534/.test(e.text)));
  // A peer ss cannot find has closed its end (a probe, a spare connection): refused quietly.
  assert.ok(!a.events.some((e) => e.code === "peer.not_found"), "no warning for a gone peer");
});

Deno.test("attack: a connection from port 1455 of another address is not matched to our own socket", async () => {
  const tool = scripted(() =>
    ss([
      // Our own accepted socket: its dport is the attacker's port, 1455.
      "ESTAB 0 0 127.0.0.1:1455 127.0.0.2:1455 uid:1000 ino:11 sk:1 <->",
      peerLine("127.0.0.2", 1455, "uid:65534 ino:12"),
    ])
  );
  const a = admission(tool.run);
  assert.equal(await a.admit(SERVER, from("127.0.0.2", 1455)), false);
  assert.equal(a.records[0].uid, 65534);
});

Deno.test("attack: a scan before the person connects changes nothing about the person's connection", async () => {
  let phase = "scan";
  const tool = scripted(() =>
    phase === "scan"
      ? ss([peerLine("127.0.0.1", 50001, "uid:65534 ino:1")])
      : ss([peerLine("127.0.0.1", 50001, "uid:1000 ino:2")])
  );
  const a = admission(tool.run);
  assert.equal(await a.admit(SERVER, from("127.0.0.1", 50001)), false, "the attacker's port");
  phase = "person"; // the attacker closed; the person's browser got the same port number
  assert.equal(await a.admit(SERVER, from("127.0.0.1", 50001)), true, "judged afresh");
  assert.equal(tool.runs.length, 2, "no answer kept from one run to the next");
});

Deno.test("a failed ss run is tried again; still failing, that connection is refused and said why", async () => {
  const flaky = scripted((_tool, run) =>
    run === 1 ? { kind: "failed", why: "ss exited with 1" } : ss([
      peerLine("127.0.0.1", 50001, "uid:1000 ino:1"),
    ])
  );
  const once = admission(flaky.run);
  assert.equal(await once.admit(SERVER, from("127.0.0.1", 50001)), true, "retried, then admitted");
  assert.equal(flaky.runs.length, 2);
  const broken = scripted(() => ({
    kind: "failed",
    why: "ss could not start: Resource temporarily unavailable",
  }));
  const a = admission(broken.run);
  assert.equal(await a.admit(SERVER, from("127.0.0.1", 50002)), false);
  assert.equal(broken.runs.length, 3, "the first run and two more");
  assert.match(
    a.events[0].text,
    /could not check who connected.*Resource temporarily unavailable.*closed/,
  );
  assert.equal(
    await a.admit(SERVER, from("127.0.0.1", 50003)),
    false,
    "the check is not turned off",
  );
});

Deno.test("no ss: lsof, where a peer found among the person's own is admitted and anything else refused", async () => {
  const tool = scripted((t) =>
    t === "ss" ? { kind: "missing" } : {
      kind: "output",
      text: "p7\nu1000\nn127.0.0.1:50001->127.0.0.1:1455\n",
    }
  );
  const a = admission(tool.run);
  assert.equal(await a.admit(SERVER, from("127.0.0.1", 50001)), true, "the person's browser");
  assert.equal(
    await a.admit(SERVER, from("127.0.0.1", 50002)),
    false,
    "not among the person's own",
  );
  assert.ok(tool.runs.some((r) => r.tool === "lsof" && r.args.includes("-iTCP@127.0.0.1:1455")));
  assert.equal(tool.runs.filter((r) => r.tool === "ss").length, 1, "ss is not tried again");
  assert.match(a.events[0].text, /run as root such as a port forwarder/);
});

Deno.test("neither ss nor lsof: everyone is admitted and that is said once, naming what to install", async () => {
  const a = admission(() => Promise.resolve({ kind: "missing" }));
  for (let i = 0; i < 3; i++) {
    assert.equal(await a.admit(SERVER, from("127.0.0.1", 50000 + i)), true);
  }
  assert.equal(a.events.length, 1);
  assert.match(a.events[0].text, /install iproute2 or lsof/);
  const b = admission(() => Promise.resolve({ kind: "not_granted" }));
  assert.equal(await b.admit(SERVER, from("127.0.0.1", 50001)), true);
  assert.match(b.events[0].text, /--allow-run=ss,lsof/);
});

Deno.test("the listener of a port: its owner; with lsof, one not among the person's own is foreign", async () => {
  const withSs = new PeerLookup(1457, {
    os: "linux",
    run: () => Promise.resolve(ss(["LISTEN 0 128 127.0.0.1:1457 0.0.0.0:* uid:1001 ino:1"])),
  });
  assert.deepEqual(await withSs.listenerOf(), { kind: "found", tool: "ss", uid: 1001 });
  const withLsof = new PeerLookup(1457, {
    os: "darwin",
    run: () => Promise.resolve({ kind: "output", text: "" }),
  });
  assert.deepEqual(await withLsof.listenerOf(), { kind: "not_found", tool: "lsof" });
});

Deno.test("no lookup possible: everyone admitted, said once with what to install (and the grant)", async () => {
  for (const kind of ["missing", "not_granted"] as const) {
    const a = admission(scripted(() => ({ kind })).run);
    assert.equal(await a.admit(SERVER, from("127.0.0.1", 40000)), true);
    assert.equal(await a.admit(SERVER, from("127.0.0.1", 40001)), true);
    const notes = a.events.filter((e) => e.code === "peer.unchecked");
    assert.equal(notes.length, 1, "said once");
    assert.match(notes[0].text, /install iproute2 or lsof/, kind);
    assert.match(notes[0].text, /other users on this machine are not turned away/);
    if (kind === "not_granted") assert.match(notes[0].text, /--allow-run=ss,lsof/);
    assert.deepEqual(a.records.map((r) => r.verdict), ["admitted_unchecked", "admitted_unchecked"]);
  }
});
