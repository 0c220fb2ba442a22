/**
 * The one permission source (lib/base/grants.ts): every way of running codex-login gets the
 * same grants for the same flags and environment. Each row runs through the TypeScript rules
 * (`make compile`, the tests), through the POSIX launcher that `make install` and `make login`
 * write (tools/launcher.ts), under dash and bash, and through the npm package's Node launcher
 * (tools/npm/launcher.ts, bundled as `make npm-pack` bundles it, run by node in an npm layout),
 * and all must agree exactly; refusals name the variable or flag and never show its value.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { denoFlags, GRANT_RULES, GrantRefusal, grantsFor, hostOf } from "../../lib/base/grants.ts";
import { posixLauncher } from "../../tools/launcher.ts";
import { bundleLauncher } from "../../tools/npm/pack.ts";
import { denoTarget } from "../../tools/npm/launcher.ts";
import { COMMON_OPTIONS, type FlagSpec } from "../../lib/cli/flags.ts";
import { loginCommand } from "../../lib/cli/commands/login.ts";
import { statusCommand } from "../../lib/cli/commands/status.ts";
import { logoutCommand } from "../../lib/cli/commands/logout.ts";
import { refreshCommand } from "../../lib/cli/commands/refresh.ts";
import { tokenCommand } from "../../lib/cli/commands/token.ts";
import { accountsCommand } from "../../lib/cli/commands/accounts.ts";
import { switchCommand } from "../../lib/cli/commands/switch.ts";

interface Row {
  name: string;
  args?: string[];
  env?: Record<string, string>;
  /** The programs present on PATH. */
  programs?: string[];
  /** Expected `--allow-net` (checked on the TypeScript side; the launcher must then agree). */
  net?: string;
  /** Expected `--allow-read`, before the binding's own read. */
  read?: string;
  /** Expected `--allow-run`. */
  run?: string;
  /** Expected refusal: the variable or flag named. */
  refused?: string;
  /** A secret that must not appear in any message. */
  secret?: string;
}

