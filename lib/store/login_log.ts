/**
 * The login log a support desk can read: `$CODEX_HOME/log/codex-login.log` (where Codex writes
 * its own `codex-login.log`), a 0600 file in 0700 directories, appended, rotated at 1 MiB
 * keeping one old file (`codex-login.log.1`). It is never written through a symlink or into a
 * hard-linked file, nor in a log directory that is a link, someone else's, or writable by
 * group or others (the run then goes on without a log). Each line is a timestamp, a step and its facts
 * (endpoint without query, HTTP status, duration, error). Nothing secret is ever written:
 * values are passed through the redactor with every secret the run registered (codes, tokens,
 * keys, verifiers, states, the cancel secret) and anything shaped like a JWT or an API key.
 *
 * @module
 */

import { redact } from "../base/redact.ts";

/** The log's size limit before it is rotated. */
export const LOG_ROTATE_BYTES = 1024 * 1024;

/** A fact's value. */
export type LogValue = string | number | boolean | undefined;

/** The log of one run. A disabled log (no path) records nothing. */
export class LoginLog {
  /** The file, when logging to one. */
  readonly path?: string;
  readonly #secrets = new Set<string>();
  readonly #mirror?: (line: string) => void;
  #file?: Promise<Deno.FsFile | undefined>;
  #queue: Promise<void> = Promise.resolve();
  /** Lines held until the run does something worth keeping. */
  #held: string[] = [];
  #eventful = false;

  readonly #createHome: boolean;

  /**
   * Log to `path` (none: disabled); `mirror` also gets every line (`--verbose`). Without
   * `createHome` nothing is written when the codex home does not exist yet (a command that
   * found nothing to do leaves nothing behind).
   */
  constructor(path?: string, mirror?: (line: string) => void, createHome = true) {
    this.path = path;
    this.#mirror = mirror;
    this.#createHome = createHome;
  }

  /** Never write `value` (a code, a token, a state...). */
  secret(...values: (string | undefined | null)[]): void {
    for (const value of values) if (value && value.length >= 4) this.#secrets.add(value);
  }

  /** Append one step with its facts. Never throws; a log that cannot be written is skipped. */
  event(step: string, facts: Record<string, LogValue> = {}): void {
    const parts = [new Date().toISOString(), step];
    for (const [key, value] of Object.entries(facts)) {
      if (value === undefined) continue;
      parts.push(`${key}=${this.#clean(String(value))}`);
    }
    const line = parts.join(" ");
    this.#mirror?.(`[log] ${line}`);
    if (!this.path) return;
    // A run that only started and ended well (`token` with a valid token) leaves no lines:
    // the command's first line waits for something worth keeping.
    if (step === "command" && !this.#eventful) {
      this.#held.push(line);
      return;
    }
    if (step === "exit" && facts.code === 0 && !this.#eventful) {
      this.#held = [];
      return;
    }
    const lines = [...this.#held, line];
    this.#held = [];
    this.#eventful = true;
    this.#queue = this.#queue.then(() => this.#append(`${lines.join("\n")}\n`)).catch(() => {});
  }

  /** Wait until every line is on disk. */
  async flush(): Promise<void> {
    await this.#queue;
    (await this.#file)?.close();
    this.#file = undefined;
  }

  #clean(value: string): string {
    // Longest first, so that a secret containing another is removed whole.
    const secrets = [...this.#secrets].sort((a, b) => b.length - a.length);
    const text = redact(value, secrets, 400);
    return /[\s"]/.test(text) ? JSON.stringify(text) : text;
  }

  async #append(text: string): Promise<void> {
    this.#file ??= this.#open();
    const file = await this.#file;
    if (!file) return;
    await file.write(new TextEncoder().encode(text));
  }

  /** Open (creating 0700 directories and a 0600 file), rotating a log over the limit. */
  async #open(): Promise<Deno.FsFile | undefined> {
    const path = this.path;
    if (!path) return undefined;
    const dir = path.replace(/[\\/][^\\/]+$/, "");
    try {
      if (
        !this.#createHome && !(await Deno.stat(dir.replace(/[\\/][^\\/]+$/, "")).catch(() => 0))
      ) {
        return undefined;
      }
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      if (!(await safeDirectory(dir))) return undefined;
      let before = await Deno.lstat(path).catch(() => undefined);
      if (before && before.size >= LOG_ROTATE_BYTES && plainFile(before)) {
        await Deno.rename(path, `${path}.1`);
        before = undefined;
      }
      // Never through a symlink or into a hard-linked file (someone else's file).
      if (before && !plainFile(before)) return undefined;
      const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
      const after = await file.stat();
      const same = !before || (after.ino === before.ino && after.dev === before.dev);
      if (!same || !plainFile(after)) {
        file.close();
        return undefined;
      }
      if (Deno.build.os !== "windows" && ((after.mode ?? 0) & 0o077) !== 0) {
        await Deno.chmod(path, 0o600);
      }
      return file;
    } catch {
      return undefined;
    }
  }
}

/** A regular file with one name only (not a symlink, FIFO or hard link). */
function plainFile(info: Deno.FileInfo): boolean {
  return info.isFile && !info.isSymlink && (info.nlink ?? 1) <= 1;
}

/** The log directory is a real directory (not a link), ours, and not writable by others. */
async function safeDirectory(dir: string): Promise<boolean> {
  const info = await Deno.lstat(dir).catch(() => undefined);
  if (!info?.isDirectory) return false;
  if (Deno.build.os === "windows") return true;
  const home = await Deno.stat(dir.replace(/[\\/][^\\/]+$/, "")).catch(() => undefined);
  const ours = home?.uid == null || info.uid == null || info.uid === home.uid;
  return ours && ((info.mode ?? 0) & 0o022) === 0;
}
