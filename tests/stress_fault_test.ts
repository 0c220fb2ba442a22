/**
 * Failing dependencies: an issuer that closes mid-body or floods, a codex home that is
 * read-only, full, a directory or a symlink, and a process killed between writing the temp
 * file and renaming it.
 */
import assert from "node:assert/strict";
import type { AuthData } from "../lib/store/auth_data.ts";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import type { CodexHome } from "../lib/store/codex_home.ts";
import { LoginError } from "../lib/base/errors.ts";
import { IssuerError } from "../lib/issuer/issuer.ts";
import { HttpClient } from "../lib/issuer/http_client.ts";
import { resolveIssuer } from "../lib/issuer/issuer_config.ts";
import { startLogin } from "../lib/signin/login_server.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, issuerClient, ROOT, tempHome } from "./support/helpers.ts";

const OLD: AuthData = { auth_mode: "apikey", OPENAI_API_KEY: "sk-old-good-key-0123456789" };

/** A raw TCP "issuer" that answers every request with `reply` bytes, then closes. */
function rawIssuer(reply: (conn: Deno.Conn) => Promise<void>): { url: string; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(65536);
        await conn.read(buf).catch(() => null);
        await reply(conn).catch(() => {});
        try {
          conn.close();
        } catch {
          // closed
        }
      })();
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close: () => listener.close(),
  };
}

const enc = new TextEncoder();

Deno.test("fault: the issuer closes mid-body -> a network error, no partial JSON used", async () => {
  const issuer = rawIssuer(async (conn) => {
    await conn.write(enc.encode(
      'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"id_token": "abc',
    ));
  });
  try {
    const err = await issuerClient(issuer.url).refresh("rt").catch((e) => e);
    assert.ok(err instanceof IssuerError, String(err));
    assert.equal(err.failure, "network");
  } finally {
    issuer.close();
  }
});

Deno.test("fault: the issuer answers 10 MB without a length -> refused at the size cap", async () => {
  const issuer = rawIssuer(async (conn) => {
    await conn.write(
      enc.encode("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"),
    );
    const chunk = enc.encode("x".repeat(65536));
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) await conn.write(chunk);
  });
  try {
    const err = await issuerClient(issuer.url).refresh("rt").catch((e) => e);
    assert.ok(err instanceof IssuerError);
    assert.equal(err.failure, "too_large");
  } finally {
    issuer.close();
  }
});

Deno.test("fault: the issuer stalls -> the sign-in fails after the request timeout, old file kept", async () => {
  await using issuer = startFakeIssuer({ tokenDelayMs: 1000 });
  await using h = await tempHome();
  await saveAuthFile(h.home, OLD);
  const http = new HttpClient({ timeoutMs: 250 });
  const session = await startLogin(
    { home: h.home, endpoints: resolveIssuer({ issuer: issuer.url }), port: 0 },
    { http },
  );
  await browse(session.authUrl);
  const err = await session.result.catch((e) => e);
  assert.ok(err instanceof LoginError && /did not answer within 0.25 s/.test(err.message));
  assert.deepEqual(await readAuthFile(h.home), OLD);
  http.close();
});

async function mountTmpfs(dir: string, options: string): Promise<boolean> {
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", options, "tmpfs", dir],
    stderr: "null",
  }).output().catch(() => ({ success: false }));
  return out.success;
}

async function umount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stderr: "null" }).output().catch(() => {});
}

const canMount = await (async () => {
  const dir = await Deno.makeTempDir();
  const ok = await mountTmpfs(dir, "size=16k");
  if (ok) await umount(dir);
  await Deno.remove(dir);
  return ok;
})();
if (!canMount) {
  console.error("SKIPPED read-only/full codex home tests: they need root to mount a tmpfs");
}

