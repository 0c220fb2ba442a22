import assert from "node:assert/strict";
import fc from "fast-check";
import { LOG_ROTATE_BYTES, LoginLog } from "../../lib/store/login_log.ts";
import { tempHome } from "../support/helpers.ts";

Deno.test("login log: 0600 file in 0700 directories, appended, one line per step", async () => {
  await using h = await tempHome();
  const path = h.home.logFile;
  const first = new LoginLog(path);
  first.event("step_one", { endpoint: "https://auth.example/oauth/token", status: 200, ms: 12 });
  await first.flush();
  const second = new LoginLog(path);
  second.event("step_two", { error: "two words" });
  await second.flush();
  const lines = (await Deno.readTextFile(path)).trim().split("\n");
  assert.equal(lines.length, 2, "appended");
  assert.match(
    lines[0],
    /^\d{4}-\d\d-\d\dT[\d:.]+Z step_one endpoint=https:\/\/auth\.example\/oauth\/token status=200 ms=12$/,
  );
  assert.match(lines[1], /step_two error="two words"$/);
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(h.home.logDir)).mode! & 0o777, 0o700);
});

Deno.test("login log: rotated at 1 MiB, keeping one old file", async () => {
  await using h = await tempHome();
  const path = h.home.logFile;
  await Deno.mkdir(h.home.logDir, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(`${path}.1`, "oldest\n");
  await Deno.writeTextFile(path, "x".repeat(LOG_ROTATE_BYTES));
  const log = new LoginLog(path);
  log.event("after_rotation");
  await log.flush();
  assert.match(await Deno.readTextFile(path), /^\S+ after_rotation\n$/);
  assert.equal((await Deno.stat(`${path}.1`)).size, LOG_ROTATE_BYTES, "the full log kept as .1");
});

Deno.test("login log: without createHome, a missing codex home stays missing", async () => {
  await using h = await tempHome();
  const log = new LoginLog(h.home.logFile, undefined, false);
  log.event("nothing_to_do");
  await log.flush();
  await assert.rejects(Deno.stat(h.home.path), Deno.errors.NotFound);
});

Deno.test("login log (property): no registered secret, JWT or API key ever reaches the file", async () => {
  await using h = await tempHome();
  const path = h.home.logFile;
  const secretArb = fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim().length >= 8);
  await fc.assert(
    fc.asyncProperty(
      fc.array(secretArb, { minLength: 1, maxLength: 5 }),
      fc.string({ maxLength: 30 }),
      async (secrets, noise) => {
        await Deno.remove(path).catch(() => {});
        const log = new LoginLog(path);
        log.secret(...secrets);
        const jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln";
        for (const [i, secret] of secrets.entries()) {
          log.event("step", {
            error: `${noise}${secret}${noise}`,
            endpoint: `https://x.example/${secret}`,
            n: i,
          });
        }
        log.event("tokens", { message: `bad ${jwt} and sk-proj-abcdefghijklmnop0123 here` });
        await log.flush();
        const text = await Deno.readTextFile(path);
        for (const secret of secrets) {
          if (text.includes(secret)) return false;
        }
        return !text.includes(jwt) && !text.includes("sk-proj-abcdefghijklmnop0123");
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("login log: a run that only started and ended well writes nothing; anything more, everything", async () => {
  const dir = await Deno.makeTempDir();
  const quiet = new LoginLog(`${dir}/quiet.log`);
  quiet.event("command", { name: "token" });
  quiet.event("exit", { code: 0 });
  await quiet.flush();
  await assert.rejects(Deno.stat(`${dir}/quiet.log`), Deno.errors.NotFound);
  const busy = new LoginLog(`${dir}/busy.log`);
  busy.event("command", { name: "token" });
  busy.event("http", { endpoint: "https://auth.example/oauth/token", status: 200 });
  busy.event("exit", { code: 0 });
  await busy.flush();
  const lines = (await Deno.readTextFile(`${dir}/busy.log`)).trim().split("\n");
  assert.deepEqual(lines.map((l) => l.split(" ")[1]), ["command", "http", "exit"]);
  const failed = new LoginLog(`${dir}/failed.log`);
  failed.event("command", { name: "token" });
  failed.event("exit", { code: 1, error: "not_logged_in" });
  await failed.flush();
  assert.equal((await Deno.readTextFile(`${dir}/failed.log`)).trim().split("\n").length, 2);
});

Deno.test("login log: never written through a symlink or into a hard-linked file", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.logDir, { recursive: true, mode: 0o700 });
  const victim = `${h.dir}/victim.txt`;
  await Deno.writeTextFile(victim, "precious\n");
  for (const link of ["symlink", "hardlink"] as const) {
    await Deno.remove(h.home.logFile).catch(() => {});
    if (link === "symlink") await Deno.symlink(victim, h.home.logFile);
    else await Deno.link(victim, h.home.logFile);
    const log = new LoginLog(h.home.logFile);
    log.event("login_start", { port: 1455 });
    await log.flush();
    assert.equal(await Deno.readTextFile(victim), "precious\n", link);
  }
});

Deno.test("login log: --verbose mirrors every line; a log without a file only mirrors", async () => {
  const mirrored: string[] = [];
  const log = new LoginLog(undefined, (line) => mirrored.push(line));
  log.secret("secret-code-123");
  log.event("callback", { code: "secret-code-123", outcome: "signed_in" });
  await log.flush();
  assert.equal(log.path, undefined);
  assert.equal(mirrored.length, 1);
  assert.match(mirrored[0], /^\[log\] \S+ callback code=\[redacted\] outcome=signed_in$/);
});
