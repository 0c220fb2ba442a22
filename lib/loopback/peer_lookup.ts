/**
 * The peer check of the loopback server: for each accepted connection, who owns the socket on
 * the other end (`peer_owner.ts`), with `ss` where it is, else `lsof`; and the admission that
 * closes another user's connection before it reaches a route. Lookups are batched (one run
 * answers every connection waiting when it starts) and never cached past that run; a run that
 * fails is tried again before that connection is refused.
 *
 * @module
 */

import { flowEvent, type Report } from "../base/events.ts";
import type { Admit } from "./http_server.ts";
import {
  type Endpoint,
  findPeer,
  parseLsof,
  parseSs,
  type PeerTool,
  runTool,
  type SocketRecord,
  type ToolRunner,
  trustedUid,
} from "./peer_owner.ts";

/** What the lookup says of one connection's peer (or of a listener). */
export type PeerAnswer =
  /** The socket, and its owner. */
  | { kind: "found"; uid: number; tool: PeerTool }
  /** No live socket of this machine matches (with `lsof`: none of the person's own). */
  | { kind: "not_found"; tool: PeerTool }
  /** The program failed, tries included. */
  | { kind: "failed"; tool: PeerTool; why: string }
  /** Nothing can tell here: neither program installed, or not granted. */
  | { kind: "off"; why: "missing" | "not_granted" };

/** How the lookup runs (tests replace the runner and the waits). */
export interface LookupOptions {
  /** The operating system: which programs to try (Linux: `ss`, then `lsof`; macOS: `lsof`). */
  os?: string;
  /** Runs the program. Default: {@linkcode runTool}. */
  run?: ToolRunner;
  /** How many times a failed run is tried again (default 2), and the wait before each, ms. */
  retries?: number;
  /** The wait before the first retry, ms (doubled for each next one). Default 50. */
  backoffMs?: number;
}

/** The programs to try on `os`, in order. */
function toolsFor(os: string): PeerTool[] {
  if (os === "linux") return ["ss", "lsof"];
  if (os === "darwin") return ["lsof"];
  return [];
}

function argsFor(tool: PeerTool, port: number, listener: boolean): string[] {
  if (tool === "ss") {
    return [listener ? "-tlnHe" : "-tnHe", `( ${listener ? "s" : "d"}port = :${port} )`];
  }
  const state = listener ? "-sTCP:LISTEN" : "-sTCP:ESTABLISHED";
  return ["-nP", "-w", `-iTCP@127.0.0.1:${port}`, state, "-F", "pun"];
}

interface Waiting {
  ours: { local: Endpoint; remote: Endpoint };
  resolve: (answer: PeerAnswer) => void;
}

/** Who owns the peers of the connections to one server port. */
export class PeerLookup {
  readonly #port: number;
  readonly #run: ToolRunner;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #candidates: PeerTool[];
  /** The candidate tried first now (those before it are missing or not granted). */
  #next = 0;
  #offWhy: "missing" | "not_granted" = "missing";
  #waiting: Waiting[] = [];
  #running = false;

  /** A lookup for connections to our server on `port`. */
  constructor(port: number, options: LookupOptions = {}) {
    this.#port = port;
    this.#run = options.run ?? runTool;
    this.#retries = options.retries ?? 2;
    this.#backoffMs = options.backoffMs ?? 50;
    this.#candidates = toolsFor(options.os ?? Deno.build.os);
  }

