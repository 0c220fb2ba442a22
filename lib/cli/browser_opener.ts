/**
 * Opens a URL in the person's browser, per platform, without a shell: `$BROWSER`, then
 * `wslview` (WSL), then `xdg-open` on Linux; `open` on macOS; `rundll32
 * url.dll,FileProtocolHandler` on Windows (no `cmd /c start`, so an `&` in the URL cannot
 * split the command). Never throws: a browser that does not open is only a note.
 *
 * @module
 */

import { readEnv } from "../base/permissions.ts";

/** One program to try, with its arguments. */
export interface BrowserCommand {
  /** Program name or path. */
  cmd: string;
  /** Its arguments (the URL among them, never through a shell). */
  args: string[];
}

/** What the choice of opener depends on. */
export interface BrowserPlatform {
  /** `Deno.build.os`: `linux`, `darwin`, `windows`, ... */
  os: string;
  /** `$BROWSER`, if set. */
  browserVar?: string;
  /** Running inside WSL (`$WSL_DISTRO_NAME` set). */
  wsl?: boolean;
}

/**
 * The commands to try, in order, for `url` on `platform`.
 *
 * @example
 * ```ts
 * import { browserCommands } from "./browser_opener.ts";
 * const cmds = browserCommands("https://x/?a=1&b=2", { os: "darwin" });
 * import assert from "node:assert/strict";
 * assert.deepEqual(cmds[0], { cmd: "open", args: ["https://x/?a=1&b=2"] });
 * ```
 */
export function browserCommands(url: string, platform: BrowserPlatform): BrowserCommand[] {
  const commands: BrowserCommand[] = [];
  if (platform.browserVar && platform.os !== "windows") {
    // $BROWSER is a colon-separated list; an entry may place the URL with %s.
    for (const entry of platform.browserVar.split(":")) {
      const words = entry.split(/[ \t\n]+/).filter((w) => w.length > 0);
      if (words.length === 0) continue;
      const hasSlot = words.some((w) => w.includes("%s"));
      const args = words.slice(1).map((w) => w.replaceAll("%s", url));
      commands.push({ cmd: words[0], args: hasSlot ? args : [...args, url] });
    }
  }
  switch (platform.os) {
    case "darwin":
      commands.push({ cmd: "open", args: [url] });
      break;
    case "windows":
      commands.push({ cmd: "rundll32", args: ["url.dll,FileProtocolHandler", url] });
      break;
    default:
      if (platform.wsl) {
        commands.push({ cmd: "wslview", args: [url] });
        commands.push({ cmd: "rundll32.exe", args: ["url.dll,FileProtocolHandler", url] });
      }
      commands.push({ cmd: "xdg-open", args: [url] });
  }
  return commands;
}

/** Runs one command; resolves true when it started and did not fail. */
export type CommandRunner = (command: BrowserCommand) => Promise<boolean>;

async function runDetached(command: BrowserCommand): Promise<boolean> {
  const permission: Deno.PermissionDescriptor = { name: "run", command: command.cmd };
  let state = (await Deno.permissions.query(permission)).state;
  if (state === "prompt") state = (await Deno.permissions.request(permission)).state;
  if (state !== "granted") return false;
  try {
    const child = new Deno.Command(command.cmd, {
      args: command.args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Openers like xdg-open return quickly; a browser started directly keeps running.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      child.status,
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 3000)),
    ]);
    clearTimeout(timer);
    if (status === undefined) {
      child.unref();
      return true;
    }
    return status.success;
  } catch {
    return false;
  }
}

/** The platform this process runs on, as far as the granted env permissions tell. */
export function currentBrowserPlatform(): BrowserPlatform {
  return {
    os: Deno.build.os,
    browserVar: readEnv("BROWSER"),
    wsl: Deno.build.os === "linux" && readEnv("WSL_DISTRO_NAME") !== undefined,
  };
}

/**
 * Open `url` with the first opener that works. Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openBrowser } from "./browser_opener.ts";
 * const tried: string[] = [];
 * const opened = await openBrowser("https://example.com/", { os: "linux" }, (c) => {
 *   tried.push(c.cmd);
 *   return Promise.resolve(false);
 * });
 * assert.equal(opened, false);
 * assert.deepEqual(tried, ["xdg-open"]);
 * ```
 */
export async function openBrowser(
  url: string,
  platform: BrowserPlatform = currentBrowserPlatform(),
  run: CommandRunner = runDetached,
): Promise<boolean> {
  for (const command of browserCommands(url, platform)) {
    try {
      if (await run(command)) return true;
    } catch {
      // try the next one
    }
  }
  return false;
}
