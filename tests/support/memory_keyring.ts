/**
 * A keyring in memory: a {@linkcode KeyringBackend} for the store tests that need no Secret
 * Service (the real one is `keyring_session.ts`).
 *
 * @module
 */

import { type KeyringBackend, keyringUnavailable } from "../../lib/store/keyring_store.ts";

/** A keyring in memory, as a {@linkcode KeyringBackend}; `down` makes every call fail. */
export function memoryKeyring(down = false): KeyringBackend & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  const check = () => {
    if (down) throw keyringUnavailable("the test keyring", "it is down");
  };
  return {
    name: "the test keyring",
    entries,
    get: (service, account) => {
      check();
      return Promise.resolve(entries.get(`${service}/${account}`) ?? null);
    },
    set: (service, account, secret) => {
      check();
      entries.set(`${service}/${account}`, secret);
      return Promise.resolve();
    },
    delete: (service, account) => {
      check();
      return Promise.resolve(entries.delete(`${service}/${account}`));
    },
  };
}
