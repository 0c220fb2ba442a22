import assert from "node:assert/strict";
import {
  ERROR_KINDS,
  errorText,
  ExitCode,
  interrupted,
  LoginError,
  type LoginErrorKind,
  timedOut,
  usageError,
} from "../../lib/base/errors.ts";

Deno.test("error kinds: one table gives every kind its exit code, page status, title and next step", () => {
  const exits = new Set<number>(Object.values(ExitCode));
  for (const [kind, info] of Object.entries(ERROR_KINDS)) {
    assert.ok(exits.has(info.exit), `${kind}: exit ${info.exit} is documented`);
    assert.ok(info.status >= 400 && info.status < 600, `${kind}: status ${info.status}`);
    assert.ok(info.title.length > 0 && info.next.length > 0, kind);
    assert.equal(new LoginError(kind as LoginErrorKind, { what: "x." }).exitCode, info.exit);
  }
  const exitOf = (kind: LoginErrorKind) => ERROR_KINDS[kind].exit;
  assert.equal(exitOf("usage"), 2);
  assert.equal(exitOf("permission"), 2);
  assert.equal(exitOf("network_config"), 2);
  assert.equal(exitOf("port_in_use"), 13);
  assert.equal(exitOf("timeout"), 124);
  assert.equal(exitOf("cancelled"), 130);
  assert.equal(exitOf("code_exchange"), 1);
});

Deno.test("LoginError: its parts kept apart, the message joins them, the code defaults to the kind", () => {
  const cause = new Error("underlying");
  const err = new LoginError("save_failed", {
    what: "Could not save your credentials to /h/auth.json (disk full).",
    next: "Free some space, then sign in again.",
    code: "save_failed.disk",
    cause,
  });
  assert.equal(err.kind, "save_failed");
  assert.equal(err.code, "save_failed.disk");
  assert.equal(err.what, "Could not save your credentials to /h/auth.json (disk full).");
  assert.equal(err.next, "Free some space, then sign in again.");
  assert.equal(
    err.message,
    "Could not save your credentials to /h/auth.json (disk full). Free some space, then sign in again.",
  );
  assert.equal(err.cause, cause);
  const bare = new LoginError("other", { what: "Something broke." });
  assert.equal(bare.code, "other");
  assert.equal(bare.message, "Something broke.");
  assert.equal(bare.next, undefined);
});

Deno.test("usageError exits 2, interrupted exits 130 and says nothing was saved", () => {
  const usage = usageError("Option --port needs a value.", "Run codex-login --help.");
  assert.equal(usage.kind, "usage");
  assert.equal(usage.exitCode, 2);
  assert.equal(usage.message, "Option --port needs a value. Run codex-login --help.");
  const stop = interrupted();
  assert.equal(stop.exitCode, 130);
  assert.equal(stop.message, "Sign-in interrupted; nothing was saved.");
});

Deno.test("timedOut: minutes from 120 s, seconds below; what was awaited; exit 124", () => {
  assert.equal(
    timedOut("the browser sign-in", 600_000, "Run it again.").what,
    "Timed out after 10 min waiting for the browser sign-in; nothing was saved.",
  );
  assert.equal(
    timedOut("the code to be entered", 15 * 60_000, "Run it again.").what,
    "Timed out after 15 min waiting for the code to be entered; nothing was saved.",
  );
  assert.equal(
    timedOut("the browser sign-in", 120_000, "x").what,
    "Timed out after 2 min waiting for the browser sign-in; nothing was saved.",
  );
  assert.equal(
    timedOut("the browser sign-in", 119_000, "x").what,
    "Timed out after 119 s waiting for the browser sign-in; nothing was saved.",
  );
  const err = timedOut("the browser sign-in", 1000, "Run it again.");
  assert.equal(err.exitCode, 124);
  assert.equal(err.next, "Run it again.");
});

Deno.test("errorText: an OS error without its errno, denied permissions in words, anything else as text", () => {
  assert.equal(
    errorText(new Error("No such file or directory (os error 2)")),
    "No such file or directory",
  );
  assert.equal(errorText(new Deno.errors.PermissionDenied("x (os error 13)")), "permission denied");
  assert.equal(errorText(new Deno.errors.IsADirectory("x")), "a directory is in the way");
  assert.equal(errorText("plain words"), "plain words");
  assert.equal(errorText(42), "42");
});
