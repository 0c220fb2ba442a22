/**
 * A real terminal of a chosen size for the tests: the CLI runs in a tmux pane (Debian's tmux),
 * keys are typed into it, and the screen is read back as the person would see it (rows as
 * drawn, after every redraw and wrap).
 *
 * @module
 */

import { ROOT } from "./helpers.ts";

/** Why tmux cannot be used here, or undefined when it can. */
export async function tmuxMissing(): Promise<string | undefined> {
  const found = await new Deno.Command("sh", { args: ["-c", "command -v tmux"], stdout: "null" })
    .output().catch(() => undefined);
  return found?.success ? undefined : "tmux is not installed (apt-get install tmux)";
}

/** A command running in a tmux pane of a fixed size. */
export interface Pane extends AsyncDisposable {
  /** The screen now: one string per row (trailing blanks kept as the pane shows them). */
  screen(): Promise<string[]>;
  /** Type text literally. */
  type(text: string): Promise<void>;
  /** Press keys by tmux name (`Enter`, `C-c`). */
  press(...keys: string[]): Promise<void>;
  /** Resize the pane. */
  resize(columns: number, rows: number): Promise<void>;
  /** Wait until a row matches `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<string[]>;
  /** The command's exit code, once it has exited. */
  exitCode(ms?: number): Promise<number>;
}

async function tmux(socket: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Start `argv` in a pane of `columns` × `rows`, in the repository, with `env` added. The pane
 * outlives the command (so its last screen can be read) and shows `EXIT=<code>` when it ends.
 */
export async function openPane(
  argv: string[],
  options: { columns: number; rows: number; env?: Record<string, string> },
): Promise<Pane> {
  const socket = `codex-login-test-${crypto.randomUUID()}`;
  const env = Object.entries({ NO_COLOR: "1", ...options.env })
    .map(([k, v]) => `${k}=${quote(v)}`).join(" ");
  const command = `cd ${quote(ROOT)} && env ${env} ${argv.map(quote).join(" ")}; ` +
    `echo EXIT=$?; sleep 600`;
  await tmux(socket, [
    "new-session",
    "-d",
    "-x",
    String(options.columns),
    "-y",
    String(options.rows),
    "-s",
    "t",
    command,
  ]);
  const screen = async () => (await tmux(socket, ["capture-pane", "-p", "-t", "t"])).split("\n");
  const waitFor = async (re: RegExp, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (true) {
      const rows = await screen();
      if (rows.some((row) => re.test(row))) return rows;
      if (Date.now() > deadline) throw new Error(`no row matching ${re} in:\n${rows.join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    screen,
    waitFor,
    type: async (text) => void await tmux(socket, ["send-keys", "-t", "t", "-l", text]),
    press: async (...keys) => void await tmux(socket, ["send-keys", "-t", "t", ...keys]),
    resize: async (columns, rows) =>
      void await tmux(socket, ["resize-window", "-t", "t", "-x", `${columns}`, "-y", `${rows}`]),
    async exitCode(ms = 20_000) {
      const rows = await waitFor(/^EXIT=\d+/, ms);
      return Number(rows.find((r) => /^EXIT=\d+/.test(r))?.slice(5));
    },
    async [Symbol.asyncDispose]() {
      await tmux(socket, ["kill-server"]).catch(() => {});
    },
  };
}
