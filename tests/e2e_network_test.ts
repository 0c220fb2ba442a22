/**
 * Enterprise networks, through the CLI: a company CA (`CODEX_CA_CERTIFICATE`, `SSL_CERT_FILE`),
 * an HTTPS proxy that alone can resolve the issuer's name, a proxy that refuses, and loopback
 * never proxied. TLS uses a throwaway CA made with openssl; everything stays on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { readAuthFile, saveAuthFile } from "../lib/store/file_store.ts";
import { startConnectProxy } from "./support/connect_proxy.ts";
import { startFakeIssuer } from "./support/fake_issuer.ts";
import { browse, tempHome } from "./support/helpers.ts";
import { loginArgs, ON, spawnCli } from "./support/cli_process.ts";
import { makeTestCa, opensslMissing } from "./support/tls.ts";

const missing = await opensslMissing();
if (missing) console.error(`SKIPPED TLS and proxy tests: ${missing}`);

/** Sign in through the CLI with `env`; the browser is the test, reaching the issuer itself. */
async function signIn(issuerUrl: string, home: string, env: Record<string, string>) {
  await using cli = spawnCli(loginArgs(issuerUrl, home), { env });
  const url = await cli.waitFor(/\/oauth\/authorize\?/);
  return { cli: await finish(cli, url) };
}

async function finish(cli: ReturnType<typeof spawnCli>, url: string) {
  const authorize = await fetch(
    url.replace("//issuer.test:", "//127.0.0.1:").replace("//localhost:", "//127.0.0.1:"),
    {
      redirect: "manual",
      client: testClient,
    },
  );
  await authorize.body?.cancel();
  const pages = await browse(authorize.headers.get("location")!);
  return { ...await cli.done(), pages };
}

let testClient: Deno.HttpClient;

/** A fake issuer over TLS at https://`urlHost`, its CA trusted by the test's own requests. */
async function tlsIssuer(urlHost: string) {
  const ca = await makeTestCa();
  testClient = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca.caFile)] });
  const issuer = startFakeIssuer({}, undefined, { tls: ca, urlHost });
  return {
    ca,
    issuer,
    async [Symbol.asyncDispose]() {
      testClient.close();
      await issuer[Symbol.asyncDispose]();
      await ca[Symbol.asyncDispose]();
    },
  };
}

Deno.test({
  name: ON +
    "CA: a company CA in CODEX_CA_CERTIFICATE is trusted; without it, a certificate error naming both variables",
  ignore: missing !== undefined,
  async fn() {
    await using tls = await tlsIssuer("localhost");
    const { ca, issuer } = tls;
    await using h = await tempHome();
    const ok = await signIn(issuer.url, h.home.path, { CODEX_CA_CERTIFICATE: ca.caFile });
    assert.equal(ok.cli.code, 0, ok.cli.stderr);
    assert.ok(await readAuthFile(h.home));
    await using h2 = await tempHome();
    const viaSsl = await signIn(issuer.url, h2.home.path, { SSL_CERT_FILE: ca.caFile });
    assert.equal(viaSsl.cli.code, 0, viaSsl.cli.stderr);
    await using h3 = await tempHome();
    const bad = await signIn(issuer.url, h3.home.path, {});
    assert.equal(bad.cli.code, 1);
    assert.match(bad.cli.stderr, /certificate problem.*CODEX_CA_CERTIFICATE \(or SSL_CERT_FILE\)/);
    assert.equal(await readAuthFile(h3.home), undefined);
  },
});

Deno.test({
  name: ON + "CA: an unreadable or non-PEM bundle is a clear error naming the variable and file",
  ignore: missing !== undefined,
  async fn() {
    await using issuer = startFakeIssuer();
    await using h = await tempHome();
    await using gone = spawnCli(loginArgs(issuer.url, h.home.path), {
      env: { CODEX_CA_CERTIFICATE: `${h.dir}/missing.pem` },
    });
    const a = await gone.done();
    assert.equal(a.code, 2);
    assert.match(
      a.stderr,
      new RegExp(`CODEX_CA_CERTIFICATE=${h.dir}/missing\\.pem cannot be read \\(no such file\\)`),
    );
    await Deno.writeTextFile(`${h.dir}/junk.pem`, "not a certificate");
    await using junk = spawnCli(loginArgs(issuer.url, h.home.path), {
      env: { SSL_CERT_FILE: `${h.dir}/junk.pem` },
    });
    const b = await junk.done();
    assert.equal(b.code, 2);
    assert.match(b.stderr, /SSL_CERT_FILE=.*junk\.pem holds no PEM certificate/);
    assert.equal(issuer.requests.length, 0, "refused before anything opened");
    // `token` with a valid token makes no request, so it neither reads nor needs the bundle.
    const auth = issuer.signedInAuth();
    await saveAuthFile(h.home, auth);
    await using token = spawnCli(["token", "--issuer", issuer.url, "--codex-home", h.home.path], {
      env: { SSL_CERT_FILE: `${h.dir}/junk.pem` },
    });
    const c = await token.done();
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, `${auth.tokens.access_token}\n`);
  },
});

