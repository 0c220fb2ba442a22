/**
 * Who is on the other end of a loopback connection. The peer of a connection to our server is
 * the one live socket of this machine whose own address and port are the connection's remote
 * address and port, and whose remote address and port are ours: matched exactly, all four.
 *
 * - With `ss -tnHe` (iproute2, Linux): every socket with its owner (`uid:N`; a live socket
 *   with none is root's, as `ss` never prints `uid:0`); an orphan (`ino:0`, left after
 *   `close()`) is nobody's peer.
 * - With `lsof` (macOS, and Linux without `ss`): run as the person, it lists only their own
 *   sockets, so a peer found is theirs and one not found is someone else's (a forwarder run as
 *   root included).
 *
 * One run answers every connection waiting for it when it starts; nothing is kept after it, so
 * nothing done before a connection arrives changes how it is judged. A run that fails is tried
 * again for that connection; the lookup is off only where neither program is installed or
 * granted. Deno reads `/proc/net/tcp` only under `--allow-all`, which codex-login never asks
 * for: hence a program, under `--allow-run=ss,lsof`.
 *
 * @module
 */

import { errorText } from "../base/errors.ts";

/** What running a lookup program gave. */
export type ToolOutput =
  | { kind: "output"; text: string }
  | { kind: "missing" }
  | { kind: "not_granted" }
  | { kind: "failed"; why: string };

/** Runs a lookup program (`ss` or `lsof`) with `args` (tests pass their own). */
export type ToolRunner = (tool: PeerTool, args: string[]) => Promise<ToolOutput>;

/** The programs that can tell who owns a socket. */
export type PeerTool = "ss" | "lsof";

/**
 * A lookup program itself, when granted (never prompts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTool } from "./peer_owner.ts";
 * // Not granted here (doc examples run without --allow-run): said as such, never run.
 * assert.equal((await runTool("ss", ["-tnHe"])).kind, "not_granted");
 * ```
 */
export async function runTool(tool: PeerTool, args: string[]): Promise<ToolOutput> {
  const granted = await Deno.permissions.query({ name: "run", command: tool })
    .then((s) => s.state === "granted", () => false);
  if (!granted) return { kind: "not_granted" };
  try {
    const out = await new Deno.Command(tool, { args, stdout: "piped", stderr: "null" }).output();
    // lsof exits 1 when it found nothing to list: an answer, not a failure.
    if (out.success || (tool === "lsof" && out.code === 1 && out.stdout.length === 0)) {
      return { kind: "output", text: new TextDecoder().decode(out.stdout) };
    }
    return { kind: "failed", why: `${tool} exited with ${out.code}` };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { kind: "missing" };
    return { kind: "failed", why: `${tool} could not start: ${errorText(err)}` };
  }
}

/** One end of a TCP connection. */
export interface Endpoint {
  /** The IP address (IPv4 mapped IPv6 addresses as plain IPv4, no brackets). */
  addr: string;
  /** The port. */
  port: number;
}

/** One socket as a lookup program listed it. */
export interface SocketRecord {
  /** Its own address and port. */
  local: Endpoint;
  /** The address and port it is connected to. */
  remote: Endpoint;
  /** Its owner; `null` when the program printed none. */
  uid: number | null;
  /** `ss`'s inode: 0 for an orphan (closed by its program, owned by no one). */
  inode?: number;
}

/** An address as `ss` or `lsof` prints it, normalised: no brackets, no zone, no `::ffff:`. */
function address(text: string): string {
  const bare = text.replace(/^\[|\]$/g, "").replace(/%[^%]*$/, "");
  return bare.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1").toLowerCase();
}

/** `addr:port` as printed (`*` for a listener's remote port: 0). */
function endpoint(text: string): Endpoint | undefined {
  const m = /^(.+):(\d+|\*)$/.exec(text);
  if (!m) return undefined;
  return { addr: address(m[1]), port: m[2] === "*" ? 0 : Number(m[2]) };
}

