/**
 * Binding the loopback port on 127.0.0.1, as Codex 0.169. When the port is held by an earlier
 * codex-login that is still waiting, cancel it and take over: the cancel is a POST carrying
 * a secret that only local processes of this user can read (a 0600 file in the codex home),
 * so no web page can stop a sign-in. A holder that does not take that cancel gets the plain
 * `GET /cancel` a waiting `codex login` listens for, once. Then retry the bind for about 2 s;
 * fall back to the second registered port when the default was asked for.
 *
 * @module
 */

import { ExitCode, LoginError } from "../base/errors.ts";
import { permissionError } from "../base/permissions.ts";
import {
  type Admit,
  type Handler,
  type Preview,
  serveHttp,
  type ServerRequest,
} from "./http_server.ts";
import { listenerOwner, PeerOwners, type SsRunner, trustedUid } from "./peer_owner.ts";
import { commandLine } from "../base/invocation.ts";
import { timingSafeEqual } from "../base/timing_safe_equal.ts";
import { cancelSecretPath } from "../store/codex_home.ts";

/** The ports registered for the Codex CLI's OAuth client, in order of preference. */
export const REGISTERED_PORTS = [1455, 1457] as const;
/** The port a sign-in tries first. */
export const DEFAULT_PORT: number = REGISTERED_PORTS[0];
/** The loopback address the server listens on and every link names (as Codex 0.169). */
export const LOOPBACK_HOST = "127.0.0.1";

/** The server listening for one sign-in. */
export interface LoopbackServers {
  /** The port. */
  port: number;
  /** Stop the server and close every connection. */
  shutdown(): Promise<void>;
}

/**
 * Who may reach the server: connections from another (non-root) user of this machine are
 * closed at accept. `ownUid` null: our uid is unknown, nobody is checked.
 */
export interface PeerCheck {
  /** Our uid (the owner of files we create). */
  ownUid: number | null;
  /** Where a refused peer, or an unavailable check, is said (one line each, once). */
  log: (line: string) => void;
  /** How `ss` is run (tests replace it). */
  run?: SsRunner;
  /** Sees a request while its peer is checked (see {@linkcode Preview}). */
  preview?: Preview;
}

/** The `admit` check of a server on `port()`, per {@linkcode PeerCheck}. */
function admitOwnUser(check: PeerCheck, port: () => number): Admit | undefined {
  const ownUid = check.ownUid;
  if (ownUid === null) return undefined;
  let owners: PeerOwners | undefined;
  const said = new Set<string>();
  const once = (key: string, line: string) => {
    if (!said.has(key)) check.log(line);
    said.add(key);
  };
  return async (remote) => {
    owners ??= new PeerOwners(port(), check.run);
    const uid = await owners.ownerOf(remote.port);
    if (uid === null) {
      if (owners.unavailable) {
        once(
          "unavailable",
          "Note: cannot tell which user connects to the sign-in server here (`ss` is missing or not granted: --allow-run=ss); other users on this machine are not turned away.",
        );
      }
      return true;
    }
    if (trustedUid(uid, ownUid)) return true;
    once(
      `uid ${uid}`,
      `Warning: another user on this machine (uid ${uid}) connected to the sign-in server; the connection was closed.`,
    );
    return false;
  };
}

/**
 * Listen on 127.0.0.1:`port`, as Codex 0.169 does (its redirect_uri names 127.0.0.1, so no
 * browser looks for the callback on [::1]). With a `peerCheck`, other users' connections are
 * closed at accept. Throws `Deno.errors.AddrInUse` when taken.
 */
export function bindLoopback(
  port: number,
  handler: Handler,
  peerCheck?: PeerCheck,
): LoopbackServers {
  let bound = port;
  const admit = peerCheck ? admitOwnUser(peerCheck, () => bound) : undefined;
  const preview = admit ? peerCheck?.preview : undefined;
  const server = serveHttp({ hostname: LOOPBACK_HOST, port, admit, preview }, handler);
  bound = server.addr.port;
  return { port: bound, shutdown: () => server.shutdown() };
}

