/**
 * The grant rules of codex-login, as data: which ports, hosts, flags, variables, programs and
 * binding files a run's permissions are made of. `grants.ts` computes a run's grants from them;
 * `tools/launcher.ts` writes the same rules out as the POSIX launcher.
 *
 * @module
 */

/** The rules, as data: what each grant is made of. */
export const GRANT_RULES = {
  /**
   * Hosts every run may reach: the issuer, the API, and ChatGPT's backend (Codex's default
   * `chatgpt_base_url`, where `accounts --usage` reads each account's usage windows).
   */
  fixedHosts: ["auth.openai.com", "api.openai.com", "chatgpt.com"],
  /** The ports a sign-in listens on without `--port` (on 127.0.0.1). */
  defaultPorts: [1455, 1457],
  /** Flags whose value is a URL whose host is reached. */
  hostFlags: ["issuer", "api-base", "platform-url"],
  /**
   * config.toml keys whose value is a URL whose host is reached, granted when set with `-c
   * key=URL` (a value in config.toml itself is not seen before the run).
   */
  configHosts: ["chatgpt_base_url"],
  /** The flag naming the codex home. */
  homeFlag: "codex-home",
  /** The flag naming the loopback port. */
  portFlag: "port",
  /** Variables naming a proxy (curl's rules: a value without a scheme is `http://`). */
  proxyVars: ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
  /** Variables listing hosts reached without the proxy (read; they grant nothing). */
  noProxyVars: ["NO_PROXY", "no_proxy"],
  /** Variables naming the CA bundle: the first one set is read. */
  caVars: ["CODEX_CA_CERTIFICATE", "SSL_CERT_FILE"],
  /** Variables naming a file that is read (a workload identity's assertion). */
  readVars: ["OPENAI_IDENTITY_TOKEN_FILE"],
  /**
   * The variable naming the person's browser commands (not on Windows): colon-separated
   * entries, each a program and its arguments; each entry's program may be run.
   */
  browserVar: "BROWSER",
  /** Every variable the program reads. */
  envNames: [
    "CODEX_HOME",
    "CODEX_SQLITE_HOME",
    "HOME",
    "USERPROFILE",
    "BROWSER",
    "WSL_DISTRO_NAME",
    "CODEX_INTERNAL_ORIGINATOR_OVERRIDE",
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
    "CODEX_LOGIN_INVOCATION",
    "CODEX_LOGIN_INSTALL",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "CODEX_ACCESS_TOKEN",
    ...["OPENAI_IDENTITY_TOKEN_SOURCE", "OPENAI_FEDERATION_RULE_ID", "OPENAI_IDENTITY_TOKEN_FILE"],
    ...["OPENAI_SPIFFE_AUDIENCE", "OPENAI_SPIFFE_ID", "SPIFFE_ENDPOINT_SOCKET"],
    ...["NAPI_RS_NATIVE_LIBRARY_PATH", "NAPI_RS_ENFORCE_VERSION_CHECK"],
    ...["NAPI_RS_WASI_FLAVOR", "NAPI_RS_FORCE_WASI"],
  ],
  /**
   * What the keyring binding (`@napi-rs/keyring`) reads besides its own directory: the variables
   * its loader looks at (in `envNames` too), and on Linux `/usr/bin/ldd` (to tell glibc from
   * musl). Granted only where the binding is.
   */
  binding: {
    env: [
      "NAPI_RS_NATIVE_LIBRARY_PATH",
      "NAPI_RS_ENFORCE_VERSION_CHECK",
      "NAPI_RS_WASI_FLAVOR",
      "NAPI_RS_FORCE_WASI",
    ],
    read: { linux: ["/usr/bin/ldd"] },
  },
  /**
   * The programs it may run, per operating system, granted when present: the browser openers,
   * `ss` or `lsof` (who connects to the loopback server), and `lsof` (whether a Codex runs on
   * the codex home, before `switch` or a refresh: it lists the processes with files open there).
   */
  programs: {
    linux: ["xdg-open", "wslview", "rundll32.exe", "ss", "lsof"],
    darwin: ["open", "lsof"],
    windows: ["rundll32"],
  },
  /**
   * Every option that takes a value, as the program's parser reads them (so that a value is
   * never taken for a flag): long names, and `-c` for `--config`.
   */
  valueOptions: [
    "codex-home",
    "config",
    "issuer",
    "client-id",
    "port",
    "timeout",
    "api-base",
    "platform-url",
    "label",
    "account",
  ],
  /** One-letter aliases of options that take a value. */
  valueShorts: { c: "config" },
} as const;
