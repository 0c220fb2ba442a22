/**
 * A real Secret Service for the keyring tests: a private D-Bus session bus
 * (`dbus-daemon --session --fork` on an address in a temporary directory) and `gnome-keyring-daemon --unlock
 * --components=secrets` fed a password on stdin, in a throwaway XDG runtime and home.
 * `secret-tool` (libsecret-tools) inspects what was stored. When any of them is missing the
 * reason is returned, so the tests are reported skipped, never passed.
 *
 * @module
 */

/** A running private Secret Service. */
export interface KeyringSession extends AsyncDisposable {
  /** The environment a process needs to reach it. */
  env: Record<string, string>;
  /** `secret-tool lookup service S username U` (null when absent). */
  lookup(service: string, username: string): Promise<string | null>;
  /** `secret-tool store` with the attributes keyring-rs (hence Codex) writes. */
  storeAsCodex(service: string, username: string, secret: string): Promise<void>;
}

async function have(program: string): Promise<boolean> {
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${program}`] }).output()
    .catch(() => undefined);
  return out?.success === true;
}

/**
 * Run a program to completion. `daemon`: it forks a daemon that keeps the output pipes open,
 * so its output is not read (waiting for their end would never finish).
 */
async function run(
  program: string,
  args: string[],
  env: Record<string, string>,
  input?: string,
  daemon = false,
): Promise<{ ok: boolean; out: string }> {
  const child = new Deno.Command(program, {
    args,
    env,
    clearEnv: true,
    stdin: input === undefined ? "null" : "piped",
    stdout: daemon ? "null" : "piped",
    stderr: daemon ? "null" : "piped",
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  if (daemon) return { ok: (await child.status).success, out: "" };
  const out = await child.output();
  return { ok: out.success, out: new TextDecoder().decode(out.stdout) };
}

/** Why the keyring tests cannot run here, or undefined when they can. */
export async function keyringMissing(): Promise<string | undefined> {
  for (const program of ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"]) {
    if (!(await have(program))) {
      return `${program} is not installed (apt-get install dbus-daemon gnome-keyring libsecret-tools)`;
    }
  }
  if (Deno.build.os !== "linux") return "the Secret Service tests run on Linux only";
  return undefined;
}

/** Start a private Secret Service. */
export async function startKeyring(): Promise<KeyringSession> {
  const dir = await Deno.makeTempDir({ prefix: "codex-login-keyring-" });
  await Deno.chmod(dir, 0o700);
  const base: Record<string, string> = {
    HOME: dir,
    XDG_RUNTIME_DIR: dir,
    XDG_DATA_HOME: `${dir}/data`,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  const address = `unix:path=${dir}/bus`;
  const bus = await run(
    "dbus-daemon",
    ["--session", "--fork", `--address=${address}`],
    base,
    undefined,
    true,
  );
  if (!bus.ok) throw new Error("dbus-daemon did not start");
  const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address };
  const keyring = await run(
    "gnome-keyring-daemon",
    ["--unlock", "--components=secrets"],
    env,
    "test-password",
    true,
  );
  if (!keyring.ok) throw new Error("gnome-keyring-daemon did not start");
  return {
    env,
    async lookup(service, username) {
      const got = await run("secret-tool", [
        "lookup",
        "service",
        service,
        "username",
        username,
      ], env);
      return got.ok ? got.out : null;
    },
    async storeAsCodex(service, username, secret) {
      const stored = await run(
        "secret-tool",
        [
          "store",
          "--label",
          `keyring-rs v3.6.3 for target 'default', service '${service}', user '${username}'`,
          "service",
          service,
          "username",
          username,
          "target",
          "default",
          "application",
          "rust-keyring",
        ],
        env,
        secret,
      );
      if (!stored.ok) throw new Error("secret-tool store failed");
    },
    async [Symbol.asyncDispose]() {
      // gnome-keyring-daemon exits with its bus.
      await run("pkill", ["-f", address], env);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