/** The cancel secret file: written 0600, never followed through a symlink. */
export async function writeCancelSecret(
  codexHome: string,
  port: number,
  secret: string,
): Promise<void> {
  const path = cancelSecretPath(codexHome, port);
  await Deno.mkdir(codexHome, { recursive: true, mode: 0o700 });
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
  codexHome: string,
  port: number,
  secret: string,
): Promise<void> {
  const path = cancelSecretPath(codexHome, port);
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
export async function requestCancel(codexHome: string, port: number): Promise<boolean> {
  let secret: string;
  try {
    secret = (await Deno.readTextFile(cancelSecretPath(codexHome, port))).trim();
  } catch {
    return false;
  }
  try {
    const response = await fetch(`http://${LOOPBACK_HOST}:${port}/cancel`, {
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
    const response = await fetch(`http://${LOOPBACK_HOST}:${port}/cancel`, {
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function cancelHolder(
  codexHome: string,
  port: number,
  log: (line: string) => void,
  peerCheck?: PeerCheck,
) {
  if (port === 0) return;
  // Another user's program gets no cancel (neither our secret nor Codex's GET /cancel).
  const ownUid = peerCheck?.ownUid ?? null;
  if (ownUid !== null) {
    const holder = await listenerOwner(port, peerCheck?.run);
    if (holder !== null && !trustedUid(holder, ownUid)) {
      log(
        `Port ${port} is held by another user on this machine (uid ${holder}); leaving it alone.`,
      );
      return;
    }
  }
  if (await requestCancel(codexHome, port)) {
    log(`Stopped an earlier codex-login that was waiting on port ${port}.`);
  } else if (await requestCodexCancel(port)) {
    log(`Stopped a waiting \`codex login\` on port ${port}.`);
  }
}

function portInUse(port: number, address = LOOPBACK_HOST): LoginError {
  return new LoginError(
    "port_in_use",
    `Port ${port} on ${address} is already in use by another program. Stop it (find it with \`lsof -nP -iTCP:${port} -sTCP:LISTEN\` or \`ss -ltnp 'sport = :${port}'\`) and try again.`,
    { exitCode: ExitCode.PortInUse },
  );
}

/**
 * Every port was refused by the operating system itself (not taken by a program): on
 * Windows, Hyper-V and WinNAT reserve ranges such as 1447-1546 in which nothing may listen.
 */
function portsRefused(ports: number[], os: string): LoginError {
  const list = ports.join(" and ");
  const why = os === "windows"
    ? `Windows refuses to listen on port ${list}: they lie in a range it reserves (Hyper-V or WinNAT excluded port ranges). See the ranges with \`netsh interface ipv4 show excludedportrange protocol=tcp\`; an administrator can free them (\`net stop winnat\`, then \`net start winnat\`).`
    : `The system refuses to listen on port ${list} (permission denied).`;
  return new LoginError(
    "port_in_use",
    `${why} Meanwhile, sign in with a one-time code instead: ${
      commandLine(["login", "--device-auth"])
    }.`,
    { exitCode: ExitCode.PortInUse },
  );
}

function listenPermission(port: number): LoginError {
  const host = `${LOOPBACK_HOST}:${port}`;
  return permissionError({ name: "net", host }, "to listen for the browser");
}

/**
 * Bind for a sign-in. `port` undefined means the default with fallback: 1455, then 1457.
 * For each candidate: bind; if taken, cancel an earlier codex-login there (authenticated)
 * and retry for `retryMs`; then move on. Throws a LoginError (exit 13) naming the port.
 */
export async function claimLoopback(options: {
  port?: number;
  codexHome: string;
  handler: Handler;
  log: (line: string) => void;
  retryMs?: number;
  /** Turn other users away (at accept, and before cancelling a holder). */
  peerCheck?: PeerCheck;
  /** How a port is bound (tests simulate the operating system's refusals). */
  bind?: typeof bindLoopback;
  /** The operating system the words are for. Default: this one. */
  os?: string;
}): Promise<LoopbackServers> {
  const candidates = options.port === undefined ? [...REGISTERED_PORTS] : [options.port];
  const bind = options.bind ?? bindLoopback;
  const refused: number[] = [];
  for (const [index, port] of candidates.entries()) {
    const attempt = (): LoopbackServers | "refused" | undefined => {
      try {
        return bind(port, options.handler, options.peerCheck);
      } catch (err) {
        if (err instanceof Deno.errors.AddrInUse) return undefined;
        if (err instanceof Deno.errors.NotCapable) throw listenPermission(port);
        // The OS itself refuses the port (Windows' excluded ranges): taken, for good.
        if (err instanceof Deno.errors.PermissionDenied) return "refused";
        throw err;
      }
    };
    const first = attempt();
    if (first === "refused") {
      refused.push(port);
      const next = candidates[index + 1];
      if (next === undefined) throw portsRefused(refused, options.os ?? Deno.build.os);
      options.log(`Port ${port} cannot be used here (refused by the system); trying port ${next}.`);
      continue;
    }
    let servers: LoopbackServers | undefined = first;
    if (servers) return servers;
    await cancelHolder(options.codexHome, port, options.log, options.peerCheck);
    const deadline = Date.now() + (options.retryMs ?? 2000);
    while (!servers && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const again = attempt();
      servers = again === "refused" ? undefined : again;
    }
    if (servers) return servers;
    const next = candidates[index + 1];
    if (next === undefined) throw portInUse(port);
    options.log(`Port ${port} is in use by another program; trying port ${next} instead.`);
  }
  throw portInUse(candidates[0]);
}
