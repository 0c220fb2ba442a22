import assert from "node:assert/strict";
import { flowEvent } from "../../lib/base/events.ts";
import { LoginError } from "../../lib/base/errors.ts";
import {
  commandFlags,
  commandHelp,
  type CommandRun,
  COMMON_OPTIONS,
  parseIntegerFlag,
} from "../../lib/cli/flags.ts";
import { tempHome } from "../support/helpers.ts";

const HELP = {
  name: "status",
  summary: "who is signed in",
  usage: ["status [--json]"],
  options: {
    json: { type: "boolean", help: "as JSON" },
    "api-base": { type: "string", value: "URL", help: "the API base" },
  },
  examples: [["codex-login status", "who is signed in"]],
} as const;

function collectingRun(): CommandRun & { lines: string[] } {
  const lines: string[] = [];
  return { lines, io: { log: (l) => lines.push(l), out: (t) => lines.push(`out:${t}`) } };
}

Deno.test("integer flags: whole numbers from 0 to the maximum, else a usage error naming the flag", () => {
  assert.equal(parseIntegerFlag("port", "0", 65535), 0);
  assert.equal(parseIntegerFlag("port", "65535", 65535), 65535);
  for (const bad of ["65536", "-1", "1.5", "0x10", "", " 1", "1e3"]) {
    assert.throws(() => parseIntegerFlag("port", bad, 65535), (e: unknown) => {
      assert.ok(e instanceof LoginError && e.exitCode === 2);
      assert.equal(
        e.message,
        `--port must be a whole number from 0 to 65535, got ${JSON.stringify(bad)}.`,
      );
      return true;
    });
  }
});

Deno.test("a command's flags: parsed once, the issuer resolved once, --help asks for the page", () => {
  const run = collectingRun();
  assert.equal(commandFlags(HELP, ["--help"], run), undefined);
  const flags = commandFlags(
    HELP,
    ["--json", "--issuer", "http://127.0.0.1:9/", "--api-base", "http://127.0.0.1:8", "-q"],
    run,
    (values) => ({ apiBase: values["api-base"] }),
  );
  assert.ok(flags);
  assert.equal(flags.values.json, true);
  assert.equal(flags.quiet, true);
  assert.equal(flags.verbose, false);
  assert.deepEqual(flags.endpoints, {
    issuer: "http://127.0.0.1:9",
    clientId: "app_EMoamEEZ73f0CkXaXp7hrann",
    apiBase: "http://127.0.0.1:8",
    platformUrl: undefined,
    insecure: false,
  });
  flags.report(flowEvent("note", "login.listening", "chatter"));
  flags.report(flowEvent("action", "device.code", "the code"));
  assert.deepEqual(run.lines, ["the code"], "--quiet: the report shows only what to act on");
});

Deno.test("a command's flags: a stray argument or a bad issuer is a usage error before anything runs", () => {
  const run = collectingRun();
  assert.throws(
    () => commandFlags(HELP, ["extra"], run),
    /^LoginError: Unexpected argument "extra" for status\. Run .* status --help\.$/,
  );
  assert.throws(
    () => commandFlags(HELP, ["--issuer", "http://auth.example.com"], run),
    /plain http on the network/,
  );
  assert.deepEqual(run.lines, []);
});

Deno.test("setup: the codex home, its settings with -c, the store; a log only for commands that write", async () => {
  await using h = await tempHome();
  await Deno.mkdir(h.home.path, { mode: 0o700 });
  await Deno.writeTextFile(h.home.config, 'forced_login_method = "api"\n');
  const run = collectingRun();
  const read = commandFlags(HELP, [
    "--codex-home",
    h.home.path,
    "-c",
    'forced_chatgpt_workspace_id="ws-1"',
  ], run);
  assert.ok(read);
  const setup = await read.setup("read");
  assert.equal(setup.home.path, h.home.path);
  assert.equal(setup.settings.forcedLoginMethod, "api");
  assert.deepEqual(setup.settings.forcedWorkspaceIds, ["ws-1"]);
  assert.equal(setup.store.describe(), h.home.authFile);
  assert.equal(setup.trace.path, undefined, "reading leaves no log");
  assert.equal(setup.issuer(1000).issuer, "https://auth.openai.com");
  const write = commandFlags(HELP, ["--codex-home", h.home.path], collectingRun());
  const written = await write?.setup("write");
  assert.equal(written?.trace.path, h.home.logFile);
  await written?.trace.flush();
  assert.equal(run.trace, setup.trace, "the run keeps the log for Details: after an error");
});

Deno.test("setup for a sign-in: the home is made (0700) before anything opens; a file in its way is refused", async () => {
  await using h = await tempHome();
  const flags = commandFlags(HELP, ["--codex-home", h.home.path], collectingRun());
  const setup = await flags?.setup("signin");
  await setup?.trace.flush();
  assert.ok((await Deno.stat(h.home.path)).isDirectory);
  await Deno.remove(h.home.path, { recursive: true });
  await Deno.writeTextFile(h.home.path, "not a directory");
  const err = await flags?.setup("signin").catch((e) => e);
  assert.ok(err instanceof LoginError && err.kind === "home_unusable", String(err));
});

Deno.test("setup for reading: a file as the codex home is named as such, not as an unreadable config.toml", async () => {
  await using h = await tempHome();
  await Deno.writeTextFile(h.home.path, "not a directory");
  const flags = commandFlags(HELP, ["--codex-home", h.home.path], collectingRun());
  const err = await flags?.setup("read").catch((e) => e);
  assert.ok(err instanceof LoginError && err.kind === "home_unusable", String(err));
  assert.match(err.message, /it is not a directory/);
});

Deno.test("setup: a CODEX_HOME that does not exist is refused in Codex's words, and not made", async () => {
  await using h = await tempHome();
  const before = Deno.env.get("CODEX_HOME");
  Deno.env.set("CODEX_HOME", h.home.path);
  try {
    for (const access of ["read", "write", "signin"] as const) {
      const err = await commandFlags(HELP, [], collectingRun())?.setup(access).catch((e) => e);
      assert.ok(err instanceof LoginError && err.kind === "usage", `${access}: ${err}`);
      assert.match(err.message, /^CODEX_HOME points to ".*", but that path does not exist\./);
      assert.equal(await Deno.stat(h.home.path).catch(() => undefined), undefined, access);
    }
    // --codex-home is codex-login's own: a new directory there is made, as before.
    const setup = await commandFlags(HELP, ["--codex-home", h.home.path], collectingRun())
      ?.setup("signin");
    await setup?.trace.flush();
    assert.ok((await Deno.stat(h.home.path)).isDirectory);
  } finally {
    if (before === undefined) Deno.env.delete("CODEX_HOME");
    else Deno.env.set("CODEX_HOME", before);
  }
});

Deno.test("every command's help lists the shared options after its own", () => {
  const page = commandHelp(HELP);
  for (const name of Object.keys(COMMON_OPTIONS)) assert.match(page, new RegExp(`--${name}\\b`));
  assert.ok(page.indexOf("--json") < page.indexOf("--codex-home"));
});
