/**
 * Another user of this machine: a process run as uid 65534 with `setpriv` (needs root), and
 * why that cannot be had here (then the tests that need it are reported skipped).
 *
 * @module
 */

/** `setpriv` arguments that run a program as uid/gid 65534 with no groups. */
export const NOBODY: readonly string[] = ["--reuid=65534", "--regid=65534", "--clear-groups"];

/** Why another user's process (and `ss`, to see it) cannot be had here; undefined when it can. */
export const OTHER_USER_MISSING: string | undefined = await (async () => {
  const probe = await new Deno.Command("setpriv", { args: [...NOBODY, "true"] }).output()
    .catch(() => undefined);
  if (!probe?.success) return "cannot run a process as uid 65534 (needs root and setpriv)";
  const ss = await new Deno.Command("ss", { args: ["-V"], stdout: "null" }).output()
    .catch(() => undefined);
  if (!ss?.success) return "ss (iproute2) is not installed";
  return undefined;
})();

/** As uid 65534: send `request` to 127.0.0.1:`port` and return what came back ("" if closed). */
export async function asNobody(port: number, request: string): Promise<string> {
  const script = `exec 3<>/dev/tcp/127.0.0.1/${port} || exit 3; printf '%b' "$1" >&3; ` +
    `timeout 3 cat <&3`;
  const out = await new Deno.Command("setpriv", {
    args: [...NOBODY, "/bin/bash", "-c", script, "bash", request.replaceAll("\r\n", "\\r\\n")],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout);
}
