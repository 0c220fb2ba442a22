/**
 * The network a company puts us on: its own certificate authority (`CODEX_CA_CERTIFICATE`,
 * else `SSL_CERT_FILE`, PEM bundles trusted in addition to the system roots, as Codex) and its
 * proxy (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, either case). Loopback is never
 * proxied. {@linkcode NetworkRoutes} turns these into one `Deno.HttpClient` per route.
 *
 * @module
 */

import { errorText, LoginError } from "../base/errors.ts";
import { GRANT_RULES } from "../base/grant_rules.ts";
import { isLoopbackUrl } from "./issuer_config.ts";
import { grantFlag, readEnv } from "../base/permissions.ts";
import { readRegularText, UnreadableFile } from "../base/regular_file.ts";

/** The environment variables read, in the order they are looked at (from the grant rules). */
export const NETWORK_ENV: readonly string[] = [
  ...GRANT_RULES.caVars,
  ...GRANT_RULES.proxyVars,
  ...GRANT_RULES.noProxyVars,
];

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
  /** `NO_PROXY` entries (host suffixes, `*`, IP addresses and CIDR ranges, optional ports). */
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

/** An IP address as bytes (4 or 16), or `undefined` for anything else. */
function ipBytes(text: string): number[] | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    return parts.every((n) => n <= 255) ? parts : undefined;
  }
  if (!text.includes(":")) return undefined;
  let hex: string;
  try {
    hex = new URL(`http://[${text}]/`).hostname.slice(1, -1); // normalised, IPv4 tail as hex
  } catch {
    return undefined;
  }
  const [head, tail] = hex.split("::");
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = tail === undefined
    ? groups(head)
    : [...groups(head), ...Array(missing).fill("0"), ...groups(tail)];
  return all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

/** Whether `ip` lies in `network`/`bits` (both the same family). */
function inNetwork(ip: number[], network: number[], bits: number): boolean {
  for (let i = 0; i < ip.length; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    const mask = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
    if ((ip[i] & mask) !== (network[i] & mask)) return false;
  }
  return true;
}

/** One `NO_PROXY` entry split into host (or address, or CIDR) and optional port. */
function noProxyEntry(raw: string): { name: string; port?: string } {
  const entry = raw.toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1], port: bracketed[2] };
  const colons = entry.split(":").length - 1;
  const withPort = colons === 1 ? /^(.*):(\d+)$/.exec(entry) : null; // IPv6 has several
  return withPort ? { name: withPort[1], port: withPort[2] } : { name: entry };
}

/**
 * Whether `NO_PROXY` sends `url` direct, as curl reads it: `*` matches everything; a host
 * name matches itself and its subdomains (a leading `.` or `*.` is ignored); an IP address
 * (IPv6 with or without brackets) matches that address, or a range in CIDR notation
 * (`10.0.0.0/8`, `fd00::/8`). A `:port` suffix limits an entry to that port.
 */
function bypassed(url: URL, noProxy: string[]): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const hostIp = ipBytes(host);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return noProxy.some((raw) => {
    if (raw === "*") return true;
    const { name, port: entryPort } = noProxyEntry(raw);
    if (entryPort && entryPort !== port) return false;
    const [address, bitsText] = name.split("/");
    const entryIp = ipBytes(address);
    if (hostIp || entryIp) {
      if (!hostIp || !entryIp || hostIp.length !== entryIp.length) return false;
      const bits = bitsText === undefined ? hostIp.length * 8 : Number(bitsText);
      return Number.isInteger(bits) && bits >= 0 && inNetwork(hostIp, entryIp, bits);
    }
    const suffix = name.replace(/^\*?\./, "");
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
 * const ranges = { httpsProxy: "http://p:3128", noProxy: ["10.0.0.0/8", "fd00::1", "2001:db8::/32"] };
 * assert.equal(proxyFor("https://10.2.3.4/x", ranges), undefined);
 * assert.equal(proxyFor("https://11.2.3.4/x", ranges), "http://p:3128");
 * assert.equal(proxyFor("https://[fd00::1]/x", ranges), undefined);
 * assert.equal(proxyFor("https://[2001:db8:1::5]/x", ranges), undefined);
 * assert.equal(proxyFor("https://[2001:db9::5]/x", ranges), "http://p:3128");
 * ```
 */
export function proxyFor(url: string, net: NetworkEnv): string | undefined {
  const parsed = new URL(url);
  if (isLoopbackUrl(url) || bypassed(parsed, net.noProxy)) return undefined;
  const specific = parsed.protocol === "https:" ? net.httpsProxy : net.httpProxy;
  return specific ?? net.allProxy;
}

/** Read and check the CA bundle named by the environment; `undefined` when none is named. */
export async function loadCaCerts(net: NetworkEnv): Promise<string[] | undefined> {
  if (!net.ca) return undefined;
  const { variable, path } = net.ca;
  let text: string;
  try {
    text = await readRegularText(path, 16 * 1024 * 1024);
  } catch (err) {
    if (err instanceof UnreadableFile) throw caError(variable, path, err.message);
    const why = err instanceof Deno.errors.NotCapable
      ? `read access is not granted: run with ${grantFlag({ name: "read", path })}`
      : err instanceof Deno.errors.NotFound
      ? "no such file"
      : errorText(err);
    throw caError(variable, path, `cannot be read (${why})`);
  }
  const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!certs) throw caError(variable, path, "holds no PEM certificate");
  return certs;
}

function caError(variable: string, path: string, problem: string): LoginError {
  return new LoginError("network_config", {
    what: `${variable}=${path} ${problem}.`,
    next: `Point ${variable} at a PEM bundle of your CA certificates, or unset it.`,
  });
}

/**
 * The network of one run: what the environment says, and the CA bundle it names, read (and
 * checked) at most once, whoever asks first (the check before a sign-in, or the first request).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network } from "./network.ts";
 * const net = new Network({ noProxy: [] });
 * assert.equal(net.direct, true);
 * assert.equal(await net.caCerts(), undefined);
 * ```
 */
export class Network {
  /** What the environment says. */
  readonly env: NetworkEnv;
  #certs?: Promise<string[] | undefined>;

  /** The network `env` describes. */
  constructor(env: NetworkEnv) {
    this.env = env;
  }

  /** The network this process's environment describes (variables not granted: unset). */
  static fromEnv(): Network {
    return new Network(networkFromEnv());
  }

  /** No CA bundle and no proxy: plain fetch will do. */
  get direct(): boolean {
    const { ca, httpsProxy, httpProxy, allProxy } = this.env;
    return !ca && !httpsProxy && !httpProxy && !allProxy;
  }

  /** The CA bundle's certificates, read once; throws a `network_config` error when unusable. */
  caCerts(): Promise<string[] | undefined> {
    this.#certs ??= loadCaCerts(this.env);
    return this.#certs;
  }
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
