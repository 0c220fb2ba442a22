/**
 * Run inside a private network namespace (`unshare --net`, loopback up) by
 * `interop_codex_test.ts`: the real `codex login` and `codex-login login` both want port
 * 1455. `codex-first`: a waiting Codex is there first and codex-login takes the port over;
 * `ours-first`: codex-login is there first, Codex falls back to 1457 and both keep working;
 * `held`: another program holds 1455 and codex-login falls back to 1457.
 * Prints one JSON line with what happened.
 *
 * @module
 */

import { CODEX_BIN, codexEnv } from "./codex_cli.ts";
import { startFakeIssuer } from "./fake_issuer.ts";
import { browse, portAccepts } from "./helpers.ts";
import { loginArgs, spawnCli } from "./cli_process.ts";

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

const mode = Deno.args[0];
const result: Record<string, unknown> = { mode };
await using issuer = startFakeIssuer();
const codexHome = await Deno.makeTempDir();
const ourHome = `${await Deno.makeTempDir()}/codex`;
const startCodex = () =>
  new Deno.Command(CODEX_BIN!, {
    args: ["login"],
    env: codexEnv(codexHome, { BROWSER: "true" }),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
const ourArgs = loginArgs(issuer.url, ourHome).filter((a, i, all) =>
  a !== "--port" && all[i - 1] !== "--port"
);

if (mode === "held") {
  // Another program (not a login) holds 1455: codex-login says so and uses 1457.
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 1455 });
  await using ours = spawnCli([...ourArgs, "--timeout", "1"]);
  const url = await ours.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/);
  result.ourPort = Number(
    new URL(url).searchParams.get("redirect_uri")?.split(":")[2]?.split("/")[0],
  );
  result.said = ours.lines.filter((l) => /in use/.test(l));
  holder.close();
} else if (mode === "codex-first") {
  const codex = startCodex();
  result.codexListening1455 = await until(() => portAccepts(1455));
  await using ours = spawnCli(ourArgs);
  const url = await ours.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/);
  result.ourPort = Number(
    new URL(url).searchParams.get("redirect_uri")?.split(":")[2]?.split("/")[0],
  );
  result.codexExit = (await codex.status).code;
  await browse(url);
  const done = await ours.done();
  result.ourExit = done.code;
  result.said = done.stderr.split("\n").filter((l) => /Stopped|in use/.test(l));
} else {
  await using ours = spawnCli(ourArgs);
  const url = await ours.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/);
  result.ourPort = Number(
    new URL(url).searchParams.get("redirect_uri")?.split(":")[2]?.split("/")[0],
  );
  const codex = startCodex();
  result.codexListening1457 = await until(() => portAccepts(1457));
  await browse(url);
  const done = await ours.done();
  result.ourExit = done.code;
  result.codexStillWaiting = await portAccepts(1457);
  codex.kill("SIGKILL");
  await codex.status;
}
console.log(JSON.stringify(result));
