/**
 * A minimal HTTP/1.1 keep-alive load generator for loopback tests and the benchmark:
 * `workers` connections, each sending requests one after another and reading each answer
 * whole (by Content-Length). Bounded by a request count and a deadline; loopback only.
 *
 * @module
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

/** What a load run saw. */
export interface LoadReport {
  /** Requests answered with a complete response. */
  answered: number;
  /** Requests that got no (complete) answer. */
  failed: number;
  /** Count of each status code. */
  statuses: Record<number, number>;
  /** Wall time, ms. */
  elapsedMs: number;
}

function assertLoopback(hostname: string): void {
  if (!["127.0.0.1", "::1"].includes(hostname)) {
    throw new Error(`refusing non-loopback ${hostname}`);
  }
}

async function readResponse(
  conn: Deno.Conn,
  buf: { data: Uint8Array; len: number },
): Promise<number> {
  while (true) {
    const text = dec.decode(buf.data.subarray(0, buf.len));
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const head = text.slice(0, end);
      const status = Number(head.slice(9, 12));
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? "0");
      const total = end + 4 + length;
      if (buf.len >= total) {
        buf.data.copyWithin(0, total, buf.len);
        buf.len -= total;
        return status;
      }
    }
    if (buf.len === buf.data.length) {
      const bigger = new Uint8Array(buf.data.length * 2);
      bigger.set(buf.data);
      buf.data = bigger;
    }
    const n = await conn.read(buf.data.subarray(buf.len));
    if (n === null) throw new Error("connection closed");
    buf.len += n;
  }
}

/**
 * Send `total` requests for paths from `pathFor(i)` over `workers` keep-alive connections.
 * Stops at `deadlineMs` or when `signal` aborts.
 */
export async function runLoad(options: {
  hostname?: string;
  port: number;
  host: string;
  total: number;
  workers: number;
  pathFor?: (i: number) => string;
  deadlineMs?: number;
  signal?: AbortSignal;
}): Promise<LoadReport> {
  const hostname = options.hostname ?? "127.0.0.1";
  assertLoopback(hostname);
  const statuses: Record<number, number> = {};
  let next = 0;
  let answered = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + (options.deadlineMs ?? 30_000);
  const pathFor = options.pathFor ?? ((i) => `/junk/${i}?q=${i % 97}`);
  const worker = async () => {
    let conn: Deno.Conn | undefined;
    const buf = { data: new Uint8Array(16384), len: 0 };
    while (next < options.total && performance.now() < deadline && !options.signal?.aborted) {
      const i = next++;
      try {
        conn ??= await Deno.connect({ hostname, port: options.port });
        await conn.write(enc.encode(`GET ${pathFor(i)} HTTP/1.1\r\nHost: ${options.host}\r\n\r\n`));
        const status = await readResponse(conn, buf);
        statuses[status] = (statuses[status] ?? 0) + 1;
        answered++;
      } catch {
        failed++;
        try {
          conn?.close();
        } catch {
          // closed
        }
        conn = undefined;
        buf.len = 0;
      }
    }
    try {
      conn?.close();
    } catch {
      // closed
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return { answered, failed, statuses, elapsedMs: performance.now() - started };
}

/** Resident set size and its peak (kB) of a process, from /proc (Linux; via `cat`). */
export async function memoryOf(
  pid: number,
): Promise<{ rssKb: number; peakKb: number } | undefined> {
  try {
    const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stderr: "null" })
      .output();
    const text = dec.decode(out.stdout);
    const rss = Number(/VmRSS:\s+(\d+)/.exec(text)?.[1]);
    const peak = Number(/VmHWM:\s+(\d+)/.exec(text)?.[1]);
    return Number.isFinite(rss) ? { rssKb: rss, peakKb: peak } : undefined;
  } catch {
    return undefined;
  }
}
