/**
 * The drift workflow's issue filing (tools/drift_issue.ts) against a stand-in for the GitHub API
 * on 127.0.0.1: a new issue when none is open, a comment when one is, nothing when every step
 * passed, and a clear failure when the API refuses.
 */
import assert from "node:assert/strict";
import { ROOT, runCommand } from "./support/helpers.ts";

interface Call {
  method: string;
  path: string;
  authorization: string | null;
  body: Record<string, unknown> | undefined;
}

/** A stand-in GitHub API: answers GET issues with `open`, records every call. */
function standIn(open: unknown[], status = 200) {
  const calls: Call[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const text = await req.text();
    calls.push({
      method: req.method,
      path: `${url.pathname}${url.search}`,
      authorization: req.headers.get("authorization"),
      body: text ? JSON.parse(text) : undefined,
    });
    if (status !== 200) return Response.json({ message: "Bad credentials" }, { status });
    if (req.method === "GET") return Response.json(open);
    return Response.json({ number: 7 }, { status: 201 });
  });
  return {
    calls,
    url: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function fileReport(api: string, outcomes: { drift: string; interop: string }) {
  const dir = await Deno.makeTempDir({ prefix: "codex-login-drift-issue-" });
  try {
    await Deno.writeTextFile(
      `${dir}/drift.log`,
      "3 differences between pinned (old) and latest (new):\n* --version\n",
    );
    await Deno.writeTextFile(`${dir}/interop.log`, "ok | 8 passed | 0 failed\n");
    return await runCommand(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        `--allow-read=${dir}`,
        "--allow-env",
        `${ROOT}tools/drift_issue.ts`,
        "--codex-version",
        "0.172.0",
        "--section",
        "make drift",
        outcomes.drift,
        `${dir}/drift.log`,
        "--section",
        "interop tests",
        outcomes.interop,
        `${dir}/interop.log`,
      ],
      env: {
        GITHUB_API_URL: api,
        GITHUB_REPOSITORY: "codex-login/codex-login",
        GITHUB_TOKEN: "test-token",
        NO_COLOR: "1",
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("drift issue: none open, a step failed: one new issue, labelled, with the report", async () => {
  await using api = standIn([]);
  const r = await fileReport(api.url, { drift: "failure", interop: "success" });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(api.calls.map((c) => `${c.method} ${c.path}`), [
    "GET /repos/codex-login/codex-login/issues?state=open&labels=codex-drift&per_page=100",
    "POST /repos/codex-login/codex-login/issues",
  ]);
  assert.ok(api.calls.every((c) => c.authorization === "Bearer test-token"));
  const issue = api.calls[1].body ?? {};
  assert.equal(issue.title, "Codex 0.172.0: sign-in drift (make drift)");
  assert.deepEqual(issue.labels, ["codex-drift"]);
  assert.match(String(issue.body), /### make drift: failure\n\n```\n3 differences between pinned/);
  assert.match(String(issue.body), /### interop tests: success/);
  assert.doesNotMatch(String(issue.body), /8 passed/, "a passing step's log is left out");
  assert.match(r.stdout, /opened #7/);
});

Deno.test("drift issue: one open: a comment on it (pull requests with the label are not issues)", async () => {
  await using api = standIn([
    { number: 3, pull_request: { url: "x" } },
    { number: 12, title: "Codex 0.171.5: sign-in drift" },
  ]);
  const r = await fileReport(api.url, { drift: "failure", interop: "failure" });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(api.calls.map((c) => `${c.method} ${c.path}`), [
    "GET /repos/codex-login/codex-login/issues?state=open&labels=codex-drift&per_page=100",
    "POST /repos/codex-login/codex-login/issues/12/comments",
  ]);
  const comment = String(api.calls[1].body?.body);
  assert.match(comment, /make drift and interop tests did not pass/);
  assert.match(comment, /### interop tests: failure\n\n```\nok \| 8 passed/);
  assert.match(r.stdout, /commented on #12/);
});

Deno.test("drift issue: every step passed: no call to the API at all", async () => {
  await using api = standIn([{ number: 12 }]);
  const r = await fileReport(api.url, { drift: "success", interop: "success" });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(api.calls, []);
  assert.match(r.stdout, /nothing to file/);
});

Deno.test("drift issue: the API refuses: exit 1, saying which call and what it answered", async () => {
  await using api = standIn([], 401);
  const r = await fileReport(api.url, { drift: "failure", interop: "success" });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^drift issue: GitHub answered 401 to GET \/repos\/codex-login\/codex-login\/issues\?.*Bad credentials/,
  );
  assert.doesNotMatch(r.stderr, /test-token/);
});