Deno.test({
  name: ON +
    "proxy: HTTPS_PROXY carries every issuer request; the issuer's name resolves only there",
  ignore: missing !== undefined,
  async fn() {
    await using tls = await tlsIssuer("issuer.test");
    const { ca, issuer } = tls;
    await using proxy = startConnectProxy({ "issuer.test": issuer.port });
    await using h = await tempHome();
    const env = { CODEX_CA_CERTIFICATE: ca.caFile, https_proxy: proxy.url };
    const { cli } = await signIn(issuer.url, h.home.path, env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(proxy.connects.includes(`CONNECT issuer.test:${issuer.port}`), proxy.connects.join());
    assert.ok(issuer.tokenRequests("authorization_code").length === 1);
    await using h2 = await tempHome();
    const direct = await signIn(issuer.url, h2.home.path, { ...env, NO_PROXY: "issuer.test" });
    assert.equal(direct.cli.code, 1, "NO_PROXY: direct, and the name does not resolve");
    // One clean sentence (what failed, the likely cause), then where the details are.
    assert.match(
      direct.cli.stderr,
      /could not find issuer\.test \(its name did not resolve: no network, or a DNS problem\)/,
    );
    assert.doesNotMatch(direct.cli.stderr, /client error|dns error|…/);
    assert.match(direct.cli.stderr, /^Details: .*codex-login\.log$/m);
  },
});

Deno.test({
  name: ON + "proxy: a refusing proxy (407) is named in the error; loopback is never proxied",
  ignore: missing !== undefined,
  async fn() {
    await using tls = await tlsIssuer("issuer.test");
    const { ca, issuer } = tls;
    await using proxy = startConnectProxy({ "issuer.test": issuer.port }, { refuse: true });
    await using h = await tempHome();
    const refused = await signIn(issuer.url, h.home.path, {
      CODEX_CA_CERTIFICATE: ca.caFile,
      HTTPS_PROXY: proxy.url,
    });
    assert.equal(refused.cli.code, 1);
    assert.match(
      refused.cli.stderr,
      new RegExp(`through the proxy ${proxy.url.replaceAll(".", "\\.")}`),
    );
    // A plain loopback issuer with dead proxies configured: never proxied.
    await using local = startFakeIssuer();
    await using h2 = await tempHome();
    await using cli = spawnCli(loginArgs(local.url, h2.home.path), {
      env: {
        HTTPS_PROXY: "http://127.0.0.1:1",
        HTTP_PROXY: "http://127.0.0.1:1",
        ALL_PROXY: "http://127.0.0.1:1",
      },
    });
    await browse(await cli.waitFor(/\/oauth\/authorize\?/));
    const done = await cli.done();
    assert.equal(done.code, 0, done.stderr);
  },
});

Deno.test({
  name: ON + "proxy: a password in the proxy URL is never shown (terminal, login log, page)",
  ignore: missing !== undefined,
  async fn() {
    await using tls = await tlsIssuer("issuer.test");
    const { ca, issuer } = tls;
    await using proxy = startConnectProxy({ "issuer.test": issuer.port }, { refuse: true });
    await using h = await tempHome();
    const password = "s3cret-Pa55word";
    const refused = await signIn(issuer.url, h.home.path, {
      CODEX_CA_CERTIFICATE: ca.caFile,
      HTTPS_PROXY: proxy.url.replace("http://", `http://corp-user:${password}@`),
    });
    assert.equal(refused.cli.code, 1);
    assert.match(refused.cli.stderr, /through the proxy http:\/\/\*\*\*@127\.0\.0\.1:\d+/);
    const page = refused.cli.pages.at(-1)!;
    assert.equal(page.status, 502);
    const log = await Deno.readTextFile(h.home.logFile);
    for (
      const [where, text] of [["terminal", refused.cli.stderr], ["log", log], ["page", page.body]]
    ) {
      assert.ok(!text.includes(password), `${where} shows the proxy password`);
      assert.ok(!text.includes("corp-user"), `${where} shows the proxy user`);
    }
  },
});
