/**
 * Who is on the other end of a loopback connection. On Linux, the peer of a connection to our
 * port is a socket of this machine whose local address is the connection's remote address;
 * `ss -tnHe` (iproute2) names its owner (`uid:N`; no uid field means root). Deno reads
 * `/proc/net/tcp` only under `--allow-all`, which codex-login never asks for, so `ss` is run
 * under `--allow-run=ss`. One `ss` run answers for every connection open at the time, and its
 * answers are cached per remote port; at most one run is in flight and one queued, whatever
 * arrives. Where the owner cannot be learnt (no `ss`, not granted, another OS), the answer is
 * `null` and the caller decides.
 *
 * @module
 */

/** Runs `ss` with `args`; its standard output, or `undefined` when it cannot be run here. */
export type SsRunner = (args: string[]) => Promise<string | undefined>;

/** `ss` itself, when `--allow-run=ss` is granted and the program exists (never prompts). */
export async function runSs(args: string[]): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  const granted = await Deno.permissions.query({ name: "run", command: "ss" })
    .then((s) => s.state === "granted", () => false);
  if (!granted) return undefined;
  try {
    const out = await new Deno.Command("ss", { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** One socket from `ss -tnHe`: its local port, remote port and owner. */
export interface SsSocket {
  /** The socket's own port. */
  localPort: number;
  /** The port it is connected to (0 for a listener). */
  remotePort: number;
  /** The owner's uid (0 when `ss` prints none: root). */
  uid: number;
}

/**
 * The sockets in `ss -tnHe` output (with or without the state column).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSs } from "./peer_owner.ts";
 * const text = [
 *   "ESTAB 0 0 127.0.0.1:43690 127.0.0.1:1455 uid:65534 ino:66773 sk:2 <->",
 *   "ESTAB 0 0 127.0.0.1:43692 127.0.0.1:1455 ino:66774 sk:3 <->",
 * ].join("\n");
 * assert.deepEqual(parseSs(text), [
 *   { localPort: 43690, remotePort: 1455, uid: 65534 },
 *   { localPort: 43692, remotePort: 1455, uid: 0 },
 * ]);
 * ```
 */
export function parseSs(text: string): SsSocket[] {
  const sockets: SsSocket[] = [];
  for (const line of text.split("\n")) {
    const m = /(\S+):(\d+)\s+(\S+):(\d+|\*)(.*)$/.exec(line.trim());
    if (!m) continue;
    const uid = /\buid:(\d+)/.exec(m[5])?.[1];
    sockets.push({
      localPort: Number(m[2]),
      remotePort: m[4] === "*" ? 0 : Number(m[4]),
      uid: uid === undefined ? 0 : Number(uid),
    });
  }
  return sockets;
}

/** The owners of the peers connected to one server port, learnt in batches. */
export class PeerOwners {
  readonly #port: number;
  readonly #run: SsRunner;
  readonly #known = new Map<number, number>();
  #inFlight?: Promise<boolean>;
  #queued?: Promise<boolean>;
  /** `ss` could not be run: every answer is `null` from then on. */
  unavailable = false;

  /** Owners of the peers of `serverPort`, learnt with `run` (default: `ss` itself). */
  constructor(serverPort: number, run: SsRunner = runSs) {
    this.#port = serverPort;
    this.#run = run;
  }

  async #refresh(): Promise<boolean> {
    const text = await this.#run(["-tnHe", `( dport = :${this.#port} )`]);
    if (text === undefined) {
      this.unavailable = true;
      return false;
    }
    for (const s of parseSs(text)) {
      if (s.remotePort === this.#port) this.#known.set(s.localPort, s.uid);
    }
    return true;
  }

  /** A run that starts after this call (so it sees a connection accepted before it). */
  #nextRun(): Promise<boolean> {
    if (!this.#inFlight) {
      this.#inFlight = this.#refresh().finally(() => this.#inFlight = undefined);
      return this.#inFlight;
    }
    this.#queued ??= this.#inFlight.then(() => {
      this.#queued = undefined;
      return this.#nextRun();
    });
    return this.#queued;
  }

  /** The uid owning the peer at `remotePort`, or `null` when it cannot be learnt. */
  async ownerOf(remotePort: number): Promise<number | null> {
    if (this.unavailable) return null;
    const cached = this.#known.get(remotePort);
    if (cached !== undefined) return cached;
    if (!(await this.#nextRun())) return null;
    return this.#known.get(remotePort) ?? null;
  }
}

/**
 * The uid of whatever listens on 127.0.0.1:`port`, or `null` when it cannot be learnt (or
 * nothing listens).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenerOwner } from "./peer_owner.ts";
 * const fake = () => Promise.resolve("LISTEN 0 128 127.0.0.1:1455 0.0.0.0:* uid:1001 ino:1\n");
 * assert.equal(await listenerOwner(1455, fake), 1001);
 * assert.equal(await listenerOwner(1455, () => Promise.resolve(undefined)), null);
 * ```
 */
export async function listenerOwner(port: number, run: SsRunner = runSs): Promise<number | null> {
  const text = await run(["-tlnHe", `( sport = :${port} )`]);
  if (text === undefined) return null;
  return parseSs(text).find((s) => s.localPort === port)?.uid ?? null;
}

/** Whether a uid may reach our server: ours, or root (it can read our memory anyway). */
export function trustedUid(uid: number, ownUid: number): boolean {
  return uid === ownUid || uid === 0;
}
