/**
 * `make drift` (tools/codex_surface.ts): the snapshot of Codex's sign-in surface is the same on
 * every run (what changes each run is described, what is fixed is kept), the comparison reports
 * each difference with its old and new value, the tool's exit codes (0 same, 1 differences, 2
 * cannot run here), and the pinned Codex matches its committed snapshot.
 */
import assert from "node:assert/strict";
import { CODEX_BIN, CODEX_INSTALLED, CODEX_MISSING, CODEX_PINNED } from "./support/codex_cli.ts";
import { sweepRows } from "./support/codex_surface_env.ts";
import { compareSurfaces, formatReport } from "./support/surface_diff.ts";
import { type JsonObject, keyFormats, mask } from "./support/surface_format.ts";
import { privateNetworkMissing } from "./support/private_network.ts";
import { opensslMissing } from "./support/tls.ts";
import { makeJwt } from "./support/fake_issuer.ts";
import { ROOT, runCommand } from "./support/helpers.ts";

const FIXTURE = `${ROOT}tests/fixtures/codex-surface/${CODEX_PINNED}.json`;
const TOOL = `${ROOT}tools/codex_surface.ts`;

function tool(args: string[], options: { prefix?: string[] } = {}) {
  const [cmd, ...rest] = [...(options.prefix ?? []), Deno.execPath(), "run", "-A", TOOL, ...args];
  return runCommand(cmd, { args: rest, cwd: ROOT, env: { NO_COLOR: "1" } });
}

