/**
 * `switch ACCOUNT`: make a saved account the one Codex reads, losing nothing. Before anything
 * is written: the account is named exactly (else exit 2, listing the candidates),
 * config.toml's policy allows it, the credentials go where Codex reads them (with `auto`, the
 * keyring must answer), and no Codex runs on this home (a running Codex keeps using the old
 * account from memory, and a switch during one of its refreshes would leave the old account's
 * copy with a spent refresh token; `force` goes ahead, and marks that copy). Then, under
 * Codex's two locks and `accounts/.lock`: the active credentials, as last rotated by anyone,
 * are saved as their account's copy (adopted into the list when new), and the chosen copy is
 * written exactly as it was saved. A document that mixes two accounts is never saved or
 * switched to.
 *
 * @module
 */

import { commandLine } from "../base/invocation.ts";
import { LoginError } from "../base/errors.ts";
import type { AuthData } from "../store/auth_data.ts";
import type { Settings } from "../store/config.ts";
import type { CredentialStore } from "../store/credential_store.ts";
import type { AccountEntry, SavedAccounts } from "../store/saved_accounts.ts";
import { accountFacts, mixedAccounts, mixedError } from "./account_identity.ts";
import {
  accountRefusal,
  activeLocked,
  describeEntry,
  keepCopy,
  resolveAccount,
} from "./accounts.ts";
import { type CodexDetection, codexRunningError } from "./codex_running.ts";

/** What a switch is asked to do. */
export interface SwitchRequest {
  /** Where Codex reads its credentials. */
  store: CredentialStore;
  /** The saved accounts. */
  saved: SavedAccounts;
  /** config.toml with `-c`. */
  settings: Settings;
  /** `ACCOUNT`: a label, an email, a workspace or user id. */
  account: string;
  /** Switch even though a Codex runs (or may run) on this home. */
  force: boolean;
  /** With `auto`, why the keyring was not used (the store is then auth.json). */
  storeFallback?: string;
}

/** What a switch depends on (tests pass their own). */
export interface SwitchDeps {
  /** Whether a Codex runs on this home (`detectCodex`). */
  detect: () => Promise<CodexDetection>;
  /** The clock. */
  now?: () => Date;
}

/** What a switch did. */
export interface SwitchOutcome {
  /** The account now active. */
  to: AccountEntry;
  /** The account switched away from (saved, or adopted), if there was one. */
  from?: AccountEntry;
  /** The replaced credentials were not in the list before: they were adopted. */
  adopted: boolean;
  /** The account was the active one already: nothing was written. */
  already: boolean;
  /** What the Codex check saw. */
  codex: CodexDetection;
}

/** With `auto`, Codex reads its keyring first: a switch written to auth.json could be hidden. */
function autoRefusal(request: SwitchRequest): LoginError | undefined {
  if (request.settings.credentialsStore !== "auto" || request.store.kind === "keyring") {
    return undefined;
  }
  return new LoginError("keyring_unavailable", {
    what:
      'With cli_auth_credentials_store = "auto" Codex reads its keyring entry first, and codex-login cannot reach the keyring here, so a switch written to auth.json could be hidden by an older keyring entry; nothing was changed.',
    next:
      'Unlock or start the keyring and try again, or set cli_auth_credentials_store = "file" (or "keyring") in config.toml.',
    code: `keyring_unavailable.auto_switch${
      request.storeFallback ? `.${request.storeFallback}` : ""
    }`,
  });
}

/** The refusals that need no lock: policy, the store, a running Codex. */
async function checkFirst(
  request: SwitchRequest,
  deps: SwitchDeps,
  target: AccountEntry,
): Promise<CodexDetection> {
  const refusal = accountRefusal(request.settings, target) ?? autoRefusal(request);
  if (refusal) throw refusal;
  if (target.ended) {
    throw new LoginError("session_ended", {
      what: `The session of ${
        describeEntry(target)
      } has ended (${target.ended}), so it was not switched to; nothing was changed.`,
      next: `Sign it in again with \`${commandLine(["login", "--add"])}\`.`,
    });
  }
  const codex = await deps.detect();
  if (codex.state !== "none" && !request.force) {
    throw codexRunningError(
      codex,
      "It would keep using the current account from memory until it restarts, and a switch during one of its refreshes would end that account's session; nothing was changed.",
      codex.state === "running"
        ? `Quit Codex first, or switch anyway with \`${
          commandLine(["switch", target.label, "--force"])
        }\`.`
        : `Install lsof (apt-get install lsof) so it can tell; if no Codex runs here, switch with \`${
          commandLine(["switch", target.label, "--force"])
        }\`.`,
    );
  }
  return codex;
}

/** The chosen copy, checked: it must not mix two accounts. */
async function targetDocument(
  request: SwitchRequest,
  target: AccountEntry,
): Promise<AuthData> {
  const doc = await request.saved.load(target);
  const mixed = mixedAccounts(doc);
  if (mixed) throw mixedError(`The saved copy of ${target.label}`, mixed);
  return doc;
}

/**
 * Switch to the saved account `request.account` (see the module).
 *
 * @example
 * ```ts ignore
 * const outcome = await switchAccount({ store, saved, settings, account: "work", force: false },
 *   { detect: () => detectCodex(home, settings) });
 * console.error(`Switched to ${outcome.to.label}.`);
 * ```
 */
export async function switchAccount(
  request: SwitchRequest,
  deps: SwitchDeps,
): Promise<SwitchOutcome> {
  const { store, saved } = request;
  const chosen = resolveAccount(await saved.list(), request.account);
  const codex = await checkFirst(request, deps, chosen);
  const now = (deps.now ?? (() => new Date()))();
  return await store.withLock((locked) =>
    saved.withLock(async (accounts) => {
      // Named again under the lock: another codex-login may have changed the list meanwhile.
      const target = resolveAccount(accounts.list(), request.account);
      if (target.id !== chosen.id) {
        throw new LoginError("lock_busy", {
          what:
            "The saved accounts changed while switching (another codex-login); nothing was changed.",
          next: "Run the switch again.",
        });
      }
      const current = await activeLocked(locked, store, request.settings);
      const facts = current ? await accountFacts(current) : undefined;
      if (facts?.key === target.key) return { to: target, adopted: false, already: true, codex };
      const doc = await targetDocument(request, target);
      let from: AccountEntry | undefined;
      let adopted = false;
      if (current && facts) {
        adopted = !accounts.list().some((e) => e.key === facts.key);
        // Marked when a Codex ran (or could not be ruled out): it may hold this account.
        from = await keepCopy(accounts, current, {
          now,
          leftWhile: codex,
          where: `The active credentials (${store.describe()})`,
        });
      }
      await locked.save(doc);
      const to = { ...target, codex_may_hold: undefined };
      delete to.codex_may_hold;
      await accounts.update(to);
      return { to, from, adopted, already: false, codex };
    })
  );
}
