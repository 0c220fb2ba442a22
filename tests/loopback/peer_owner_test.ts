import assert from "node:assert/strict";
import {
  listenerOwner,
  parseSs,
  PeerOwners,
  runSs,
  type SsRunner,
  trustedUid,
} from "../../lib/loopback/peer_owner.ts";

Deno.test("ss output: local and remote ports and the owner; no uid field means root", () => {
  const text = [
    "ESTAB 0 0 127.0.0.1:43690 127.0.0.1:1455 uid:65534 ino:66773 sk:2 <->",
    "127.0.0.1:43692 127.0.0.1:1455 ino:66774 sk:3 <->",
    "LISTEN 0 128 127.0.0.1:1455 0.0.0.0:* uid:1000 ino:1",
    "",
    "garbage",
  ].join("\n");
  assert.deepEqual(parseSs(text), [
    { localPort: 43690, remotePort: 1455, uid: 65534 },
    { localPort: 43692, remotePort: 1455, uid: 0 },
    { localPort: 1455, remotePort: 0, uid: 1000 },
  ]);
});

Deno.test("peer owners: one ss run answers for every connection open at the time, cached per port", async () => {
  const runs: string[][] = [];
  const ss: SsRunner = (args) => {
    runs.push(args);
    return Promise.resolve([
      "ESTAB 0 0 127.0.0.1:50001 127.0.0.1:1455 uid:1000 ino:1",
      "ESTAB 0 0 127.0.0.1:50002 127.0.0.1:1455 uid:65534 ino:2",
      "ESTAB 0 0 127.0.0.1:50003 127.0.0.1:9999 uid:7 ino:3",
    ].join("\n"));
  };
  const owners = new PeerOwners(1455, ss);
  const [a, b, c] = await Promise.all([
    owners.ownerOf(50001),
    owners.ownerOf(50002),
    owners.ownerOf(50003),
  ]);
  assert.deepEqual([a, b, c], [1000, 65534, null], "another port's socket is not our peer");
  assert.deepEqual(runs[0], ["-tnHe", "( dport = :1455 )"]);
  assert.ok(runs.length <= 2, `${runs.length} runs: one in flight, one queued at most`);
  const before = runs.length;
  assert.equal(await owners.ownerOf(50001), 1000);
  assert.equal(runs.length, before, "cached");
});

Deno.test("peer owners: without ss every answer is null, and ss is not asked again", async () => {
  let runs = 0;
  const owners = new PeerOwners(1455, () => {
    runs++;
    return Promise.resolve(undefined);
  });
  assert.equal(await owners.ownerOf(50001), null);
  assert.equal(owners.unavailable, true);
  assert.equal(await owners.ownerOf(50002), null);
  assert.equal(runs, 1);
});

Deno.test("the listener's owner on a port; trusted peers are ourselves and root", async () => {
  const ss: SsRunner = (args) => {
    assert.deepEqual(args, ["-tlnHe", "( sport = :1457 )"]);
    return Promise.resolve("LISTEN 0 128 127.0.0.1:1457 0.0.0.0:* uid:1001 ino:1\n");
  };
  assert.equal(await listenerOwner(1457, ss), 1001);
  assert.equal(await listenerOwner(1457, () => Promise.resolve("")), null, "nothing listens");
  assert.equal(await listenerOwner(1457, () => Promise.resolve(undefined)), null);
  assert.equal(trustedUid(1000, 1000), true);
  assert.equal(trustedUid(0, 1000), true, "root can read our memory anyway");
  assert.equal(trustedUid(65534, 1000), false);
});

Deno.test({
  name: "runSs: real ss when granted, listing a listener we own",
  ignore: Deno.build.os !== "linux" ||
    !(await new Deno.Command("ss", { args: ["-V"], stdout: "null" }).output().then(
      (o) => o.success,
      () => false,
    )),
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const owner = await listenerOwner(listener.addr.port, runSs);
      const probe = await Deno.makeTempFile();
      const uid = (await Deno.stat(probe)).uid;
      await Deno.remove(probe);
      assert.equal(owner, uid);
    } finally {
      listener.close();
    }
  },
});
