import assert from "node:assert/strict";
import {
  loadCaCerts,
  Network,
  networkFromEnv,
  NetworkRoutes,
  proxyFor,
} from "../../lib/issuer/network.ts";
import { LoginError } from "../../lib/base/errors.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

Deno.test("the environment's network: either case, CODEX_CA_CERTIFICATE before SSL_CERT_FILE", () => {
  const env: Record<string, string> = {
    SSL_CERT_FILE: "/etc/ssl.pem",
    CODEX_CA_CERTIFICATE: "/corp/ca.pem",
    https_proxy: "http://p:3128",
    HTTP_PROXY: "http://q:3128",
    no_proxy: " a.com , .b ,",
  };
  const net = networkFromEnv((name) => env[name]);
  assert.deepEqual(net, {
    ca: { variable: "CODEX_CA_CERTIFICATE", path: "/corp/ca.pem" },
    httpsProxy: "http://p:3128",
    httpProxy: "http://q:3128",
    allProxy: undefined,
    noProxy: ["a.com", ".b"],
  });
  delete env.CODEX_CA_CERTIFICATE;
  assert.deepEqual(networkFromEnv((name) => env[name]).ca, {
    variable: "SSL_CERT_FILE",
    path: "/etc/ssl.pem",
  });
});

Deno.test("proxyFor: the scheme's proxy, else ALL_PROXY; NO_PROXY suffixes, ports and *; loopback never", () => {
  const net = {
    httpsProxy: "http://s:1",
    allProxy: "http://all:1",
    noProxy: ["corp.example", "*.internal", "svc.example:8443"],
  };
  assert.equal(proxyFor("https://auth.openai.com/", net), "http://s:1");
  assert.equal(proxyFor("http://auth.openai.com/", net), "http://all:1");
  assert.equal(proxyFor("https://x.corp.example/", net), undefined);
  assert.equal(proxyFor("https://corp.example/", net), undefined);
  assert.equal(proxyFor("https://notcorp.example/", net), "http://s:1");
  assert.equal(proxyFor("https://a.internal/", net), undefined);
  assert.equal(proxyFor("https://svc.example:8443/", net), undefined);
  assert.equal(proxyFor("https://svc.example/", net), "http://s:1", "another port");
  assert.equal(proxyFor("http://localhost:1455/", net), undefined);
  assert.equal(proxyFor("https://anything/", { ...net, noProxy: ["*"] }), undefined);
});

Deno.test("NO_PROXY reads IPv6 literals (with or without brackets) and CIDR ranges as curl", () => {
  const net = {
    httpsProxy: "http://proxy:3128",
    noProxy: ["192.168.0.0/16", "fd12::/16", "[2001:db8::7]", "2001:db8::8", "10.1.2.3"],
  };
  const direct = [
    "https://192.168.44.1/x",
    "https://[fd12:3456::1]/x",
    "https://[2001:db8::7]/x",
    "https://[2001:db8::8]:8443/x",
    "https://10.1.2.3/x",
  ];
  for (const url of direct) assert.equal(proxyFor(url, net), undefined, url);
  const proxied = ["https://192.169.0.1/x", "https://[fd13::1]/x", "https://10.1.2.4/x"];
  for (const url of proxied) assert.equal(proxyFor(url, net), "http://proxy:3128", url);
  assert.equal(
    proxyFor("https://auth.openai.com/x", { ...net, noProxy: ["::1"] }),
    "http://proxy:3128",
  );
});

Deno.test("the CA bundle: read and checked, with a clear error naming the variable and file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.pem`, `junk\n${PEM}\n${PEM}\n`);
    const ca = { variable: "SSL_CERT_FILE", path: `${dir}/ca.pem` };
    assert.deepEqual(await loadCaCerts({ ca, noProxy: [] }), [PEM, PEM]);
    assert.equal(await loadCaCerts({ noProxy: [] }), undefined, "none named: none read");
    const missing = await loadCaCerts({
      ca: { variable: "CODEX_CA_CERTIFICATE", path: `${dir}/missing.pem` },
      noProxy: [],
    }).catch((e) => e);
    assert.ok(missing instanceof LoginError && missing.kind === "network_config");
    assert.equal(missing.exitCode, 2);
    assert.equal(
      missing.message,
      `CODEX_CA_CERTIFICATE=${dir}/missing.pem cannot be read (no such file). Point CODEX_CA_CERTIFICATE at a PEM bundle of your CA certificates, or unset it.`,
    );
    await Deno.writeTextFile(`${dir}/junk.pem`, "not a certificate");
    await assert.rejects(
      loadCaCerts({ ca: { variable: "SSL_CERT_FILE", path: `${dir}/junk.pem` }, noProxy: [] }),
      /SSL_CERT_FILE=.*junk\.pem holds no PEM certificate/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run's network reads its CA bundle once, whoever asks first; loadCaCerts itself reads each time", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/ca.pem`;
    await Deno.writeTextFile(path, PEM);
    const env = { ca: { variable: "SSL_CERT_FILE", path }, noProxy: [] };
    const net = new Network(env);
    assert.equal(net.direct, false);
    assert.deepEqual(await net.caCerts(), [PEM]);
    await Deno.writeTextFile(path, "changed: no certificate");
    assert.deepEqual(await net.caCerts(), [PEM], "read once per run");
    await assert.rejects(loadCaCerts(env), /holds no PEM certificate/, "no cache of its own");
    assert.equal(new Network({ noProxy: [] }).direct, true);
    assert.equal(new Network({ httpsProxy: "http://p:1", noProxy: [] }).direct, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("routes: one client per route, loopback straight to its socket, the proxy named", () => {
  const routes = new NetworkRoutes(
    { httpsProxy: "http://127.0.0.1:3128", noProxy: [] },
    undefined,
    1000,
  );
  try {
    assert.equal(routes.proxy("https://auth.openai.com/x"), "http://127.0.0.1:3128");
    assert.equal(routes.proxy("http://127.0.0.1:1455/x"), undefined);
    const a = routes.client("https://auth.openai.com/x");
    assert.equal(routes.client("https://api.openai.com/y"), a, "one client for the proxy route");
    assert.notEqual(routes.client("http://127.0.0.1:1455/x"), a, "loopback has its own");
    assert.equal(routes.ca, undefined);
  } finally {
    routes.close();
  }
});
