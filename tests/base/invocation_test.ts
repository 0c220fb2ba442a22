import assert from "node:assert/strict";
import { commandLine, installDescription, invocation } from "../../lib/base/invocation.ts";

Deno.test("hints name the command as it was started (installed, make login, deno run)", () => {
  assert.equal(
    commandLine(["login", "--device-auth"], "installed"),
    "codex-login login --device-auth",
  );
  assert.equal(commandLine(["login", "--device-auth"], "make"), "make login ARGS='--device-auth'");
  assert.match(
    commandLine(["login", "--device-auth"], "deno-run"),
    /^deno run --allow-net --allow-write \S+ login --device-auth$/,
  );
  assert.equal(commandLine([], "make"), "make login");
  assert.equal(commandLine(["status"], "make"), "codex-login status", "make only runs login");
  assert.equal(commandLine(["status"], "compiled"), "codex-login status");
});

Deno.test("how this copy runs: CODEX_LOGIN_INVOCATION says installed or make; else deno run", () => {
  const before = Deno.env.get("CODEX_LOGIN_INVOCATION");
  try {
    Deno.env.set("CODEX_LOGIN_INVOCATION", "installed");
    assert.equal(invocation(), "installed");
    Deno.env.set("CODEX_LOGIN_INVOCATION", "make");
    assert.equal(invocation(), "make");
    Deno.env.set("CODEX_LOGIN_INVOCATION", "something-else");
    assert.equal(invocation(), "deno-run", "an unknown value is not trusted");
  } finally {
    if (before === undefined) Deno.env.delete("CODEX_LOGIN_INVOCATION");
    else Deno.env.set("CODEX_LOGIN_INVOCATION", before);
  }
  assert.equal(installDescription("make"), "make login, from a checkout");
  assert.match(installDescription("deno-run"), /^deno run, from \//);
});

Deno.test("the npm package: hints name npx codex-login under npx, codex-login when installed", () => {
  assert.equal(
    commandLine(["login", "--device-auth"], "npx"),
    "npx codex-login login --device-auth",
  );
  assert.equal(commandLine(["status"], "npm"), "codex-login status");
  const before = Deno.env.get("CODEX_LOGIN_INVOCATION");
  const install = Deno.env.get("CODEX_LOGIN_INSTALL");
  try {
    for (const how of ["npm", "npx"] as const) {
      Deno.env.set("CODEX_LOGIN_INVOCATION", how);
      assert.equal(invocation(), how);
    }
    Deno.env.set(
      "CODEX_LOGIN_INSTALL",
      "npx, from npm's cache (/c/_npx/ab/node_modules/codex-login)",
    );
    assert.equal(
      installDescription("npx"),
      "npx, from npm's cache (/c/_npx/ab/node_modules/codex-login)",
    );
    Deno.env.delete("CODEX_LOGIN_INSTALL");
    assert.equal(installDescription("npm"), "npm (npm)");
  } finally {
    if (before === undefined) Deno.env.delete("CODEX_LOGIN_INVOCATION");
    else Deno.env.set("CODEX_LOGIN_INVOCATION", before);
    if (install === undefined) Deno.env.delete("CODEX_LOGIN_INSTALL");
    else Deno.env.set("CODEX_LOGIN_INSTALL", install);
  }
});