Deno.test("surface: what changes each run is described, fixed values are kept", () => {
  const jwt = makeJwt({ exp: 1 });
  assert.equal(mask(`id_token=${jwt}&x=1`), "id_token=<jwt>&x=1");
  assert.equal(mask("rt_0123456789abcdef01234567"), "<fake refresh token>");
  assert.equal(mask("2026-12-03T19:52:27.466949452Z"), "<rfc3339-nanos>");
  assert.equal(mask("2026-12-03T19:52:27.466Z"), "<rfc3339-millis>");
  assert.equal(
    mask("Codex CLI [auto-generated] (2026-12-03) [0123456789ab]"),
    "Codex CLI [auto-generated] (<date>) [<12 hex>]",
  );
  const state = crypto.getRandomValues(new Uint8Array(32)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
  assert.equal(mask(`state=${state}`), "state=<43-char base64url>");
  assert.equal(mask("/tmp/abc/missing.jwt", { "/tmp/abc": "<dir>" }), "<dir>/missing.jwt");
  for (
    const fixed of [
      "app_EMoamEEZ73f0CkXaXp7hrann",
      "openid profile email offline_access",
      "sk-proj-sweep-codex-0123456789",
      "https://auth.openai.com/deviceauth/callback",
    ]
  ) {
    assert.equal(mask(fixed), fixed);
  }
});

Deno.test("surface: auth.json key paths with their formats", () => {
  assert.deepEqual(
    keyFormats({
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: { id_token: makeJwt({}), n: 1, ok: true },
    }),
    {
      auth_mode: "string:chatgpt",
      OPENAI_API_KEY: "null",
      "tokens.id_token": "string:<jwt>",
      "tokens.n": "number",
      "tokens.ok": "boolean:true",
    },
  );
});

Deno.test("surface: the environment sweep sets each variable alone", () => {
  const rows = sweepRows({ tokenFile: "/t/token.jwt", missingFile: "/t/missing.jwt" });
  const alone = new Set(
    rows.map(([, env]) => Object.keys(env)).filter((k) => k.length === 1).map((k) => k[0]),
  );
  for (
    const name of [
      "CODEX_API_KEY",
      "OPENAI_API_KEY",
      "CODEX_ACCESS_TOKEN",
      "AWS_BEARER_TOKEN_BEDROCK",
      "OPENAI_IDENTITY_TOKEN_SOURCE",
      "OPENAI_FEDERATION_RULE_ID",
      "OPENAI_IDENTITY_TOKEN_FILE",
      "OPENAI_SPIFFE_AUDIENCE",
      "OPENAI_SPIFFE_ID",
      "SPIFFE_ENDPOINT_SOCKET",
    ]
  ) {
    assert.ok(alone.has(name), `${name} alone`);
  }
  assert.equal(new Set(rows.map(([name]) => name)).size, rows.length, "row names are unique");
});

Deno.test("surface: a comparison names each difference with its old and new value", () => {
  const old: JsonObject = {
    "--version": "codex-cli 1",
    status: { "workload identity: X": { exit: 1, text: "requires Y" } },
    keyring: { a: "1" },
  };
  const now: JsonObject = {
    "--version": "codex-cli 2",
    status: { "workload identity: X": { exit: 0, text: "requires Y" } },
    keyring: { skipped: "no Secret Service" },
    extra: [1],
  };
  const comparison = compareSurfaces(old, now);
  assert.deepEqual(comparison.differences, [
    { what: "--version", old: "codex-cli 1", new: "codex-cli 2" },
    { what: "status > workload identity: X > exit", old: 1, new: 0 },
    { what: "extra", old: undefined, new: [1] },
  ]);
  assert.deepEqual(comparison.notCompared, ["keyring: no Secret Service"]);
  const report = formatReport(comparison, "pinned", "latest");
  assert.match(report, /^3 differences between pinned \(old\) and latest \(new\):/);
  assert.match(report, /status: 1 entry \(workload identity\)/);
  assert.match(report, /\* status > workload identity: X > exit\n {4}old: 1\n {4}new: 0/);
  assert.match(report, /old: \(not there\)/);
  assert.match(report, /Not compared:\n {2}keyring: no Secret Service/);
  assert.deepEqual(compareSurfaces(old, old), { differences: [], notCompared: [] });
});

Deno.test("drift: a snapshot that differs exits 1 with the report; the same one exits 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "codex-login-drift-" });
  try {
    const pinned = JSON.parse(await Deno.readTextFile(FIXTURE));
    const row = "workload identity: OPENAI_IDENTITY_TOKEN_SOURCE=bogus";
    const changed = structuredClone(pinned);
    changed["login status with environment variables"][row]["stored API key (apikey.json)"] = {
      exit: 0,
      text: "API key configured",
      on: "stderr",
    };
    await Deno.writeTextFile(`${dir}/changed.json`, JSON.stringify(changed));
    const differs = await tool(["compare", "--snapshot", `${dir}/changed.json`]);
    assert.equal(differs.code, 1, differs.stderr);
    assert.match(
      differs.stdout,
      new RegExp(
        `\\* login status with environment variables > ${row} > stored API key \\(apikey\\.json\\) > exit\\n {4}old: 1\\n {4}new: 0`,
      ),
    );
    const same = await tool(["compare", "--snapshot", FIXTURE]);
    assert.equal(same.code, 0, same.stdout);
    assert.match(same.stdout, /^No differences/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("drift: no such binary exits 2 and says so", async () => {
  const r = await tool(["compare", "/nonexistent/codex"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), "drift: no Codex binary at /nonexistent/codex");
});

const asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
const nobodyMissing = await runCommand(asNobody[0], {
  args: [...asNobody.slice(1), Deno.execPath(), "--version"],
}).then(
  (
    r,
  ) => (r.code === 0
    ? undefined
    : "uid 65534 cannot run this Deno here (needs root, setpriv and a readable checkout)"),
  () => "setpriv is not installed",
);

Deno.test({
  name: "drift: without root it says it needs root and exits 2",
  ignore: nobodyMissing !== undefined || CODEX_BIN === undefined,
  async fn() {
    const r = await tool(["compare", CODEX_BIN!], { prefix: asNobody });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^drift: .*needs root.*: run it as root \(sudo make drift \.\.\.\)$/m);
  },
});
if (nobodyMissing) console.error(`SKIPPED drift without root: ${nobodyMissing}`);

const pinnedMissing = CODEX_MISSING ??
  (CODEX_INSTALLED !== CODEX_PINNED
    ? `the installed Codex is ${CODEX_INSTALLED}, not the pinned ${CODEX_PINNED} (make test-tools)`
    : undefined) ??
  (await privateNetworkMissing()) ?? (await opensslMissing());
if (pinnedMissing) console.error(`SKIPPED surface of the pinned Codex: ${pinnedMissing}`);

Deno.test({
  name:
    `codex ${CODEX_PINNED}: its sign-in surface matches tests/fixtures/codex-surface/${CODEX_PINNED}.json`,
  ignore: pinnedMissing !== undefined,
  async fn() {
    const r = await tool(["compare", CODEX_BIN!]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^No differences/);
  },
});
