/**
 * Load: while a real login process waits, 20,000 junk requests over 64 keep-alive
 * connections plus 200 idle connections held open. Every request is answered, the real
 * callback still completes quickly, memory stays bounded, and the process exits cleanly.
 * Loopback only; bounded in count and time.
 */
import assert from "node:assert/strict";
import { readAuthFile } from "../lib/store/file_store.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { tempHome, timeCallback } from "./support/helpers.ts";
import { loginArgs, spawnCli } from "./support/cli_process.ts";
import { memoryOf, runLoad } from "./support/load_client.ts";

Deno.test("load: 20k junk requests + 200 idle connections; the callback still answered; bounded memory; clean exit", async () => {
  await using issuer = startFakeIssuer();
  await using h = await tempHome();
  await using cli = spawnCli(loginArgs(issuer.url, h.home.path));
  const listening = await cli.waitFor(/^Starting local login server on http:\/\/127\.0\.0\.1:\d+$/);
  const port = Number(/:(\d+)$/.exec(listening)![1]);
  const authUrl = await cli.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/);
  const host = `localhost:${port}`;
  const before = await memoryOf(cli.child.pid);

  const idle: Deno.Conn[] = [];
  for (let i = 0; i < 200; i++) idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));

  const junk = await runLoad({ port, host, total: 20_000, workers: 64, deadlineMs: 60_000 });
  assert.equal(junk.answered, 20_000, JSON.stringify(junk));
  assert.equal(junk.failed, 0);
  assert.deepEqual(Object.keys(junk.statuses), ["404"]);
  console.error(`junk: ${Math.round(20_000 / (junk.elapsedMs / 1000))} requests/s`);
  const during = await memoryOf(cli.child.pid);

  // The real callback, while junk keeps coming.
  const stop = new AbortController();
  const background = runLoad({
    port,
    host,
    total: 1_000_000,
    workers: 32,
    deadlineMs: 20_000,
    signal: stop.signal,
  });
  // Timings are `make bench`'s: here, only that the callback is answered under load.
  const { status } = await timeCallback(authUrl);
  stop.abort();
  await background;
  assert.equal(status, 302);

  // Idle connections do not hold the exit: the process ends with them still open.
  const { code, stderr } = await cli.done();
  assert.equal(code, 0, stderr);
  assert.ok(await readAuthFile(h.home));
  for (const c of idle) {
    assert.equal(await c.read(new Uint8Array(8)).catch(() => null), null, "idle connection closed");
    c.close();
  }
  if (before && during) {
    console.error(`memory: ${before.rssKb} kB before, peak ${during.peakKb} kB under load`);
    assert.ok(during.peakKb < 200 * 1024, `peak RSS ${during.peakKb} kB`);
    assert.ok(during.rssKb - before.rssKb < 64 * 1024, "RSS grew by less than 64 MB");
  }
});
