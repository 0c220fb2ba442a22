/**
 * Raw HTTP/1.1 on a socket, for the loopback server's tests: exactly the bytes a test chooses,
 * and everything the server sends back until it closes the connection.
 *
 * @module
 */

/** Send raw bytes on a new connection and read until the server closes it (or `ms`). */
export async function raw(port: number, request: string, ms = 3000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(request));
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
  } catch {
    // closed by the timer
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed
    }
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

/** The status code of a raw answer. */
export const status = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
