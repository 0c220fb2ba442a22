/**
 * What the account commands share on the command line: the saved accounts of the command's
 * codex home (copies in files, or in the keyring when the credentials are kept there), the
 * Codex check (lsof, asked for at Deno's prompt on a terminal when not granted yet), and the
 * context the per-account flows take.
 *
 * @module
 */

import { SavedAccounts } from "../store/saved_accounts.ts";
import { osKeyring } from "../store/keyring_store.ts";
import { type CodexDetection, detectCodex } from "../signin/codex_running.ts";
import type { SavedContext } from "../signin/saved_session.ts";
import type { CommandSetup } from "./flags.ts";

/**
 * Ask for lsof at Deno's prompt when there is a terminal and it is not granted yet (the
 * installed command grants it where it is installed); without a terminal, nothing is asked and
 * the Codex check says it cannot tell.
 */
export function askForLsof(): void {
  if (Deno.build.os === "windows" || !Deno.stdin.isTerminal()) return;
  const descriptor = { name: "run", command: "lsof" } as const;
  if (Deno.permissions.querySync(descriptor).state === "prompt") {
    Deno.permissions.requestSync(descriptor);
  }
}

/**
 * The saved accounts of a command's codex home, their copies kept where its credentials are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { savedAccounts } from "./saved_context.ts";
 * import { CodexHome } from "../store/codex_home.ts";
 * import { FileCredentialStore } from "../store/file_store.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * assert.equal(savedAccounts({ home, store: new FileCredentialStore(home) }).copyStore, "file");
 * ```
 */
export function savedAccounts(setup: Pick<CommandSetup, "home" | "store">): SavedAccounts {
  return new SavedAccounts(setup.home, {
    copyStore: setup.store.kind,
    // Loaded only for a copy kept in the keyring (saved while the credentials were there).
    keyring: osKeyring,
  });
}

/**
 * The context of the per-account flows, for a command's setup. The Codex check runs lsof once a
 * command: a refresh of a copy asks before and again under the locks.
 */
export function savedContext(setup: CommandSetup): SavedContext {
  let seen: Promise<CodexDetection> | undefined;
  return {
    store: setup.store,
    saved: savedAccounts(setup),
    settings: setup.settings,
    detect: () => seen ??= detectCodex(setup.home, setup.settings),
    now: () => new Date(),
  };
}
