/**
 * A fake ChatGPT backend (`chatgpt_base_url`) beside the fake issuer, on 127.0.0.1:0: the usage
 * endpoint Codex reads for `/status` (`/backend-api/wham/usage`, and `/api/codex/usage` for a
 * base without `/backend-api`), which answers only for an access token the issuer issued, still
 * valid, of a family not revoked, sent with the matching `ChatGPT-Account-Id`; and for the real
 * Codex, workspace routing (`/wham/accounts/check`) and a model (`/codex/responses`) that
 * completes a turn, answers 401 or holds it open.
 *
 * @module
 */

import type { FakeAccount, FakeIssuer } from "./fake_issuer.ts";

/** One request the backend received. */
export interface BackendRequest {
  /** The path. */
  path: string;
  /** `ChatGPT-Account-Id`. */
  accountHeader: string | null;
  /** The bearer token (never printed by tests). */
  token: string;
  /** The account the issuer says the token is good for (undefined: refused). */
  account?: FakeAccount;
}

/** A usage answer (`RateLimitStatusPayload`), by workspace. */
export type UsageAnswer = Record<string, unknown>;

/** The default usage of an account: 5-hour and weekly windows, a credit balance. */
export function defaultUsage(account: FakeAccount, used = 10): UsageAnswer {
  const now = Math.floor(Date.now() / 1000);
  return {
    plan_type: account.planType ?? "plus",
    rate_limit: {
      allowed: true,
      limit_reached: false,
      primary_window: {
        used_percent: used,
        limit_window_seconds: 18_000,
        reset_after_seconds: 3600,
        reset_at: now + 3600,
      },
      secondary_window: {
        used_percent: used + 5,
        limit_window_seconds: 604_800,
        reset_after_seconds: 86_400 * 3,
        reset_at: now + 86_400 * 3,
      },
    },
    credits: { has_credits: true, unlimited: false, balance: "12.5" },
  };
}

function sse(events: Record<string, unknown>[]): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

/** A model turn that completes at once with one short answer. */
function completedTurn(): Response {
  const response = { id: "resp_fake", object: "response", status: "completed", output: [] };
  const item = {
    type: "message",
    id: "msg_fake",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text: "ok", annotations: [] }],
  };
  const usage = {
    input_tokens: 1,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 1,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 2,
  };
  const body = sse([
    { type: "response.created", response },
    { type: "response.output_item.added", output_index: 0, item: { ...item, content: [] } },
    { type: "response.output_item.done", output_index: 0, item },
    { type: "response.completed", response: { ...response, output: [item], usage } },
  ]);
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** A running fake ChatGPT backend. */
export class FakeChatGpt {
  /** Every request, in order. */
  readonly requests: BackendRequest[] = [];
  /** Usage answers by workspace (`chatgpt_account_id`); unset: {@linkcode defaultUsage}. */
  readonly usage = new Map<string, UsageAnswer>();
  /** The model: complete a turn, answer 401, or hold it open until closed. */
  model: "complete" | "401" | "hold" = "complete";
  /** Runs once, when the first model request arrives, before it is answered. */
  onFirstModelRequest?: () => Promise<void>;
  readonly #issuer: FakeIssuer;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #release = Promise.withResolvers<void>();

  /** Serve on 127.0.0.1:0, trusting the tokens `issuer` issued. */
  constructor(issuer: FakeIssuer) {
    this.#issuer = issuer;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => await this.#handle(req),
    );
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** The `chatgpt_base_url` to give codex-login or Codex (with `/backend-api/`). */
  get baseUrl(): string {
    return `${this.url}/backend-api/`;
  }

  /** The `-c` overrides that send Codex's backend and model calls here. */
  codexConfig(): string[] {
    return [
      "-c",
      `chatgpt_base_url="${this.baseUrl}"`,
      "-c",
      "model_provider=fake",
      "-c",
      `model_providers.fake={ name = "fake", base_url = "${this.url}/backend-api/codex", ` +
      `wire_api = "responses", requires_openai_auth = true }`,
    ];
  }

  /** Usage requests that were answered 200. */
  usageRequests(): BackendRequest[] {
    return this.requests.filter((r) => /\/(wham|codex)\/usage$/.test(r.path) && r.account);
  }

  #usage(request: BackendRequest): Response {
    const account = request.account;
    if (!account) {
      return Response.json({ detail: "Could not validate your token." }, { status: 401 });
    }
    if (request.accountHeader !== (account.accountId ?? null)) {
      return Response.json({ detail: "Account mismatch." }, { status: 403 });
    }
    const id = account.accountId ?? "";
    return Response.json(this.usage.get(id) ?? defaultUsage(account));
  }

  async #handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (req.method === "POST") await req.text();
    const token = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    const request: BackendRequest = {
      path,
      accountHeader: req.headers.get("chatgpt-account-id"),
      token,
      account: this.#issuer.accessTokenAccount(token),
    };
    this.requests.push(request);
    if (path.endsWith("/wham/usage") || path.endsWith("/api/codex/usage")) {
      return this.#usage(request);
    }
    if (path.endsWith("/wham/accounts/check")) {
      const id = request.accountHeader ?? "";
      return Response.json({
        accounts: [{
          id,
          name: id,
          structure: "personal",
          plan_type: "plus",
          workspace_backend_origin: "https://chatgpt.com",
          account_routing_override: "NO_CONSTRAINT",
        }],
        account_ordering: [id],
        default_account_id: id,
      });
    }
    if (path.endsWith("/codex/responses")) return await this.#model(request);
    return Response.json({});
  }

  async #model(request: BackendRequest): Promise<Response> {
    const hook = this.onFirstModelRequest;
    this.onFirstModelRequest = undefined;
    if (hook) await hook();
    if (this.model === "401" || !request.account) {
      return Response.json({ error: { message: "token expired", code: "token_expired" } }, {
        status: 401,
      });
    }
    if (this.model === "hold") {
      await Promise.race([
        this.#release.promise,
        new Promise((r) => setTimeout(r, 120_000)),
      ]);
      return new Response(null, { status: 503 });
    }
    return completedTurn();
  }

  /** Stop the server (a held model turn is let go). */
  async close(): Promise<void> {
    this.#release.resolve();
    await this.#server.shutdown();
  }
}

/** Start a fake ChatGPT backend for `issuer`, disposed with `await using`. */
export function startFakeChatGpt(issuer: FakeIssuer): FakeChatGpt & AsyncDisposable {
  const backend = new FakeChatGpt(issuer);
  return Object.assign(backend, { [Symbol.asyncDispose]: () => backend.close() });
}
