/**
 * Claiming the loopback port on 127.0.0.1, as Codex 0.169. When the port is held by an earlier
 * codex-login that is still waiting, cancel it and take over: the cancel is a POST carrying
 * a secret that only local processes of this user can read (a 0600 file in the codex home),
 * so no web page can stop a sign-in. A holder that does not take that cancel gets the plain
 * `GET /cancel` a waiting `codex login` listens for, once. Then retry the bind for about 2 s;
 * fall back to the second registered port when the default was asked for. The claim hands
 * back a bound listener; serving it is the caller's (`http_server.ts`), once it has built what
 * its routes need.
 *
 * @module
 */

import { flowEvent, type Report } from "../base/events.ts";
import type { ServerRequest } from "./http_server.ts";
import { type LookupOptions, PeerLookup } from "./peer_lookup.ts";
import { trustedUid } from "./peer_owner.ts";
import { timingSafeEqual } from "../base/timing_safe_equal.ts";
import type { CodexHome } from "../store/codex_home.ts";

/** The ports registered for the Codex CLI's OAuth client, in order of preference. */
export const REGISTERED_PORTS = [1455, 1457] as const;
/** The port a sign-in tries first. */
export const DEFAULT_PORT: number = REGISTERED_PORTS[0];
/** The loopback address the server listens on and every link names (as Codex 0.169). */
export const LOOPBACK_HOST = "127.0.0.1";

/**
 * The origin every loopback link names: `http://127.0.0.1:{port}` (spelled here only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loopbackOrigin } from "./port_claim.ts";
 * assert.equal(loopbackOrigin(1455), "http://127.0.0.1:1455");
 * ```
 */
export function loopbackOrigin(port: number): string {
  return `http://${LOOPBACK_HOST}:${port}`;
}

/**
 * Bind 127.0.0.1:`port`, as Codex 0.169 does (its redirect_uri names 127.0.0.1, so no browser
 * looks for the callback on [::1]). Throws `Deno.errors.AddrInUse` when taken.
 */
export function bindLoopback(port: number): Deno.TcpListener {
  return Deno.listen({ hostname: LOOPBACK_HOST, port });
}

/** The cancel secret file: written 0600, never followed through a symlink. */
export async function writeCancelSecret(
  home: CodexHome,
  port: number,
  secret: string,
): Promise<void> {
  const path = home.cancelSecret(port);
  await home.ensure();
  await Deno.remove(path).catch(() => {});
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  try {
    await file.write(new TextEncoder().encode(secret));
  } finally {
    file.close();
  }
}

/** Remove the cancel secret if it is still ours. */
export async function removeCancelSecret(
  home: CodexHome,
  port: number,
  secret: string,
): Promise<void> {
  const path = home.cancelSecret(port);
  try {
    if ((await Deno.readTextFile(path)) === secret) await Deno.remove(path);
  } catch {
    // gone already, or not readable: nothing to clean
  }
}

/** The header the cancel request carries its secret in. */
export const CANCEL_HEADER = "x-codex-login-cancel";

/** Whether a request is an authenticated cancel for the given secret. */
export function isAuthorizedCancel(req: ServerRequest, secret: string | undefined): boolean {
  if (!secret) return false;
  return timingSafeEqual(req.headers.get(CANCEL_HEADER) ?? "", secret);
}

/**
 * Ask the login waiting on `port` to stop, with the secret from the codex home. Resolves
 * true when it agreed.
 */
