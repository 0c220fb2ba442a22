/**
 * `codex-login token [--json]`: print a valid access token for scripts (as `gh auth token`),
 * refreshing it first, under the lock, when Codex would. Only the token goes to stdout.
 *
 * @module
 */

import type { CliIo } from "../io.ts";
import { ExitCode } from "../../base/errors.ts";
import { accountClaims } from "../../issuer/jwt.ts";
import { currentToken } from "../../signin/token_refresh.ts";
import { commandFlags } from "../flags.ts";

/** Run `token`. Returns the exit code; `undefined` asks the caller to print the usage. */
export async function tokenCommand(args: string[], io: CliIo): Promise<number | undefined> {
  const flags = commandFlags("token", args, { json: { type: "boolean" } });
  if (!flags) return undefined;
  const { store, trace } = await flags.setup("write", io.log);
  const got = await currentToken({
    store,
    client: flags.issuerClient(15_000, trace),
    now: () => new Date(),
  });
  if (!flags.values.json) {
    io.out(got.token);
    return ExitCode.Ok;
  }
  const claims = got.kind === "access_token" ? accountClaims(got.token) : undefined;
  io.out(JSON.stringify({
    token: got.token,
    kind: got.kind,
    auth_mode: got.auth.auth_mode,
    expires_at: claims?.expiresAt?.toISOString() ?? null,
    account_id: claims?.accountId ??
      (got.auth.tokens as { account_id?: string | null } | undefined)?.account_id ?? null,
    refreshed: got.refreshed,
  }));
  return ExitCode.Ok;
}
