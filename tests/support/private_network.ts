/**
 * A private network and mount namespace for running the real Codex offline against the fake
 * issuer (`make bench`'s Codex comparison, `make drift`): the process re-runs itself there
 * (`unshare -n -m`, loopback up), with an /etc/hosts bind mount that maps the names Codex signs
 * in at to 127.0.0.1 (the machine's own file is never changed), and the fixed ports 1455/1457
 * free. Needs root; without it, `enterPrivateNetwork` says why.
 *
 * @module
 */

import { makeTestCa } from "./tls.ts";
import { type FakeIssuer, type Scenario, startFakeIssuer } from "./fake_issuer.ts";

/** The names Codex signs in at, mapped to the namespace's loopback. */
export const MAPPED_HOSTS: readonly string[] = [
  "auth.openai.com",
  "api.openai.com",
  "chatgpt.com",
];

/** Set (to "hosts" or "net") in the process that runs inside the namespace. */
const MARK = "CODEX_LOGIN_PRIVATE_NETWORK";

/**
 * Where this process runs: `"hosts"` inside a namespace with the names mapped, `"net"` inside
 * one without the mapping (no private mount namespace could be had), undefined outside.
 */
export function privateNetwork(): "hosts" | "net" | undefined {
  const mark = Deno.env.get(MARK);
  return mark === "hosts" || mark === "net" ? mark : undefined;
}

async function succeeds(args: string[]): Promise<boolean> {
  return await new Deno.Command("unshare", {
    args,
    stdout: "null",
    stderr: "null",
  }).output()
    .then((o) => o.success, () => false);
}

/** Why a private network and mount namespace cannot be had here, or undefined. */
export async function privateNetworkMissing(): Promise<string | undefined> {
  const ok = await succeeds(["-n", "-m", "sh", "-c", "ip link set lo up"]);
  return ok ? undefined : "a private network and mount namespace (unshare -n -m, ip) needs root";
}

/** What running inside the namespace gave: how it ended, and how far the namespace went. */
export interface PrivateRun {
  status: Deno.CommandStatus;
  /** Whether the names were mapped (false: a network namespace only). */
  mapped: boolean;
  /** What it printed on stdout, when captured (its stderr always passes through). */
  stdout?: Uint8Array;
}

/**
 * Run `deno run -A script ...args` inside a private network (and, when it can, mount)
 * namespace. `capture`: collect its stdout instead of passing it through. Undefined
 * when no namespace can be had (not root). `requireHosts`: without the mapping, undefined too.
 */
export async function enterPrivateNetwork(
  script: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    capture?: boolean;
    requireHosts?: boolean;
  } = {},
): Promise<PrivateRun | undefined> {
  const hosts = await Deno.makeTempFile({ prefix: "codex-login-hosts-" });
  try {
    await Deno.writeTextFile(
      hosts,
      `127.0.0.1 localhost ${MAPPED_HOSTS.join(" ")}\n::1 localhost\n`,
    );
    await Deno.chmod(hosts, 0o644);
    const withHosts = await succeeds([
      "-n",
      "-m",
      "sh",
      "-c",
      'mount --bind "$0" /etc/hosts',
      hosts,
    ]);
    if (
      !withHosts && (options.requireHosts || !(await succeeds(["-n", "true"])))
    ) return undefined;
    const start = 'ip link set lo up && exec "$0" run -A "$@"';
    const shell = withHosts ? `mount --bind "$HOSTS_FILE" /etc/hosts && ${start}` : start;
    const child = new Deno.Command("unshare", {
      args: [
        ...(withHosts ? ["-n", "-m"] : ["-n"]),
        "sh",
        "-c",
        shell,
        Deno.execPath(),
        script,
        ...args,
      ],
      env: {
        ...options.env,
        [MARK]: withHosts ? "hosts" : "net",
        HOSTS_FILE: hosts,
      },
      stdin: "null",
      stdout: options.capture ? "piped" : "inherit",
      stderr: "inherit",
    });
    if (options.capture) {
      const out = await child.output();
      return {
        status: { success: out.success, code: out.code, signal: out.signal },
        mapped: withHosts,
        stdout: out.stdout,
      };
    }
    return { status: await child.spawn().status, mapped: withHosts };
  } finally {
    await Deno.remove(hosts).catch(() => {});
  }
}

/** The fake issuer as "https://auth.openai.com" (TLS on :443, its CA for CODEX_CA_CERTIFICATE). */
export interface MappedIssuer extends AsyncDisposable {
  issuer: FakeIssuer;
  /** The throwaway CA's certificate file (what `CODEX_CA_CERTIFICATE` points at). */
  caFile: string;
  /** An HTTP client that trusts the CA (the "browser"). */
  client: Deno.HttpClient;
}

/**
 * Inside the namespace with the names mapped: the fake issuer on 127.0.0.1:443 under a
 * throwaway CA, naming itself `https://auth.openai.com`.
 */
export async function startMappedIssuer(
  scenario: Partial<Scenario> = {},
): Promise<MappedIssuer> {
  const ca = await makeTestCa([...MAPPED_HOSTS]);
  const issuer = startFakeIssuer(scenario, undefined, {
    tls: ca,
    urlHost: "auth.openai.com",
    port: 443,
  });
  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(ca.caFile)],
  });
  return {
    issuer,
    caFile: ca.caFile,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await issuer.close();
      await ca[Symbol.asyncDispose]();
    },
  };
}