const HOME = { HOME: "/home/me" };
const ROWS: Row[] = [
  {
    name: "plain sign-in",
    env: HOME,
    net: "127.0.0.1:1455,127.0.0.1:1457,auth.openai.com,api.openai.com,chatgpt.com",
    read: "/home/me/.codex",
  },
  {
    name: "issuer, API base and platform URL flags, port 0",
    args: [
      "login",
      "--issuer",
      "http://127.0.0.1:9/x",
      "--api-base=https://API.example.com:8443/v1",
      "--platform-url",
      "https://platform.example",
      "--port",
      "0",
    ],
    env: HOME,
    net:
      "127.0.0.1,auth.openai.com,api.openai.com,chatgpt.com,127.0.0.1:9,API.example.com:8443,platform.example",
  },
  {
    name: "an explicit port, leading zeros",
    args: ["--port=01455"],
    env: HOME,
    net: "127.0.0.1:1455,auth.openai.com,api.openai.com,chatgpt.com",
  },
  {
    name: "a port out of range gets no loopback grant (the program refuses it)",
    args: ["--port", "99999"],
    env: HOME,
    net: "auth.openai.com,api.openai.com,chatgpt.com",
  },
  {
    name: "the last --codex-home wins",
    args: ["status", "--codex-home", "/a", "--codex-home=/b"],
    env: { ...HOME, CODEX_HOME: "/env" },
    read: "/b",
  },
  {
    name: "a value of -c is not a flag",
    args: ["-c", "--codex-home=/evil", "-c--issuer=http://evil.example"],
    env: HOME,
    read: "/home/me/.codex",
    net: "127.0.0.1:1455,127.0.0.1:1457,auth.openai.com,api.openai.com,chatgpt.com",
  },
  {
    name: "nothing after -- is a flag",
    args: ["--", "--codex-home", "/evil"],
    env: HOME,
    read: "/home/me/.codex",
  },
  {
    name: "a comma in CODEX_HOME is escaped, never a second grant",
    env: { ...HOME, CODEX_HOME: "/tmp/home,/" },
    read: "/tmp/home,,/",
  },
  {
    name: "a comma in HOME",
    env: { HOME: "/home/a,b/" },
    read: "/home/a,,b/.codex",
  },
  {
    name: "an empty --codex-home falls back to the environment",
    args: ["--codex-home="],
    env: { ...HOME, CODEX_HOME: "/env" },
    read: "/env",
  },
  {
    name: "no home at all",
    env: {},
    read: "",
  },
  {
    name: "proxies: password with @, no scheme, lower case, socks, IPv6",
    env: {
      ...HOME,
      HTTPS_PROXY: "http://me:p@ssW0rdTail@proxy.corp:3128",
      http_proxy: "alice:Secr3t@plain.corp:8080",
      ALL_PROXY: "socks5://socks_1.corp:1080",
      all_proxy: "http://[::1]:3128/",
    },
    net:
      "127.0.0.1:1455,127.0.0.1:1457,auth.openai.com,api.openai.com,chatgpt.com,proxy.corp:3128,plain.corp:8080,socks_1.corp:1080,[::1]:3128",
    secret: "ssW0rdTail",
  },
  {
    name: "the first CA variable set is read, commas escaped",
    env: { ...HOME, CODEX_CA_CERTIFICATE: "/etc/ca,x.pem", SSL_CERT_FILE: "/etc/other.pem" },
    read: "/home/me/.codex,/etc/ca,,x.pem",
  },
  {
    name: "SSL_CERT_FILE when CODEX_CA_CERTIFICATE is empty",
    env: { ...HOME, CODEX_CA_CERTIFICATE: "", SSL_CERT_FILE: "/etc/other.pem" },
    read: "/home/me/.codex,/etc/other.pem",
  },
  {
    name: "a workload identity's assertion file is read",
    env: { ...HOME, OPENAI_IDENTITY_TOKEN_FILE: "/run/secrets/id,token.jwt" },
    read: "/home/me/.codex,/run/secrets/id,,token.jwt",
  },
  {
    name: "programs present are granted, absent ones not",
    env: HOME,
    programs: ["ss", "lsof"],
  },
  {
    name: "each $BROWSER entry's program may run (arguments and %s are not programs)",
    env: { ...HOME, BROWSER: "firefox --new-tab %s: :/opt/my browser/x:w3m,x" },
    programs: ["ss"],
    run: "ss,firefox,/opt/my,w3m,,x",
  },
  {
    name: "a proxy with a comma is refused, naming the variable",
    env: { ...HOME, HTTPS_PROXY: "http://p:3128,evil.example" },
    refused: "HTTPS_PROXY",
    secret: "evil.example",
  },
  {
    name: "a scheme-less proxy with a password and a bad host",
    env: { ...HOME, https_proxy: "bob:Hunter2Secret@bad host:1" },
    refused: "https_proxy",
    secret: "Hunter2Secret",
  },
  {
    name: "an issuer with a comma is refused, naming the flag",
    args: ["--issuer", "https://a.example,evil.example"],
    env: HOME,
    refused: "--issuer",
    secret: "evil.example",
  },
  {
    name: "a codex home on two lines is refused",
    env: { ...HOME, CODEX_HOME: "/tmp/a\n/etc" },
    refused: "CODEX_HOME",
  },
  {
    name: "-c chatgpt_base_url=URL: its host is reached (accounts --usage), quoted or not",
    args: [
      "accounts",
      "--usage",
      "-c",
      'chatgpt_base_url="https://usage.example:8443/backend-api/"',
      "--config=model=o3",
      "-cchatgpt_base_url=http://127.0.0.1:9",
    ],
    env: HOME,
    net:
      "127.0.0.1:1455,127.0.0.1:1457,auth.openai.com,api.openai.com,chatgpt.com,usage.example:8443,127.0.0.1:9",
  },
  {
    name: "a chatgpt_base_url with a comma is refused, naming the setting",
    args: ["-c", "chatgpt_base_url=https://a.example,evil.example/"],
    env: HOME,
    refused: "chatgpt_base_url",
    secret: "evil.example",
  },
  {
    name: "an issuer without a scheme gets no grant (the program refuses it)",
    args: ["--issuer", "auth.example.com"],
    env: HOME,
    net: "127.0.0.1:1455,127.0.0.1:1457,auth.openai.com,api.openai.com,chatgpt.com",
  },
];

const BINDING = "/opt/codex-login/node_modules/@napi-rs";

function tsFlags(row: Row, binding = BINDING): string[] | { refused: string; message: string } {
  try {
    return denoFlags(grantsFor({
      args: row.args ?? [],
      env: row.env ?? {},
      os: "linux",
      programs: row.programs ?? [],
      binding,
    }));
  } catch (err) {
    if (err instanceof GrantRefusal) return { refused: err.source, message: err.message };
    throw err;
  }
}

