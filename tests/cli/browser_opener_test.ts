import assert from "node:assert/strict";
import { type BrowserCommand, browserCommands, openBrowser } from "../../lib/cli/browser_opener.ts";

const URL_WITH_AMP = "https://auth.example/oauth/authorize?a=1&b=2&state=x";

Deno.test("linux: $BROWSER entries first (with %s), then xdg-open; the URL is one argument", () => {
  const cmds = browserCommands(URL_WITH_AMP, {
    os: "linux",
    browserVar: "firefox -new-tab %s:w3m",
  });
  assert.deepEqual(cmds, [
    { cmd: "firefox", args: ["-new-tab", URL_WITH_AMP] },
    { cmd: "w3m", args: [URL_WITH_AMP] },
    { cmd: "xdg-open", args: [URL_WITH_AMP] },
  ]);
});

Deno.test("WSL prefers wslview then the Windows opener, never a shell", () => {
  const cmds = browserCommands(URL_WITH_AMP, { os: "linux", wsl: true });
  assert.deepEqual(cmds.map((c) => c.cmd), ["wslview", "rundll32.exe", "xdg-open"]);
  assert.ok(cmds.every((c) => c.args.includes(URL_WITH_AMP)));
});

Deno.test("macOS uses open; Windows keeps & intact (no cmd /c start)", () => {
  assert.deepEqual(browserCommands(URL_WITH_AMP, { os: "darwin" }), [
    { cmd: "open", args: [URL_WITH_AMP] },
  ]);
  const win = browserCommands(URL_WITH_AMP, { os: "windows", browserVar: "ignored" });
  assert.deepEqual(win, [{ cmd: "rundll32", args: ["url.dll,FileProtocolHandler", URL_WITH_AMP] }]);
  assert.ok(!win.some((c) => c.cmd === "cmd"));
});

Deno.test("openBrowser tries each opener until one works and never throws", async () => {
  const tried: BrowserCommand[] = [];
  const ok = await openBrowser(URL_WITH_AMP, { os: "linux", browserVar: "a:b" }, (c) => {
    tried.push(c);
    if (c.cmd === "a") throw new Error("boom");
    return Promise.resolve(c.cmd === "b");
  });
  assert.ok(ok);
  assert.deepEqual(tried.map((c) => c.cmd), ["a", "b"]);
  assert.equal(
    await openBrowser(URL_WITH_AMP, { os: "darwin" }, () => Promise.reject(new Error("x"))),
    false,
  );
});
