/**
 * Every example in README.md's `sh` blocks is run: each `codex-login …` line with `--help`
 * appended (so its flags are parsed and checked, nothing signs in), `--version` and
 * `completion` lines for real, `make` lines as a dry run (`make -n`), `install.sh` lines
 * against a dead release address (their options are accepted), and the install one-liner's
 * address is the one `install.sh` names.
 */
import assert from "node:assert/strict";
import { ROOT, runCommand } from "./support/helpers.ts";

const readme = await Deno.readTextFile(`${ROOT}README.md`);
const examples = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1].split("\n"))
  .map((line) => line.replace(/\s+#.*$/, "").trim())
  .filter((line) => line);

/** Split a shell line into words (no quoting beyond what the README uses). */
function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w).map((w) =>
    w.replace(/^~(?=\/)/, Deno.env.get("HOME") ?? "~")
  );
}

function run(cmd: string, args: string[]) {
  return runCommand(cmd, { args, cwd: ROOT, env: { NO_COLOR: "1" } });
}

async function runCodexLogin(args: string[]) {
  return await run(Deno.execPath(), ["run", "-A", "main.ts", ...args]);
}

Deno.test("README: it has examples, and the README stays under 250 lines", () => {
  assert.ok(examples.length >= 15, `${examples.length} examples`);
  assert.ok(readme.split("\n").length < 250);
});

for (const example of examples) {
  Deno.test(`README example runs: ${example}`, async () => {
    for (const part of example.split(/\s*(?:&&|\|)\s*/)) {
      const inner = /\$\((codex-login[^)]*)\)/.exec(part)?.[1];
      const line = (inner ?? part).replace(/^eval\s+"?|"$/g, "");
      const w = words(line);
      // `npx codex-login …` runs the npm package's codex-login with the same arguments.
      if (w[0] === "npx" && w[1] === "codex-login") w.shift();
      if (w[0] === "npm" && w[1] === "install" && w[2] === "-g") {
        const { packageManifest } = await import("../tools/npm/pack.ts");
        assert.equal(
          w[3],
          (await packageManifest()).name,
          `${line}: the package make npm-pack builds`,
        );
        continue;
      }
      if (w[0] === "codex-login") {
        const args = w.slice(1);
        const real = args[0] === "--version" || args[0] === "completion";
        const r = await runCodexLogin(real ? args : [...args, "--help"]);
        assert.equal(r.code, 0, `${line}: ${r.stderr}`);
        if (!real) assert.match(r.stdout, /^codex-login /, line);
      } else if (w[0] === "make") {
        const r = await run("make", ["-n", ...w.slice(1)]);
        assert.equal(r.code, 0, `${line}: ${r.stderr}`);
      } else if (w[0] === "sh" && w[1] === "install.sh") {
        const r = await run("sh", [...w.slice(1), "--release-url", "http://127.0.0.1:9/none"]);
        assert.equal(r.code, 1);
        assert.doesNotMatch(r.stderr, /unknown option/, line);
        assert.match(r.stderr, /could not download/, line);
      } else if (w[0] === "curl") {
        const script = await Deno.readTextFile(`${ROOT}install.sh`);
        const base = /RELEASES_URL="\$\{CODEX_LOGIN_RELEASE_URL:-([^}]+)\}"/.exec(script)?.[1];
        assert.ok(base && line.includes(`${base}/latest/download/install.sh`), line);
      } else if (w[0] === "printenv" || w[0] === "npm" || w[0] === "sh") {
        // the other side of a pipe (or the toolchain install): checked with its partner
      } else {
        assert.fail(`no check for README example: ${line}`);
      }
    }
  });
}