/** A program's absolute path on this PATH, where installed. */
function which(program: string): string | undefined {
  const found = new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "piped" })
    .outputSync();
  return found.success ? new TextDecoder().decode(found.stdout).trim() : undefined;
}

/** dash (Debian's /bin/sh) and bash (macOS's /bin/sh), by absolute path, where installed. */
const shells = ["dash", "bash"].flatMap((shell) => which(shell) ?? []);

/** node, for the npm package's launcher. */
const NODE = which("node");
if (!NODE) console.error("SKIPPED the npm launcher's rows: node is not on PATH");

let fixture: { dir: string; launcher: string; bin: string } | undefined;
async function launcherFixture(): Promise<{ dir: string; launcher: string; bin: string }> {
  if (fixture) return fixture;
  const dir = await Deno.makeTempDir({ prefix: "grants-" });
  const fakeDeno = `${dir}/deno`;
  await Deno.writeTextFile(fakeDeno, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  await Deno.chmod(fakeDeno, 0o755);
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  const launcher = `${dir}/codex-login`;
  await Deno.writeTextFile(
    launcher,
    posixLauncher(
      { deno: fakeDeno, entry: "ENTRY", binding: BINDING, invocation: "installed" },
      "linux",
    ),
  );
  fixture = { dir, launcher, bin };
  return fixture;
}

/** A fresh PATH directory holding (empty) `programs`. */
async function pathWith(dir: string, programs: readonly string[]): Promise<string> {
  const path = `${dir}/path-${crypto.randomUUID()}`;
  await Deno.mkdir(path);
  for (const program of programs) {
    await Deno.writeTextFile(`${path}/${program}`, "#!/bin/sh\n");
    await Deno.chmod(`${path}/${program}`, 0o755);
  }
  return path;
}

async function shFlags(
  shell: string,
  row: Row,
): Promise<string[] | { refused: string; message: string }> {
  const { launcher, bin, dir } = await launcherFixture();
  const path = await pathWith(dir, row.programs ?? []);
  const out = await new Deno.Command(shell, {
    args: [launcher, ...(row.args ?? [])],
    env: { ...row.env, PATH: `${path}:${bin}` },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return flagsOrRefusal(out, row);
}

/** A launcher's run: the `--allow-*` flags the fake Deno printed, or the refusal it said. */
function flagsOrRefusal(
  out: Deno.CommandOutput,
  row: Row,
): string[] | { refused: string; message: string } {
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) {
    assert.equal(out.code, 2, stderr);
    const source = /^codex-login: (\S+) is not /.exec(stderr)?.[1] ?? `(none: ${stderr})`;
    return { refused: source, message: stderr };
  }
  const lines = new TextDecoder().decode(out.stdout).split("\n").slice(0, -1);
  const flags = lines.filter((line) => line.startsWith("--allow-"));
  // After the flags: the entry the launcher was made for, then the person's arguments as given.
  const rest = lines.slice(lines.lastIndexOf(flags.at(-1) ?? "") + 1);
  assert.match(rest[0] ?? "", /(^ENTRY|codex-login\.js)$/, `the entry: ${rest.join(" ")}`);
  assert.deepEqual(rest.slice(1), row.args ?? [], "the arguments, untouched");
  return flags;
}

/** A fake npm layout: the launcher as `make npm-pack` bundles it, a Deno that prints its args. */
let npmFixture: { dir: string; launcher: string; binding: string } | undefined;
async function nodeLauncherFixture(): Promise<{ dir: string; launcher: string; binding: string }> {
  if (npmFixture) return npmFixture;
  const dir = await Deno.makeTempDir({ prefix: "grants-npm-" });
  const modules = `${dir}/node_modules`;
  const pkg = `${modules}/codex-login`;
  await Deno.mkdir(`${pkg}/bin`, { recursive: true });
  await bundleLauncher(`${pkg}/bin/codex-login.cjs`);
  await Deno.writeTextFile(`${pkg}/codex-login.js`, "");
  await Deno.writeTextFile(`${pkg}/deno.json`, "{}\n");
  const target = denoTarget(process.platform, process.arch, false) ?? "linux-x64-glibc";
  await Deno.mkdir(`${modules}/@deno/${target}`, { recursive: true });
  await Deno.writeTextFile(`${modules}/@deno/${target}/package.json`, '{"name":"x","version":"0"}');
  const fakeDeno = `${modules}/@deno/${target}/deno`;
  await Deno.writeTextFile(fakeDeno, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  await Deno.chmod(fakeDeno, 0o755);
  await Deno.mkdir(`${modules}/@napi-rs/keyring`, { recursive: true });
  await Deno.writeTextFile(
    `${modules}/@napi-rs/keyring/package.json`,
    '{"name":"@napi-rs/keyring","version":"0","main":"index.js"}',
  );
  await Deno.writeTextFile(`${modules}/@napi-rs/keyring/index.js`, "");
  npmFixture = { dir, launcher: `${pkg}/bin/codex-login.cjs`, binding: `${modules}/@napi-rs` };
  return npmFixture;
}

/** The flags the npm launcher starts Deno with (in a fake npm layout, with `node`). */
async function nodeFlags(row: Row): Promise<string[] | { refused: string; message: string }> {
  const { launcher, dir } = await nodeLauncherFixture();
  const path = await pathWith(dir, row.programs ?? []);
  const out = await new Deno.Command(NODE!, {
    args: [launcher, ...(row.args ?? [])],
    env: { ...row.env, PATH: path },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return flagsOrRefusal(out, row);
}

for (const row of ROWS) {
  Deno.test(`grants: ${row.name}`, async () => {
    const expected = tsFlags(row);
    if (row.refused) {
      assert.ok(!Array.isArray(expected), `expected a refusal, got ${expected}`);
      assert.equal(expected.refused, row.refused);
      if (row.secret) assert.ok(!expected.message.includes(row.secret), expected.message);
    } else {
      assert.ok(Array.isArray(expected), JSON.stringify(expected));
      const net = expected.find((f) => f.startsWith("--allow-net="));
      if (row.net !== undefined) assert.equal(net, `--allow-net=${row.net}`);
      const read = expected.find((f) => f.startsWith("--allow-read="));
      if (row.read !== undefined) {
        // The keyring binding's loader reads /usr/bin/ldd on Linux (to tell glibc from musl).
        assert.equal(read, `--allow-read=${[row.read, "/usr/bin/ldd"].filter((r) => r).join(",")}`);
      }
      const run = expected.find((f) => f.startsWith("--allow-run="));
      const programs = row.run ?? row.programs?.join(",");
      assert.equal(run, programs ? `--allow-run=${programs}` : undefined);
    }
    for (const shell of shells) {
      const got = await shFlags(shell, row);
      if (Array.isArray(expected)) {
        assert.deepEqual(got, expected, `${shell} launcher`);
      } else {
        assert.ok(!Array.isArray(got), `${shell}: expected a refusal, got ${got}`);
        assert.equal(got.refused, expected.refused, `${shell} launcher`);
        if (row.secret) assert.ok(!got.message.includes(row.secret), got.message);
      }
    }
    if (NODE) {
      const { binding } = await nodeLauncherFixture();
      const wanted = tsFlags(row, binding);
      const got = await nodeFlags(row);
      if (Array.isArray(wanted)) {
        assert.deepEqual(got, wanted, "npm launcher");
      } else {
        assert.ok(!Array.isArray(got), `npm launcher: expected a refusal, got ${got}`);
        assert.equal(got.refused, wanted.refused, "npm launcher");
        assert.equal(got.message.trim(), `codex-login: ${wanted.message}`, "npm launcher");
        if (row.secret) assert.ok(!got.message.includes(row.secret), got.message);
      }
    }
  });
}

Deno.test("grants: every option that takes a value is known to the rules", () => {
  const specs: FlagSpec[] = [
    COMMON_OPTIONS,
    ...[
      loginCommand,
      statusCommand,
      logoutCommand,
      refreshCommand,
      tokenCommand,
      accountsCommand,
      switchCommand,
    ].map((c) => c.help.options),
  ];
  const taking = new Set<string>();
  const shorts: Record<string, string> = {};
  for (const spec of specs) {
    for (const [name, option] of Object.entries(spec)) {
      if (option.type !== "string") continue;
      taking.add(name);
      if (option.short) shorts[option.short] = name;
    }
  }
  assert.deepEqual([...taking].sort(), [...GRANT_RULES.valueOptions].sort());
  assert.deepEqual(shorts, GRANT_RULES.valueShorts);
});

Deno.test("grants: hostOf reads a URL the way the program does", () => {
  assert.equal(hostOf("https://auth.openai.com", "--issuer"), "auth.openai.com");
  assert.equal(hostOf("http://u:p@h.example/x?y=@z", "HTTPS_PROXY", true), "h.example");
  assert.equal(hostOf("", "HTTPS_PROXY", true), undefined);
});
