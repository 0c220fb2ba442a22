/**
 * The last step of the scheduled drift workflow (.github/workflows/codex-drift.yml): when a step
 * run against the latest Codex failed (make drift found differences, or the interop tests
 * failed), one GitHub issue labelled `codex-drift` holds the report: a new issue when none is
 * open, a comment on the open one otherwise. When every step passed, nothing is filed.
 *
 *   deno run --allow-net --allow-read --allow-env tools/drift_issue.ts --codex-version V \
 *     --section NAME OUTCOME LOG [--section NAME OUTCOME LOG ...]
 *
 * OUTCOME is the step's outcome (`success`, `failure`, ...), LOG the file its output went to.
 * The API comes from the environment GitHub Actions sets: GITHUB_API_URL, GITHUB_REPOSITORY
 * (owner/name), GITHUB_TOKEN; GITHUB_SERVER_URL and GITHUB_RUN_ID, when set, link the run.
 * Exits 0 when done (filed or nothing to file), 1 when the API refused, 2 on bad arguments.
 *
 * @module
 */

/** The label that finds the open drift issue. */
export const LABEL = "codex-drift";

/** The most of one step's log an issue shows (GitHub bodies hold 65,536 characters). */
const LOG_LIMIT = 28_000;

interface Section {
  name: string;
  outcome: string;
  log: string;
}

function fail(code: number, message: string): never {
  console.error(`drift issue: ${message}`);
  Deno.exit(code);
}

function parseArgs(args: string[]): { version: string; sections: Section[] } {
  let version = "";
  const sections: Section[] = [];
  for (let i = 0; i < args.length;) {
    if (args[i] === "--codex-version" && args[i + 1] !== undefined) {
      version = args[i + 1];
      i += 2;
    } else if (args[i] === "--section" && args[i + 3] !== undefined) {
      sections.push({ name: args[i + 1], outcome: args[i + 2], log: args[i + 3] });
      i += 4;
    } else {
      fail(
        2,
        `unexpected argument ${args[i]} (usage: --codex-version V --section NAME OUTCOME LOG ...)`,
      );
    }
  }
  if (sections.length === 0) fail(2, "no --section given");
  return { version, sections };
}

/** A step's log for the issue: the start of a drift report (its summary comes first), else the end. */
async function excerpt(section: Section): Promise<string> {
  const text = await Deno.readTextFile(section.log).catch(() => `(no log at ${section.log})`);
  if (text.length <= LOG_LIMIT) return text;
  return section.name.includes("drift")
    ? `${text.slice(0, LOG_LIMIT)}\n... (${
      text.length - LOG_LIMIT
    } more characters in the run's log)`
    : `... (${text.length - LOG_LIMIT} characters before)\n${text.slice(-LOG_LIMIT)}`;
}

/** The report (Markdown), or "" when every step passed. */
async function report(
  version: string,
  sections: Section[],
): Promise<{ title: string; body: string }> {
  const failed = sections.filter((s) => s.outcome !== "success");
  if (failed.length === 0) return { title: "", body: "" };
  const server = Deno.env.get("GITHUB_SERVER_URL");
  const run = Deno.env.get("GITHUB_RUN_ID");
  const repo = Deno.env.get("GITHUB_REPOSITORY");
  const lines = [
    `Codex ${version || "(latest)"} against codex-login: ${
      failed.map((s) => s.name).join(" and ")
    } did not pass.`,
    ...(server && run && repo ? ["", `Run: ${server}/${repo}/actions/runs/${run}`] : []),
  ];
  for (const s of sections) {
    lines.push("", `### ${s.name}: ${s.outcome}`);
    if (s.outcome !== "success") lines.push("", "```", (await excerpt(s)).trimEnd(), "```");
  }
  return {
    title: `Codex ${version || "latest"}: sign-in drift (${failed.map((s) => s.name).join(", ")})`,
    body: lines.join("\n"),
  };
}

async function github(method: string, path: string, body?: unknown): Promise<unknown> {
  const api = Deno.env.get("GITHUB_API_URL") ?? fail(2, "GITHUB_API_URL is not set");
  const token = Deno.env.get("GITHUB_TOKEN") ?? fail(2, "GITHUB_TOKEN is not set");
  const response = await fetch(`${api.replace(/\/$/, "")}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "user-agent": "codex-login-drift",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((err) => fail(1, `cannot reach ${api}: ${err instanceof Error ? err.message : err}`));
  const text = await response.text();
  if (!response.ok) {
    fail(1, `GitHub answered ${response.status} to ${method} ${path}: ${text.slice(0, 300)}`);
  }
  return text ? JSON.parse(text) : null;
}

if (import.meta.main) {
  const { version, sections } = parseArgs(Deno.args);
  const { title, body } = await report(version, sections);
  if (!body) {
    console.log("drift issue: every step passed against the latest Codex; nothing to file.");
    Deno.exit(0);
  }
  const repo = Deno.env.get("GITHUB_REPOSITORY") ?? fail(2, "GITHUB_REPOSITORY is not set");
  const open = await github("GET", `/repos/${repo}/issues?state=open&labels=${LABEL}&per_page=100`);
  const issue = Array.isArray(open)
    ? open.find((i): i is { number: number } =>
      typeof i === "object" && i !== null && typeof i.number === "number" && !("pull_request" in i)
    )
    : undefined;
  if (issue) {
    await github("POST", `/repos/${repo}/issues/${issue.number}/comments`, { body });
    console.log(`drift issue: commented on #${issue.number}.`);
  } else {
    const created = await github("POST", `/repos/${repo}/issues`, { title, body, labels: [LABEL] });
    const number = typeof created === "object" && created !== null && "number" in created
      ? created.number
      : "?";
    console.log(`drift issue: opened #${number}.`);
  }
}