  /**
   * The sockets, from the first program that runs here (one missing or not granted is skipped
   * for good); a run that fails is tried again. Or why there is no answer.
   */
  async #list(listener: boolean): Promise<Listing> {
    while (this.#next < this.#candidates.length) {
      const tool = this.#candidates[this.#next];
      let why = "";
      for (let attempt = 0; attempt <= this.#retries; attempt++) {
        if (attempt > 0) await sleep(this.#backoffMs * 2 ** (attempt - 1));
        const out = await this.#run(tool, argsFor(tool, this.#port, listener));
        if (out.kind === "output") {
          return { tool, sockets: tool === "ss" ? parseSs(out.text) : parseLsof(out.text) };
        }
        if (out.kind !== "failed") {
          if (out.kind === "not_granted") this.#offWhy = "not_granted";
          why = "";
          break;
        }
        why = out.why;
      }
      if (why) return { tool, failed: why };
      this.#next++;
    }
    return { off: this.#offWhy };
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting;
        this.#waiting = [];
        const listing = await this.#list(false);
        for (const w of batch) w.resolve(answer(listing, (s) => findPeer(s, w.ours)));
      }
    } finally {
      this.#running = false;
    }
  }

  /**
   * Who owns the peer of the connection whose ends are `local` (our server) and `remote`.
   * The run that answers starts after this call, so it sees the connection.
   */
  peerOf(local: Endpoint, remote: Endpoint): Promise<PeerAnswer> {
    return new Promise((resolve) => {
      this.#waiting.push({ ours: { local, remote }, resolve });
      if (!this.#running) void this.#drain();
    });
  }

  /** Who listens on 127.0.0.1 at our port (before we bind it). */
  async listenerOf(): Promise<PeerAnswer> {
    const listing = await this.#list(true);
    return answer(
      listing,
      (all) => all.find((s) => s.local.port === this.#port && s.remote.port === 0 && s.inode !== 0),
    );
  }
}

/** What one run gave: the sockets listed by a tool, its failure, or no tool at all. */
type Listing =
  | { tool: PeerTool; sockets: SocketRecord[] }
  | { tool: PeerTool; failed: string }
  | { off: "missing" | "not_granted" };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function answer(
  listing: Listing,
  pick: (sockets: SocketRecord[]) => SocketRecord | undefined,
): PeerAnswer {
  if ("off" in listing) return { kind: "off", why: listing.off };
  const tool = listing.tool;
  if ("failed" in listing) return { kind: "failed", tool, why: listing.failed };
  const found = pick(listing.sockets);
  if (!found) return { kind: "not_found", tool };
  // ss prints no uid for root's live sockets; lsof names every owner.
  return { kind: "found", tool, uid: found.uid ?? 0 };
}

/** What the admission needs besides the lookup. */
export interface Admission {
  /** Our uid; `null`: unknown, nobody is checked. */
  ownUid: number | null;
  /** Where refusals and an unavailable check are said (once each). */
  report: Report;
  /** Where every admitted and refused connection is recorded (the login log). */
  record: (facts: Record<string, string | number | boolean>) => void;
}

/**
 * What a refusal says on the terminal; empty for one not worth saying: ss sees every live
 * socket, so a peer it cannot find has already closed its end (a probe, a browser's spare
 * connection), and nobody is left to answer.
 */
function refusalText(answer: PeerAnswer, remote: Endpoint): string {
  const from = `${remote.addr}:${remote.port}`;
  switch (answer.kind) {
    case "found":
      return `Warning: another user on this machine (uid ${answer.uid}) connected to the sign-in server; the connection was closed.`;
    case "not_found":
      return answer.tool === "lsof"
        ? `Warning: a connection to the sign-in server from ${from} came from no program of yours (another user's, or one run as root such as a port forwarder, which lsof cannot see); it was closed.`
        : "";
    case "failed":
      return `Warning: could not check who connected to the sign-in server (${answer.why}); the connection was closed. If it was your browser, load the page again.`;
    case "off":
      return "";
  }
}

/**
 * The `admit` check of a server: another (non-root) user's connection is closed at accept,
 * and so is one whose owner cannot be established; everything is admitted only where no
 * lookup is possible at all (said once). Every verdict is recorded.
 */
export function admitPeers(lookup: PeerLookup, admission: Admission): Admit | undefined {
  const ownUid = admission.ownUid;
  if (ownUid === null) return undefined;
  const said = new Set<string>();
  const once = (key: string, kind: "warning" | "note", code: string, text: string) => {
    if (!said.has(key)) admission.report(flowEvent(kind, code, text));
    said.add(key);
  };
  return async (local, remote) => {
    const peer = { addr: remote.hostname, port: remote.port };
    const answer = await lookup.peerOf({ addr: local.hostname, port: local.port }, peer);
    const from = `${remote.hostname}:${remote.port}`;
    const uid = answer.kind === "found" ? answer.uid : undefined;
    if (answer.kind === "off") {
      admission.record({ from, verdict: "admitted_unchecked", why: answer.why });
      once(
        "off",
        "note",
        "peer.unchecked",
        `Note: cannot tell which user connects to the sign-in server here (${
          answer.why === "missing"
            ? "neither ss nor lsof is installed: install iproute2 or lsof"
            : "neither ss nor lsof could be run: install iproute2 or lsof, or with deno run grant --allow-run=ss,lsof"
        }); other users on this machine are not turned away.`,
      );
      return true;
    }
    const admitted = uid !== undefined && trustedUid(uid, ownUid);
    admission.record({
      from,
      verdict: admitted ? "admitted" : "refused",
      owner: answer.kind,
      uid: uid ?? "unknown",
      tool: answer.tool,
    });
    if (admitted) return true;
    const text = refusalText(answer, peer);
    if (text) once(`${answer.kind} ${uid ?? ""}`, "warning", `peer.${answer.kind}`, text);
    return false;
  };
}