/** A codex home on its own small tmpfs holding the OLD auth.json, unmounted afterwards. */
async function withTmpfsHome(fn: (home: CodexHome) => Promise<void>): Promise<void> {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path);
  assert.ok(await mountTmpfs(h.home.path, "size=64k,mode=0700"));
  try {
    await saveAuthFile(h.home, OLD);
    await fn(h.home);
  } finally {
    await umount(h.home.path);
  }
}

Deno.test({
  name: "fault: a read-only codex home -> a clear save error, the old auth.json intact",
  ignore: !canMount,
  fn: () =>
    withTmpfsHome(async (home) => {
      await new Deno.Command("mount", { args: ["-o", "remount,ro", home.path] }).output();
      const err = await saveAuthFile(home, {
        auth_mode: "apikey",
        OPENAI_API_KEY: "sk-new-0123456789abcdef",
      })
        .catch((e) => e);
      assert.ok(err instanceof LoginError, String(err));
      assert.equal(err.kind, "save_failed");
      assert.match(
        err.message,
        /Could not save your credentials to .*auth\.json \(.*\)\. Check that/,
      );
      assert.deepEqual(await readAuthFile(home), OLD);
    }),
});

Deno.test({
  name: "fault: a full codex home -> a clear save error, the old auth.json intact, no temp left",
  ignore: !canMount,
  fn: () =>
    withTmpfsHome(async (home) => {
      // Fill the filesystem.
      const filler = await Deno.open(home.file("filler"), { write: true, create: true });
      try {
        while (true) await filler.write(new Uint8Array(4096));
      } catch {
        // ENOSPC: full
      } finally {
        filler.close();
      }
      const big: AuthData = { auth_mode: "apikey", OPENAI_API_KEY: "sk-" + "n".repeat(20_000) };
      const err = await saveAuthFile(home, big).catch((e) => e);
      assert.ok(err instanceof LoginError && err.kind === "save_failed", String(err));
      assert.deepEqual(await readAuthFile(home), OLD);
      await assert.rejects(Deno.stat(home.authTemp), Deno.errors.NotFound);
    }),
});

Deno.test("fault: auth.json is a directory -> a clear save error, the directory untouched", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.authFile, { recursive: true });
  await Deno.writeTextFile(`${h.home.authFile}/keep`, "x");
  const err = await saveAuthFile(h.home, OLD).catch((e) => e);
  assert.ok(err instanceof LoginError && err.kind === "save_failed", String(err));
  assert.match(err.message, /auth\.json/);
  assert.equal(await Deno.readTextFile(`${h.home.authFile}/keep`), "x");
});

Deno.test("fault: killed between the temp write and the rename -> old file survives, temp cleaned next run", async () => {
  await using h = await tempHome();
  await saveAuthFile(h.home, OLD);
  // A writer whose rename never returns, killed while it waits there.
  const script = `
    const realRename = Deno.rename;
    Deno.rename = () => { console.log("renaming"); return new Promise(() => {}); };
    const { saveAuthFile } = await import(${JSON.stringify(`${ROOT}lib/store/file_store.ts`)});
    const { CodexHome } = await import(${JSON.stringify(`${ROOT}lib/store/codex_home.ts`)});
    await saveAuthFile(new CodexHome(${
    JSON.stringify(h.home.path)
  }), { auth_mode: "apikey", OPENAI_API_KEY: "sk-half-written-0123456789" });
    void realRename;
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  assert.match(value ?? "", /renaming/);
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  assert.deepEqual(await readAuthFile(h.home), OLD, "the old auth.json survived");
  assert.ok((await Deno.stat(h.home.authTemp)).isFile, "the temp file was left behind");
  const next: AuthData = { auth_mode: "apikey", OPENAI_API_KEY: "sk-next-run-0123456789abc" };
  await saveAuthFile(h.home, next);
  assert.deepEqual(await readAuthFile(h.home), next);
  await assert.rejects(Deno.stat(h.home.authTemp), Deno.errors.NotFound, "temp cleaned");
});
