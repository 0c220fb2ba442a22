/**
 * The network a company puts us on: its own certificate authority (`CODEX_CA_CERTIFICATE`,
 * else `SSL_CERT_FILE`, PEM bundles trusted in addition to the system roots, as Codex) and its
 * proxy (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, either case). Loopback is never
 * proxied. {@linkcode NetworkRoutes} turns these into one `Deno.HttpClient` per route.
 *
 * @module
 */

import { ExitCode, LoginError } from "../base/errors.ts";
import { isLoopbackUrl } from "./issuer_config.ts";
import { grantFlag, readEnv } from "../base/permissions.ts";

/** The environment variables read, in the order they are looked at. */
export const NETWORK_ENV = [
  "CODEX_CA_CERTIFICATE",
  "SSL_CERT_FILE",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "ALL_PROXY",
  "all_proxy",
  "NO_PROXY",
  "no_proxy",
] as const;

/** What the environment says about the network. */
export interface NetworkEnv {
  /** The CA bundle and the variable that named it. */
  ca?: { variable: string; path: string };
  /** Proxy for https URLs. */
  httpsProxy?: string;
  /** Proxy for http URLs. */
  httpProxy?: string;
  /** Proxy for both when the specific one is unset. */
  allProxy?: string;
  /** `NO_PROXY` entries (host suffixes, `*`, optional ports). */
  noProxy: string[];
}

/**
 * Read the network settings from the environment (variables not granted count as unset).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { networkFromEnv } from "./network.ts";
 * const env: Record<string, string> = { https_proxy: "http://proxy:3128", NO_PROXY: "a.com, .b" };
 * const net = networkFromEnv((name) => env[name]);
 * assert.equal(net.httpsProxy, "http://proxy:3128");
 * assert.deepEqual(net.noProxy, ["a.com", ".b"]);
 * ```
 */
export function networkFromEnv(
  read: (name: string) => string | undefined = (name) => readEnv(name),
): NetworkEnv {
  const either = (name: string) => read(name) ?? read(name.toLowerCase());
  const caVar = read("CODEX_CA_CERTIFICATE") ? "CODEX_CA_CERTIFICATE" : "SSL_CERT_FILE";
  const caPath = read(caVar);
  return {
    ca: caPath ? { variable: caVar, path: caPath } : undefined,
    httpsProxy: either("HTTPS_PROXY"),
    httpProxy: either("HTTP_PROXY"),
    allProxy: either("ALL_PROXY"),
    noProxy: (either("NO_PROXY") ?? "").split(",").map((s) => s.trim()).filter((s) => s),
  };
}

function bypassed(url: URL, noProxy: string[]): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return noProxy.some((raw) => {
    if (raw === "*") return true;
    const [entry, entryPort] = raw.toLowerCase().replace(/^\[|\]$/g, "").split(/:(?=\d+$)/);
    if (entryPort && entryPort !== port) return false;
    const suffix = entry.replace(/^\*?\./, "");
    return host === suffix || host.endsWith(`.${suffix}`);
  });
}

/**
 * The proxy a URL goes through, or `undefined` for a direct connection (loopback always).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { proxyFor } from "./network.ts";
 * const net = { httpsProxy: "http://p:3128", noProxy: ["corp.example"] };
 * assert.equal(proxyFor("https://auth.openai.com/x", net), "http://p:3128");
 * assert.equal(proxyFor("https://sso.corp.example/x", net), undefined);
 * assert.equal(proxyFor("http://127.0.0.1:1455/x", net), undefined);
 * ```
 */
export function proxyFor(url: string, net: NetworkEnv): string | undefined {
  const parsed = new URL(url);
  if (isLoopbackUrl(url) || bypassed(parsed, net.noProxy)) return undefined;
  const specific = parsed.protocol === "https:" ? net.httpsProxy : net.httpProxy;
  return specific ?? net.allProxy;
}

/** Read and check the CA bundle named by the environment. */
export async function loadCaCerts(net: NetworkEnv): Promise<string[] | undefined> {
  if (!net.ca) return undefined;
  const { variable, path } = net.ca;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotCapable
      ? `read access is not granted: run with ${grantFlag({ name: "read", path })}`
      : err instanceof Deno.errors.NotFound
      ? "no such file"
      : err instanceof Error
      ? err.message.replace(/\s*\(os error \d+\)/, "")
      : String(err);
    throw caError(variable, path, `cannot be read (${why})`);
  }
  const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!certs) throw caError(variable, path, "holds no PEM certificate");
  return certs;
}

function caError(variable: string, path: string, problem: string): LoginError {
  return new LoginError(
    "network_config",
    `${variable}=${path} ${problem}. Point ${variable} at a PEM bundle of your CA certificates, or unset it.`,
    { exitCode: ExitCode.Usage },
  );
}

/**
 * One pooled `Deno.HttpClient` per route (direct, or through each proxy), all trusting the
 * extra CA certificates. Loopback requests are sent straight to their socket, so that an
 * environment proxy (which Deno would otherwise apply) never sees them.
 */
export class NetworkRoutes {
  readonly #net: NetworkEnv;
  readonly #caCerts?: string[];
  readonly #clients = new Map<string, Deno.HttpClient>();
  readonly #idleMs: number;

  /** Routes for `net`, trusting `caCerts` too; idle connections kept `idleMs`. */
  constructor(net: NetworkEnv, caCerts: string[] | undefined, idleMs: number) {
    this.#net = net;
    this.#caCerts = caCerts;
    this.#idleMs = idleMs;
  }

  /** The proxy `url` goes through, if any. */
  proxy(url: string): string | undefined {
    return proxyFor(url, this.#net);
  }

  /** The CA bundle in use, for messages. */
  get ca(): NetworkEnv["ca"] {
    return this.#net.ca;
  }

  /** The client for `url`. */
  client(url: string): Deno.HttpClient {
    const target = new URL(url);
    const proxy = this.proxy(url);
    // Plain-http loopback goes straight to its socket (Deno would apply an environment
    // proxy otherwise); that transport carries no TLS, so https loopback goes direct.
    const loopback = isLoopbackUrl(url) && target.protocol === "http:";
    const key = loopback ? `tcp:${target.host}` : proxy ? `proxy:${proxy}` : "direct";
    let client = this.#clients.get(key);
    if (!client) {
      const port = Number(target.port || (target.protocol === "https:" ? 443 : 80));
      client = Deno.createHttpClient({
        caCerts: this.#caCerts,
        poolIdleTimeout: this.#idleMs,
        proxy: loopback
          ? { transport: "tcp", hostname: target.hostname.replace(/^\[|\]$/g, ""), port }
          : proxy
          ? { url: proxy }
          : undefined,
      });
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Close every client. */
  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
