/**
 * The real Codex holding an account in memory: `codex app-server` over stdio (JSON-RPC, one
 * message a line), for the accounts interop and soak tests. `account/read` tells which account
 * Codex holds (no re-read, no refresh); `account/read {refreshToken: true}` makes it refresh now
 * (Codex's `refresh_reason: "forced"`), at the issuer `CODEX_REFRESH_TOKEN_URL_OVERRIDE` names.
 *
 * @module
 */

import { CODEX_BIN, CODEX_MISSING } from "./codex_cli.ts";
import type { FakeChatGpt } from "./fake_chatgpt.ts";
import type { FakeIssuer } from "./fake_issuer.ts";

/** What Codex runs with: its own HOME, the codex home, the fake issuer's URLs. */
export function codexWorld(
  home: string,
  issuer: FakeIssuer,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: "/usr/bin:/bin",
    HOME: home,
    CODEX_HOME: home,
    NO_COLOR: "1",
    RUST_LOG: "warn,codex_login=info",
    CODEX_REFRESH_TOKEN_URL_OVERRIDE: `${issuer.url}/oauth/token`,
    CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${issuer.url}/oauth/revoke`,
    ...extra,
  };
}

/** A JSON-RPC answer: its result, or its error's message. */
export interface Answer {
  /** The `result`. */
  result?: unknown;
  /** The error's `message`, or that no answer came. */
  error?: string;
}

function field(value: unknown, ...path: string[]): unknown {
  let node = value;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A running `codex app-server`. */
export class CodexAppServer {
  /** The process. */
  readonly child: Deno.ChildProcess;
  /** Its stderr so far (Codex's log lines). */
  stderr = "";
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #pending = new Map<number, (answer: Answer) => void>();
  #id = 0;

  /** Start it on `home` with the backend's `-c` overrides, then `args`, and `env`. */
  constructor(
    home: string,
    backend: FakeChatGpt,
    env: Record<string, string>,
    bin = CODEX_BIN,
    args: string[] = [],
  ) {
    if (!bin) throw new Error(CODEX_MISSING);
    this.child = new Deno.Command(bin, {
      args: ["app-server", ...backend.codexConfig(), ...args],
      env,
      clearEnv: true,
      cwd: home,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    void this.#read();
    void this.#collect(this.child.stderr);
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) this.stderr += chunk;
  }

  async #read(): Promise<void> {
    let buffer = "";
    for await (const chunk of this.child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        const id = field(message, "id");
        if (typeof id !== "number") continue;
        const error = field(message, "error", "message");
        this.#pending.get(id)?.({
          result: field(message, "result"),
          error: typeof error === "string" ? error : undefined,
        });
        this.#pending.delete(id);
      }
    }
  }

  async #send(message: Record<string, unknown>): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(`${JSON.stringify(message)}\n`));
  }

  /** A request and its answer (60 s at most). */
  async call(method: string, params: unknown): Promise<Answer> {
    const id = ++this.#id;
    const answer = new Promise<Answer>((resolve) => this.#pending.set(id, resolve));
    await this.#send({ jsonrpc: "2.0", id, method, params });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<Answer>((resolve) => {
      timer = setTimeout(() => resolve({ error: `${method}: no answer in 60 s` }), 60_000);
    });
    try {
      return await Promise.race([answer, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** `initialize`, then `initialized`. */
  async start(): Promise<void> {
    await this.call("initialize", { clientInfo: { name: "codex-login-tests", version: "0" } });
    await this.#send({ jsonrpc: "2.0", method: "initialized" });
  }

  /** The email of the account Codex holds (`account/read`, no refresh); null when none. */
  async heldEmail(): Promise<string | null> {
    const answer = await this.call("account/read", {});
    const email = field(answer.result, "account", "email");
    return typeof email === "string" ? email : null;
  }

  /** Make Codex refresh now; the email it holds afterwards (null: it has no account). */
  async forceRefresh(): Promise<string | null> {
    const answer = await this.call("account/read", { refreshToken: true });
    const email = field(answer.result, "account", "email");
    return typeof email === "string" ? email : null;
  }

  /** SIGTERM (SIGKILL after 5 s), and wait for it. */
  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // gone already
    }
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // gone already
      }
    }, 5000);
    await this.child.status;
    clearTimeout(timer);
    await this.#writer.close().catch(() => {});
  }
}

/** Start an app-server on `home`, initialised, disposed with `await using`. */
export async function startAppServer(
  home: string,
  issuer: FakeIssuer,
  backend: FakeChatGpt,
  bin = CODEX_BIN,
  env: Record<string, string> = {},
): Promise<CodexAppServer & AsyncDisposable> {
  const app = new CodexAppServer(home, backend, codexWorld(home, issuer, env), bin);
  await app.start();
  return Object.assign(app, { [Symbol.asyncDispose]: () => app.stop() });
}
