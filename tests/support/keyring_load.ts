/**
 * Run under chosen permissions: make sure the keyring binding may load, load it, and ask the
 * OS keyring once. Prints `loaded` (whatever the keyring answered) or the error's message.
 *
 * @module
 */
import { bindingReady, ensureBinding } from "../../lib/store/keyring_binding.ts";

try {
  const ready = bindingReady();
  await ensureBinding();
  const { AsyncEntry } = await import("@napi-rs/keyring");
  await new AsyncEntry("codex-login test", "nobody").getPassword().catch(() => undefined);
  console.log(ready ? "loaded" : "loaded after asking");
} catch (err) {
  console.log(err instanceof Error ? err.message : String(err));
}