/**
 * The sockets in `ss -tnHe` output (with or without the state column; a listener's remote port
 * is 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSs } from "./peer_owner.ts";
 * const text = [
 *   "ESTAB 0 0 127.0.0.2:43690 127.0.0.1:1455 uid:65534 ino:66773 sk:2 <->",
 *   "FIN-WAIT-2 0 0 127.0.0.1:43692 127.0.0.1:1455 ino:0 sk:3 <->",
 * ].join("\n");
 * assert.deepEqual(parseSs(text), [
 *   { local: { addr: "127.0.0.2", port: 43690 }, remote: { addr: "127.0.0.1", port: 1455 },
 *     uid: 65534, inode: 66773 },
 *   { local: { addr: "127.0.0.1", port: 43692 }, remote: { addr: "127.0.0.1", port: 1455 },
 *     uid: null, inode: 0 },
 * ]);
 * ```
 */
export function parseSs(text: string): SocketRecord[] {
  const sockets: SocketRecord[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    const at = fields.findIndex((f, i) => endpoint(f) && endpoint(fields[i + 1] ?? ""));
    if (at < 0) continue;
    const local = endpoint(fields[at]);
    const remote = endpoint(fields[at + 1]);
    if (!local || !remote) continue;
    const rest = fields.slice(at + 2).join(" ");
    const uid = /\buid:(\d+)/.exec(rest)?.[1];
    const inode = /\bino:(\d+)/.exec(rest)?.[1];
    sockets.push({
      local,
      remote,
      uid: uid === undefined ? null : Number(uid),
      ...(inode === undefined ? {} : { inode: Number(inode) }),
    });
  }
  return sockets;
}

/**
 * The connected sockets in `lsof -nP -F pun` output (a `u` line per process, then an `n` line
 * per file: `local->remote`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLsof } from "./peer_owner.ts";
 * const text = "p42\nu501\nn127.0.0.1:50000->127.0.0.1:1455\nn127.0.0.1:1455->127.0.0.1:50000\n";
 * assert.deepEqual(parseLsof(text)[0], {
 *   local: { addr: "127.0.0.1", port: 50000 }, remote: { addr: "127.0.0.1", port: 1455 }, uid: 501,
 * });
 * ```
 */
export function parseLsof(text: string): SocketRecord[] {
  const sockets: SocketRecord[] = [];
  let uid: number | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("p")) uid = null;
    else if (line.startsWith("u")) uid = /^u(\d+)$/.test(line) ? Number(line.slice(1)) : null;
    else if (line.startsWith("n")) {
      const [from, to] = line.slice(1).split("->");
      const local = endpoint(from ?? "");
      // A listener has no remote end: it is listed with port 0.
      const remote = to === undefined ? { addr: "", port: 0 } : endpoint(to);
      if (local && remote) sockets.push({ local, remote, uid });
    }
  }
  return sockets;
}

const same = (a: Endpoint, b: Endpoint) => a.port === b.port && a.addr === b.addr;

/**
 * The peer of the connection `ours` (our socket: our local end, its remote end) among
 * `sockets`: the live socket whose local end is our remote end and whose remote end is our
 * local end. An orphan (`inode` 0) is never a peer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findPeer } from "./peer_owner.ts";
 * const us = { local: { addr: "127.0.0.1", port: 1455 }, remote: { addr: "127.0.0.2", port: 5 } };
 * const decoy = { local: { addr: "127.0.0.3", port: 5 }, remote: us.local, uid: 0, inode: 9 };
 * const peer = { local: us.remote, remote: us.local, uid: 1000, inode: 7 };
 * assert.equal(findPeer([decoy, peer], us)?.uid, 1000);
 * assert.equal(findPeer([{ ...peer, inode: 0 }], us), undefined);
 * ```
 */
export function findPeer(
  sockets: readonly SocketRecord[],
  ours: { local: Endpoint; remote: Endpoint },
): SocketRecord | undefined {
  return sockets.find((s) =>
    same(s.local, ours.remote) && same(s.remote, ours.local) && s.inode !== 0
  );
}

/** Whether a uid may reach our server: ours, or root (it can read our memory anyway). */
export function trustedUid(uid: number, ownUid: number): boolean {
  return uid === ownUid || uid === 0;
}
