/**
 * How the benchmarks (`bench_codex.ts`, `bench_npm.ts`) start the command they measure: with
 * exactly the environment given, no stdin, its output collected; timed from spawn to exit, or
 * from spawn to "authorize URL printed and its port accepting".
 *
 * @module
 */

import { portAccepts } from "../tests/support/helpers.ts";

/** `cmd` with exactly `env`, no stdin, its output piped. */
function command(cmd: string, args: string[], env: Record<string, string>): Deno.Command {
  return new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Spawn `cmd` with exactly `env`, collecting stdout and stderr as they come. */
export function spawnCollecting(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): { child: Deno.ChildProcess; output: () => string } {
  const child = command(cmd, args, env).spawn();
  let text = "";
  const decoder = new TextDecoder();
  for (const stream of [child.stdout, child.stderr]) {
    void (async () => {
      for await (const chunk of stream) text += decoder.decode(chunk);
    })();
  }
  return { child, output: () => text };
}

/**
 * Spawn `cmd` (as {@linkcode spawnCollecting}) and wait until it has printed the authorize
 * URL and its loopback port accepts: the process, still running, and the ms that took.
 */
export async function spawnReady(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ child: Deno.ChildProcess; ms: number }> {
  const started = performance.now();
  const { child, output } = spawnCollecting(cmd, args, env);
  while (true) {
    const port = /redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A(\d+)/.exec(output())?.[1];
    if (port && await portAccepts(Number(port))) break;
    if (performance.now() - started > 15_000) throw new Error(`${cmd}: no URL\n${output()}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  return { child, ms: performance.now() - started };
}

/** Run `cmd` with exactly `env` and no stdin to its end: ms from spawn to exit, and its output. */
export async function timedRun(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ ms: number; stdout: string; stderr: string }> {
  const started = performance.now();
  const out = await command(cmd, args, env).output();
  const ms = performance.now() - started;
  const decoder = new TextDecoder();
  return { ms, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