export async function requestCancel(home: CodexHome, port: number): Promise<boolean> {
  let secret: string;
  try {
    secret = (await Deno.readTextFile(home.cancelSecret(port))).trim();
  } catch {
    return false;
  }
  try {
    const response = await fetch(`${loopbackOrigin(port)}/cancel`, {
      method: "POST",
      headers: { [CANCEL_HEADER]: secret },
      signal: AbortSignal.timeout(1500),
    });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Ask a waiting `codex login` (the Codex CLI's own login server) on `port` to stop: it
 * listens for a plain `GET /cancel`. Sent once, only after our authenticated cancel was not
 * taken. Resolves true when it answered 200.
 */
export async function requestCodexCancel(port: number): Promise<boolean> {
  try {
    const response = await fetch(`${loopbackOrigin(port)}/cancel`, {
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** What claiming a port needs beyond the port: where to say things, and who we are. */
export interface ClaimOptions {
  /** `undefined`: the default with its fallback (1455, then 1457); 0 picks a free port. */
  port?: number;
  /** The codex home (the cancel secrets live there). */
  home: CodexHome;
  /** Where the fallbacks and take-overs are reported. */
  report: Report;
  /** Our uid and how peers are looked up: another user's listener gets no cancel. */
  peers?: { ownUid: number | null; lookup?: LookupOptions };
}

/** How a claim binds and waits (tests simulate the operating system's refusals). */
export interface ClaimDeps {
  /** How a port is bound. Default {@linkcode bindLoopback}. */
  bind?: (port: number) => Deno.TcpListener;
  /** How long to retry a taken port after cancelling its holder, ms. Default 2000. */
  retryMs?: number;
  /** The operating system the words are for. Default: this one. */
  os?: string;
}

/** Stop an earlier codex-login or a waiting `codex login` on `port`; true when one stopped. */
async function cancelHolder(port: number, options: ClaimOptions): Promise<boolean> {
  if (port === 0) return false;
  const { report } = options;
  // Another user's program gets no cancel (neither our secret nor Codex's GET /cancel).
  const ownUid = options.peers?.ownUid ?? null;
  if (ownUid !== null) {
    const holder = await new PeerLookup(port, options.peers?.lookup).listenerOf();
    const foreign = holder.kind === "found"
      ? !trustedUid(holder.uid, ownUid)
      : holder.kind === "not_found" && holder.tool === "lsof"; // not among ours
    if (foreign) {
      const who = holder.kind === "found"
        ? `another user on this machine (uid ${holder.uid})`
        : "a program that is not yours (another user's, or one run as root)";
      report(flowEvent(
        "warning",
        "port.other_user",
        `Port ${port} is held by ${who}; leaving it alone.`,
        { port },
      ));
      return false;
    }
  }
  if (await requestCancel(options.home, port)) {
    report(flowEvent(
      "note",
      "port.took_over",
      `Stopped an earlier codex-login that was waiting on port ${port}.`,
      { port },
    ));
    return true;
  }
  if (await requestCodexCancel(port)) {
    report(flowEvent(
      "note",
      "port.took_over_codex",
      `Stopped a waiting \`codex login\` on port ${port}.`,
      { port },
    ));
    return true;
  }
  return false;
}

/** How long a take-over may take before the person is told the port is busy. */
const QUIET_TAKEOVER_MS = 500;

/**
 * The port is taken: stop its holder when it is an earlier codex-login or a waiting `codex
 * login`, and retry for `waitMs`. The wait is said at once unless a take-over works quickly.
 */
async function takeOver(
  port: number,
  next: number | undefined,
  options: ClaimOptions,
  waitMs: number,
  attempt: () => Deno.TcpListener | "refused" | undefined,
): Promise<Deno.TcpListener | undefined> {
  const cancel = cancelHolder(port, options);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<"slow">((r) => timer = setTimeout(() => r("slow"), QUIET_TAKEOVER_MS));
  const quick = await Promise.race([cancel, slow]);
  clearTimeout(timer);
  if (quick !== true) {
    options.report(flowEvent(
      "note",
      "port.busy",
      `Port ${port} on ${LOOPBACK_HOST} is in use; waiting up to ${Math.round(waitMs / 1000)} s ${
        next === undefined ? "for it to be freed" : `before trying port ${next}`
      }.`,
      next === undefined ? { port, wait_ms: waitMs } : { port, wait_ms: waitMs, next },
    ));
  }
  await cancel;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const again = attempt();
    if (again !== undefined && again !== "refused") return again;
  }
  return undefined;
}

/**
 * Why no port could be claimed, as data (the sign-in says it in its own words):
 * - `in_use`: held by another program (`ports[0]`, the last one tried);
 * - `refused`: the operating system itself refuses every candidate (Windows' excluded
 *   ranges), `ports` lists them, `os` says whose words to use;
 * - `not_granted`: Deno was not granted to listen on `ports[0]`.
 */
export class PortUnavailable extends Error {
  /** Why. */
  readonly reason: "in_use" | "refused" | "not_granted";
  /** The ports concerned. */
  readonly ports: readonly number[];
  /** The operating system (for `refused`). */
  readonly os: string;

  /** Make one. */
  constructor(reason: PortUnavailable["reason"], ports: readonly number[], os: string) {
    super(`port ${ports.join(", ")} unavailable (${reason})`);
    this.name = "PortUnavailable";
    this.reason = reason;
    this.ports = ports;
    this.os = os;
  }
}

/**
 * Bind for a sign-in. `port` undefined means the default with fallback: 1455, then 1457.
 * For each candidate: bind; if taken, cancel an earlier codex-login there (authenticated)
 * and retry for `retryMs`; then move on. Resolves to the bound listener; throws
 * {@linkcode PortUnavailable} saying why none could be had.
 */
export async function claimLoopback(
  options: ClaimOptions,
  deps: ClaimDeps = {},
): Promise<Deno.TcpListener> {
  const candidates = options.port === undefined ? [...REGISTERED_PORTS] : [options.port];
  const bind = deps.bind ?? bindLoopback;
  const os = deps.os ?? Deno.build.os;
  const refused: number[] = [];
  const busy: number[] = [];
  for (const [index, port] of candidates.entries()) {
    const attempt = (): Deno.TcpListener | "refused" | undefined => {
      try {
        return bind(port);
      } catch (err) {
        if (err instanceof Deno.errors.AddrInUse) return undefined;
        if (err instanceof Deno.errors.NotCapable) {
          throw new PortUnavailable("not_granted", [port], os);
        }
        // The OS itself refuses the port (Windows' excluded ranges): taken, for good.
        if (err instanceof Deno.errors.PermissionDenied) return "refused";
        throw err;
      }
    };
    const next = candidates[index + 1];
    const first = attempt();
    if (first === "refused") {
      refused.push(port);
      if (next === undefined) throw new PortUnavailable("refused", refused, os);
      options.report(flowEvent(
        "note",
        "port.refused",
        `Port ${port} cannot be used here (refused by the system); trying port ${next}.`,
        { port, next },
      ));
      continue;
    }
    if (first) return first;
    const listener = await takeOver(port, next, options, deps.retryMs ?? 2000, attempt);
    if (listener) return listener;
    busy.push(port);
    if (next === undefined) throw new PortUnavailable("in_use", busy, os);
    options.report(flowEvent(
      "note",
      "port.fallback",
      `Port ${port} is in use by another program; trying port ${next} instead.`,
      { port, next },
    ));
  }
  throw new PortUnavailable("in_use", [candidates[0]], os);
}
