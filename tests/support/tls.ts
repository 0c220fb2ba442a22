/**
 * A throwaway certificate authority for the TLS and proxy tests, made with `openssl` at test
 * time: a CA and a server certificate for `issuer.test`, `localhost` and 127.0.0.1.
 *
 * @module
 */

/** The PEM files of one throwaway CA. */
export interface TestCa extends AsyncDisposable {
  /** The CA certificate (what `CODEX_CA_CERTIFICATE` points at). */
  caFile: string;
  /** The server certificate and key, PEM text (for `Deno.serve`). */
  cert: string;
  key: string;
}

/** Why TLS tests cannot run here, or undefined. */
export async function opensslMissing(): Promise<string | undefined> {
  const out = await new Deno.Command("openssl", { args: ["version"] }).output().catch(() =>
    undefined
  );
  return out?.success ? undefined : "openssl is not installed (apt-get install openssl)";
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

/** Make a CA and a server certificate signed by it (for `extraNames` too). */
export async function makeTestCa(extraNames: string[] = []): Promise<TestCa> {
  const dir = await Deno.makeTempDir({ prefix: "codex-login-ca-" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=codex-login test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await openssl([
    "req",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=issuer.test",
  ], dir);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    `subjectAltName=${
      ["issuer.test", "localhost", ...extraNames].map((n) => `DNS:${n}`).join(",")
    },IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  ], dir);
  return {
    caFile: `${dir}/ca.pem`,
    cert: await Deno.readTextFile(`${dir}/server.pem`),
    key: await Deno.readTextFile(`${dir}/server.key`),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
