import assert from "node:assert/strict";
import { formatAccounts, relative, usageLine } from "../../../lib/cli/commands/accounts.ts";
import type { AccountRow } from "../../../lib/signin/accounts.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const ROW: AccountRow = {
  label: "work",
  email: "a@example.com",
  account_id: "acct_A",
  user_id: "user-a",
  plan: "plus",
  kind: "chatgpt",
  last_refresh: "2026-06-01T09:00:00Z",
  active: true,
  saved: true,
  allowed: true,
  codex_may_hold: false,
  ended: null,
  mixed: false,
};

Deno.test("accounts table: aligned columns, the active one starred, notes last", () => {
  const rows: AccountRow[] = [
    ROW,
    {
      ...ROW,
      label: "personal",
      email: "b@example.com",
      account_id: "acct_B",
      active: false,
      allowed: false,
      codex_may_hold: true,
      ended: "refresh_token_reused",
    },
    {
      ...ROW,
      label: null,
      email: null,
      account_id: null,
      kind: "apikey",
      active: false,
      saved: false,
    },
  ];
  assert.equal(
    formatAccounts(rows, NOW),
    [
      "   LABEL     EMAIL          WORKSPACE  PLAN  LAST REFRESH  NOTES",
      "*  work      a@example.com  acct_A     plus  3 h ago",
      "   personal  b@example.com  acct_B     plus  3 h ago       not allowed; session ended (refresh_token_reused); a running Codex may hold it",
      "   (active)  -              apikey     plus  3 h ago       not saved yet (switch saves it)",
    ].join("\n"),
  );
  const evil = { ...ROW, email: "x\u001b[31m@example.com" };
  assert.ok(
    !formatAccounts([evil], NOW).includes("\u001b"),
    "no escape sequence reaches the terminal",
  );
});

Deno.test("usage lines: windows with their resets, credits, and why there is none", () => {
  const window = (used: number, at: string) => ({
    used_percent: used,
    window_seconds: 1,
    resets_at: at,
  });
  assert.equal(
    usageLine({
      status: "ok",
      five_hour: window(42.4, "2026-06-01T14:00:00Z"),
      weekly: window(7, "2026-06-04T12:00:00Z"),
      credits: { has_credits: true, unlimited: false, balance: "3.5" },
    }, NOW),
    "5-hour: 42% used, resets in 2 h; weekly: 7% used, resets in 3 days; credits: 3.5",
  );
  assert.equal(
    usageLine({
      status: "ok",
      credits: { has_credits: false, unlimited: true, balance: null },
      limit_reached: true,
    }, NOW),
    "5-hour: -; weekly: -; credits: unlimited (limit reached)",
  );
  assert.match(usageLine({ status: "expired" }, NOW), /^usage: expired .*not refreshed/);
  assert.equal(
    usageLine({ status: "failed", error: "HTTP 500" }, NOW),
    "usage: could not be read (HTTP 500)",
  );
  assert.equal(relative(null, NOW), "-");
  assert.equal(relative("2026-06-01T11:30:00Z", NOW), "30 min ago");
});
