import assert from "node:assert/strict";
import {
  ensurePermission,
  grantAdvice,
  grantFlag,
  permissionError,
  readEnv,
} from "../../lib/base/permissions.ts";

Deno.test("a missing permission: what codex-login needs and why, a period, then the capitalised flag", () => {
  const read = permissionError({ name: "read", path: "/home/me/.codex" }, "to read config.toml");
  assert.equal(read.kind, "permission");
  assert.equal(read.exitCode, 2);
  assert.equal(
    read.message,
    "codex-login needs read access to /home/me/.codex to read config.toml. Run it again with --allow-read=/home/me/.codex.",
  );
  const net = permissionError(
    { name: "net", host: "127.0.0.1:1455" },
    "to listen for the browser",
  );
  assert.equal(
    net.message,
    "codex-login needs network access to 127.0.0.1:1455 to listen for the browser. Run it again with --allow-net=127.0.0.1:1455.",
  );
  const write = permissionError(
    { name: "write", path: "/srv/c" },
    "to save auth.json",
    "pass --codex-home DIR for a directory you can grant",
  );
  assert.equal(
    write.next,
    "Run it again with --allow-write=/srv/c, or pass --codex-home DIR for a directory you can grant.",
  );
  assert.equal(
    permissionError({ name: "env", variable: "HOME" }, "").what,
    "codex-login needs to read the environment variable HOME.",
  );
});

Deno.test("grant advice fits how codex-login was started", () => {
  const read = { name: "read", path: "/srv/codex" } as const;
  const ffi = { name: "ffi" } as const;
  assert.equal(grantAdvice(read, "deno-run"), "run it again with --allow-read=/srv/codex");
  assert.equal(grantAdvice(read, "make"), "run make login CODEX_HOME=/srv/codex");
  // Deno's flags before the script: after it they would be the script's arguments.
  assert.match(
    grantAdvice(ffi, "make"),
    /^run it with deno run --allow-ffi --allow-net --allow-write \S+\.ts$/,
  );
  assert.match(
    grantAdvice(read, "installed"),
    /pass --codex-home \/srv\/codex \(or set CODEX_HOME\)/,
  );
  assert.match(
    grantAdvice(ffi, "installed"),
    /not granted it: reinstall it \(make install, or npm install -g codex-login\)/,
  );
  assert.match(grantAdvice(read, "compiled"), /rebuild with make compile/);
  // A host no option named (a session's own issuer): name it, not reinstall.
  assert.match(
    grantAdvice({ name: "net", host: "login.example:8443" }, "installed"),
    /reaches only the hosts its options name: run it again naming login\.example:8443, e\.g\. --issuer/,
  );
});

Deno.test("grantFlag names the deno run flag, scoped when the descriptor is", () => {
  assert.equal(grantFlag({ name: "read", path: "/a" }), "--allow-read=/a");
  assert.equal(grantFlag({ name: "write" }), "--allow-write");
  assert.equal(grantFlag({ name: "env", variable: "CODEX_HOME" }), "--allow-env=CODEX_HOME");
  assert.equal(grantFlag({ name: "run", command: "ss" }), "--allow-run=ss");
  assert.equal(grantFlag({ name: "net", host: "auth.openai.com" }), "--allow-net=auth.openai.com");
  assert.equal(grantFlag({ name: "sys", kind: "uid" }), "--allow-sys");
});

Deno.test("readEnv: a granted variable's value; unset or empty counts as unset", () => {
  const name = "CODEX_LOGIN_TEST_READ_ENV";
  try {
    Deno.env.set(name, "value");
    assert.equal(readEnv(name), "value");
    Deno.env.set(name, "");
    assert.equal(readEnv(name), undefined);
    Deno.env.delete(name);
    assert.equal(readEnv(name), undefined);
  } finally {
    Deno.env.delete(name);
  }
});

Deno.test("ensurePermission resolves when granted; denied, it throws the one-line error (exit 2)", async () => {
  await ensurePermission({ name: "read", path: Deno.cwd() }, "to read auth.json");
  const script = `import { ensurePermission } from ${
    JSON.stringify(
      new URL("../../lib/base/permissions.ts", import.meta.url).href,
    )
  };
try { await ensurePermission({ name: "read", path: "/nowhere" }, "to read auth.json"); }
catch (e) { console.log(e.exitCode, e.message); }`;
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/denied.ts`, script);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", `${dir}/denied.ts`],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(dir, { recursive: true });
  assert.equal(
    new TextDecoder().decode(out.stdout).trim(),
    "2 codex-login needs read access to /nowhere to read auth.json. Run it again with --allow-read=/nowhere.",
  );
});
