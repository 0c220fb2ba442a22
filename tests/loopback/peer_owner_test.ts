import assert from "node:assert/strict";
import {
  findPeer,
  parseLsof,
  parseSs,
  runTool,
  type SocketRecord,
  trustedUid,
} from "../../lib/loopback/peer_owner.ts";

const US = { local: { addr: "127.0.0.1", port: 1455 }, remote: { addr: "127.0.0.2", port: 50001 } };

Deno.test("ss output: all four ends, the owner (none: root's), the inode (0: an orphan)", () => {
  const text = [
    "ESTAB 0 0 127.0.0.2:50001 127.0.0.1:1455 uid:65534 ino:66773 sk:2 <->",
    "127.0.0.1:43692 127.0.0.1:1455 ino:66774 sk:3 <->",
    "FIN-WAIT-2 0 0 127.0.0.3:50001 127.0.0.1:1455 ino:0 sk:4 <->",
    "LISTEN 0 128 127.0.0.1:1455 0.0.0.0:* uid:1000 ino:1",
    "ESTAB 0 0 [::ffff:127.0.0.1]:50009 [::ffff:127.0.0.1]:1455 uid:5 ino:9",
    "",
    "garbage",
  ].join("\n");
  assert.deepEqual(parseSs(text), [
    {
      local: { addr: "127.0.0.2", port: 50001 },
      remote: { addr: "127.0.0.1", port: 1455 },
      uid: 65534,
      inode: 66773,
    },
    {
      local: { addr: "127.0.0.1", port: 43692 },
      remote: { addr: "127.0.0.1", port: 1455 },
      uid: null,
      inode: 66774,
    },
    {
      local: { addr: "127.0.0.3", port: 50001 },
      remote: { addr: "127.0.0.1", port: 1455 },
      uid: null,
      inode: 0,
    },
    {
      local: { addr: "127.0.0.1", port: 1455 },
      remote: { addr: "0.0.0.0", port: 0 },
      uid: 1000,
      inode: 1,
    },
    {
      local: { addr: "127.0.0.1", port: 50009 },
      remote: { addr: "127.0.0.1", port: 1455 },
      uid: 5,
      inode: 9,
    },
  ]);
});

Deno.test("ss output: a cgroup name the other user chose adds no owner, inode or end", () => {
  // The first line as ss 6.1 (Linux 6.18) printed a socket of uid 65534 made in a cgroup named
  // "pa x uid:0 ino:0 cgroup:" (cgroup names may hold spaces). ss prints its own uid and ino
  // before the cgroup, so the first of each is the kernel's.
  const text = [
    "ESTAB 0      0      127.0.0.1:51194 127.0.0.1:1455 uid:65534 ino:1561880 sk:47d4 cgroup:/pa x uid:0 ino:0 cgroup: <->",
    "ESTAB 0 0 127.0.0.2:50002 127.0.0.1:1455 uid:65534 ino:7 sk:1 cgroup:/y 127.0.0.3:9 127.0.0.1:1455 uid:1000 <->",
  ].join("\n");
  assert.deepEqual(parseSs(text), [
    {
      local: { addr: "127.0.0.1", port: 51194 },
      remote: { addr: "127.0.0.1", port: 1455 },
      uid: 65534,
      inode: 1561880,
    },
    {
      local: { addr: "127.0.0.2", port: 50002 },
      remote: { addr: "127.0.0.1", port: 1455 },
      uid: 65534,
      inode: 7,
    },
  ]);
});

Deno.test("lsof output: each process's owner, each socket's two ends, a listener's one", () => {
  const text = [
    "p100",
    "u1000",
    "n127.0.0.2:50001->127.0.0.1:1455",
    "n127.0.0.1:1455",
    "p200",
    "u0",
    "n127.0.0.3:50002->127.0.0.1:1455",
  ].join("\n");
  assert.deepEqual(parseLsof(text), [
    {
      local: { addr: "127.0.0.2", port: 50001 },
      remote: { addr: "127.0.0.1", port: 1455 },
      uid: 1000,
    },
    { local: { addr: "127.0.0.1", port: 1455 }, remote: { addr: "", port: 0 }, uid: 1000 },
    {
      local: { addr: "127.0.0.3", port: 50002 },
      remote: { addr: "127.0.0.1", port: 1455 },
      uid: 0,
    },
  ]);
});

Deno.test("the peer matches all four ends: same port from another address, our own socket, an orphan are not it", () => {
  const sockets: SocketRecord[] = [
    // An attacker's orphan with the person's port numbers (FIN-WAIT-2 after close()).
    { local: { addr: "127.0.0.2", port: 50001 }, remote: US.local, uid: null, inode: 0 },
    // The same remote port from another 127.x address.
    { local: { addr: "127.0.0.3", port: 50001 }, remote: US.local, uid: 0, inode: 5 },
    // Our own accepted socket (its dport is the client's port, maybe 1455 too).
    { local: US.local, remote: US.remote, uid: 1000, inode: 6 },
    // The real peer.
    { local: US.remote, remote: US.local, uid: 1000, inode: 7 },
  ];
  assert.equal(findPeer(sockets, US)?.inode, 7);
  assert.equal(findPeer(sockets.slice(0, 3), US), undefined, "not found: refused, never root");
  assert.equal(trustedUid(1000, 1000), true);
  assert.equal(trustedUid(0, 1000), true, "root can read our memory anyway");
  assert.equal(trustedUid(65534, 1000), false);
});

Deno.test({
  name: "runTool: real ss and lsof when granted; not granted or missing said as such",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const status = await Deno.permissions.query({ name: "run", command: "ss" });
    if (status.state !== "granted") {
      assert.equal((await runTool("ss", ["-V"])).kind, "not_granted");
      return;
    }
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const out = await runTool("ss", ["-tlnHe", `( sport = :${listener.addr.port} )`]);
      if (out.kind === "missing") return; // no iproute2 here
      assert.equal(out.kind, "output");
      if (out.kind !== "output") return;
      const mine = parseSs(out.text).find((s) => s.local.port === listener.addr.port);
      assert.ok(mine, out.text);
    } finally {
      listener.close();
    }
  },
});
