import assert from "node:assert/strict";
import { accountsHome } from "../support/account_docs.ts";
import {
  codexRunningError,
  detectCodex,
  type LsofOutput,
  parseLsofHolders,
  processList,
  runLsof,
} from "../../lib/signin/codex_running.ts";
import { CodexHome } from "../../lib/store/codex_home.ts";

const HAVE_LSOF = await new Deno.Command("sh", { args: ["-c", "command -v lsof"] }).output()
  .then((o) => o.success, () => false);

function answer(stdout: string, code = 0, stderr = ""): () => Promise<LsofOutput> {
  return () => Promise.resolve({ kind: "output", code, stdout, stderr });
}

Deno.test("lsof output: processes with files open, not ours, not a shell sitting in the home", () => {
  const text = [
    "p10",
    "cbash",
    "fcwd",
    "n/h",
    "p11",
    "ccodex",
    "f20",
    "n/h/state_5.sqlite",
    "f21",
    "n/h/state_5.sqlite-wal",
    "ftxt",
    "n/h/x-shm",
    "p12",
    "cdeno",
    "f3",
    "n/h/log/codex-login.log",
    "p13",
    "ccodex-login",
    "f3",
    "n/h/auth.lock",
    "p15",
    "clsof",
    "f4",
    "n/h",
    "p14",
    "csleep",
    "f0",
    "n/h/state_5.sqlite",
    "",
  ].join("\n");
  assert.deepEqual(parseLsofHolders(text, 14), [
    {
      pid: 11,
      command: "codex",
      files: ["/h/state_5.sqlite", "/h/state_5.sqlite-wal", "/h/x-shm"],
    },
  ]);
  assert.equal(processList(parseLsofHolders(text, 1)), "pid 11 (codex), pid 14 (sleep)");
});

Deno.test("detection: none, running, or unknown with the reason; never a guess", async () => {
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  await Deno.mkdir(`${h.home}/log`, { recursive: true });
  const seen: string[][] = [];
  const run = (args: string[]) => {
    seen.push(args);
    return answer("", 1)();
  };
  assert.deepEqual(await detectCodex(home, {}, { run, env: () => undefined }), { state: "none" });
  const real = await Deno.realPath(h.home);
  assert.deepEqual(seen[0], ["-n", "-w", "-F", "pcfn", "+d", real, "+d", `${real}/log`]);
  const running = await detectCodex(home, {}, {
    run: answer("p7\nccodex\nf4\nn/x/state_5.sqlite\n"),
    env: () => undefined,
  });
  assert.equal(running.state, "running");
  const reasons: [LsofOutput, RegExp][] = [
    [{ kind: "missing" }, /lsof is not installed/],
    [{ kind: "not_granted" }, /lsof is not granted \(run with --allow-run=lsof\)/],
    [{ kind: "output", code: 1, stdout: "", stderr: "usage: ..." }, /lsof could not look in/],
  ];
  for (const [out, why] of reasons) {
    const got = await detectCodex(home, {}, {
      run: () => Promise.resolve(out),
      env: () => undefined,
    });
    assert.ok(got.state === "unknown" && why.test(got.reason), JSON.stringify(got));
  }
  const windows = await detectCodex(home, {}, { os: "windows" });
  assert.deepEqual(windows, { state: "unknown", reason: "codex-login cannot tell on Windows" });
});

Deno.test("detection: the SQLite home (config or CODEX_SQLITE_HOME) is looked in too", async () => {
  await using h = await accountsHome();
  const home = new CodexHome(h.home);
  await Deno.mkdir(`${h.home}/db`, { recursive: true });
  const seen: string[][] = [];
  const run = (args: string[]) => {
    seen.push(args);
    return answer("", 1)();
  };
  await detectCodex(home, { sqliteHome: "db" }, { run, env: () => undefined });
  assert.ok(seen[0].includes(await Deno.realPath(`${h.home}/db`)), "relative to the codex home");
  seen.length = 0;
  await detectCodex(home, {}, {
    run,
    env: (n) => n === "CODEX_SQLITE_HOME" ? `${h.home}/db` : undefined,
  });
  assert.ok(seen[0].includes(await Deno.realPath(`${h.home}/db`)));
  seen.length = 0;
  await detectCodex(home, {}, { run, env: () => `${h.home}/missing` });
  assert.equal(seen[0].filter((a) => a === "+d").length, 1, "a missing directory holds nothing");
});

Deno.test({
  name: "detection with the real lsof: a process holding a database in the home is seen",
  ignore: !HAVE_LSOF,
  async fn() {
    await using h = await accountsHome();
    const home = new CodexHome(h.home);
    await Deno.mkdir(h.home);
    assert.equal((await runLsof(["-v"])).kind, "output");
    assert.deepEqual(await detectCodex(home, {}), { state: "none" });
    await Deno.writeTextFile(`${h.home}/state_5.sqlite`, "");
    const holder = new Deno.Command("bash", {
      args: ["-c", `exec sleep 30 < "${h.home}/state_5.sqlite"`],
    }).spawn();
    try {
      await new Promise((r) => setTimeout(r, 200));
      const seen = await detectCodex(home, {});
      assert.ok(seen.state === "running");
      assert.deepEqual(seen.processes.map((p) => [p.pid, p.command]), [[holder.pid, "sleep"]]);
      const err = codexRunningError(seen, "It would X.", "Quit it.");
      assert.equal(err.kind, "codex_running");
      assert.match(
        err.message,
        new RegExp(`\\(pid ${holder.pid} \\(sleep\\)\\)\\. It would X\\. Quit it\\.`),
      );
    } finally {
      holder.kill();
      await holder.status;
    }
  },
});
