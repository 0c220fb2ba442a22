/**
 * codex-login: sign in to ChatGPT/OpenAI from a terminal and leave `$CODEX_HOME/auth.json`
 * ready for the Codex CLI.
 *
 * Run: `deno run --allow-net --allow-write main.ts [login] [options]` (see `--help`).
 *
 * @module
 */

import { runCli } from "./lib/cli/cli.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
