/**
 * A local HTTP CONNECT proxy for the proxy tests. It resolves host names from its own table
 * (so a name only it knows proves the request really went through it), records every
 * CONNECT, and can refuse with 407. Loopback only.
 *
 * @module
 */

/** A running proxy. */
export interface ConnectProxy extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Every `CONNECT host:port` received. */
  connects: string[];
}

const enc = new TextEncoder();

/** Start a proxy mapping `hosts` (name → loopback port); `refuse` answers 407 to all. */
export function startConnectProxy(
  hosts: Record<string, number>,
  options: { refuse?: boolean } = {},
): ConnectProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connects: string[] = [];
  const open = new Set<Deno.Conn>();
  const serve = async (client: Deno.Conn) => {
    open.add(client);
    try {
      const buf = new Uint8Array(8192);
      let head = "";
      while (!head.includes("\r\n\r\n")) {
        const n = await client.read(buf);
        if (n === null) return;
        head += new TextDecoder().decode(buf.subarray(0, n));
      }
      const [method, target] = head.split(" ");
      connects.push(`${method} ${target}`);
      const [host, port] = target.split(":");
      if (options.refuse || method !== "CONNECT") {
        await client.write(enc.encode(
          "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n",
        ));
        return;
      }
      const mapped = hosts[host] ?? (host === "127.0.0.1" ? Number(port) : undefined);
      if (mapped === undefined) {
        await client.write(enc.encode("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"));
        return;
      }
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: mapped });
      open.add(upstream);
      await client.write(enc.encode("HTTP/1.1 200 Connection established\r\n\r\n"));
      await Promise.all([
        client.readable.pipeTo(upstream.writable).catch(() => {}),
        upstream.readable.pipeTo(client.writable).catch(() => {}),
      ]);
    } catch {
      // a side closed
    } finally {
      for (const c of [client]) {
        try {
          c.close();
        } catch {
          // closed by the pipe
        }
        open.delete(c);
      }
    }
  };
  const loop = (async () => {
    for await (const conn of listener) void serve(conn);
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    connects,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch {
          // closed already
        }
      }
      await loop;
    },
  };
}
