/** Usage aggregation (lease/usage.ts) and the budget's decision (lease/budget.ts), table-driven. */
import assert from "node:assert/strict";
import type { Server } from "../../providers/hetzner/port.ts";
import { summarizeUsage } from "../../lease/usage.ts";
import {
  type BudgetPolicy,
  type BudgetRequest,
  dearestPrice,
  decideBudget,
  freeable,
} from "../../lease/budget.ts";
import type { PriceTable } from "../../lease/cost.ts";

const MINUTE = 60_000;
const NOW = Date.parse("2026-05-01T12:00:00Z");
const NOW_SECS = NOW / 1000;
const TABLE: PriceTable = {
  ccx63: { fsn1: { hourly: 0.4659, monthly: 290.99 } },
  ccx13: { fsn1: { hourly: 0.02, monthly: 12.49 }, hel1: { hourly: 0.025, monthly: 14 } },
};

let nextId = 1;
function box(
  slug: string,
  owner: string,
  serverType: string,
  ageMinutes: number,
  labels: Record<string, string> = {},
): Server {
  const id = nextId++;
  return {
    id,
    name: `crabbox-${slug}`,
    status: "running",
    createdMs: NOW - ageMinutes * MINUTE,
    ipv4: null,
    serverType,
    location: "fsn1",
    labels: {
      crabbox: "true",
      created_by: "crabbox",
      provider: "hetzner",
      lease: `cbx_${String(id).padStart(12, "0")}`,
      slug,
      owner,
      state: "ready",
      keep: "false",
      ttl_secs: "5400",
      expires_at: String(NOW_SECS + 600),
      ...labels,
    },
  };
}

const SERVERS = [
  box("cheap-crab", "alice", "ccx13", 61),
  box("big-crab", "alice", "ccx63", 10, { keep: "true" }),
  box("old-crab", "alice", "ccx13", 30, { expires_at: String(NOW_SECS - 60) }),
  box("odd-crab", "alice", "cx99", 5),
  box("bobs-crab", "bob", "ccx63", 120),
  { ...box("foreign", "alice", "ccx63", 5), labels: { crabbox: "true", slug: "foreign" } },
];

Deno.test("usage: mine or the project's boxes, dearest first, totals that add up", () => {
  const mine = summarizeUsage(SERVERS, { table: TABLE, nowMs: NOW, graceSecs: 3600, owner: "alice" });
  assert.equal(mine.scope, "owner");
  assert.deepEqual(mine.boxes.map((b) => [b.slug, b.priceHourly, b.costSoFar, b.sweep, b.why]), [
    ["big-crab", 0.4659, 0.4659, "skip", "keep_within_ttl"],
    ["cheap-crab", 0.02, 0.04, "skip", "not_expired"],
    ["old-crab", 0.02, 0.02, "delete", "expired"],
    ["odd-crab", null, null, "skip", "not_expired"],
  ]);
  assert.deepEqual(mine.totals, { boxes: 4, priceHourly: 0.5059, costSoFar: 0.5259, unpriced: 1 });
  const sum = mine.boxes.reduce((total, b) => total + (b.costSoFar ?? 0), 0);
  assert.equal(Math.round(sum * 1e6) / 1e6, mine.totals.costSoFar);

  const project = summarizeUsage(SERVERS, { table: TABLE, nowMs: NOW, graceSecs: 3600, owner: null });
  assert.equal(project.scope, "project");
  assert.deepEqual(project.boxes.map((b) => b.slug), [
    "bobs-crab",
    "big-crab",
    "cheap-crab",
    "old-crab",
    "odd-crab",
  ]);
  assert.equal(project.totals.costSoFar, 0.5259 + 0.9318);

  const unpriced = summarizeUsage(SERVERS, { table: null, nowMs: NOW, graceSecs: 3600, owner: "alice" });
  assert.deepEqual(unpriced.totals, { boxes: 4, priceHourly: 0, costSoFar: 0, unpriced: 4 });
});

const policy = (
  maxActive: number,
  maxHourly: number,
  scope: "owner" | "project" = "owner",
): BudgetPolicy => ({
  maxActive,
  maxHourly,
  scope,
  graceSecs: 3600,
});

Deno.test("budget: refused past maxActive or maxHourly; unknown prices leave maxHourly unchecked", () => {
  const usage = summarizeUsage(SERVERS, { table: TABLE, nowMs: NOW, graceSecs: 3600, owner: "alice" });
  const none = summarizeUsage([], { table: TABLE, nowMs: NOW, graceSecs: 3600, owner: "alice" });
  const ccx13: BudgetRequest = { count: 1, hourly: 0.02, serverType: "ccx13" };
  const rows: [
    string,
    BudgetPolicy,
    typeof usage,
    typeof ccx13,
    "ok" | "maxActive" | "maxHourly",
    string?,
  ][] = [
    ["no budget", policy(0, 0), usage, ccx13, "ok"],
    ["room for one more", policy(5, 0), usage, ccx13, "ok"],
    ["full", policy(4, 0), usage, ccx13, "maxActive"],
    ["three more do not fit", policy(6, 0), usage, { ...ccx13, count: 3 }, "maxActive"],
    ["an empty scope, one box allowed", policy(1, 0), none, ccx13, "ok"],
    ["under the hourly cap", policy(0, 0.55), usage, ccx13, "ok"],
    ["exactly at the cap passes", policy(0, 0.5259), usage, ccx13, "ok"],
    ["past the hourly cap", policy(0, 0.52), usage, ccx13, "maxHourly"],
    [
      "unknown price: unchecked, not refused",
      policy(0, 0.01),
      usage,
      { ...ccx13, hourly: null },
      "ok",
      "unchecked",
    ],
  ];
  for (const [label, p, u, request, expected, note] of rows) {
    const verdict = decideBudget(p, u, request);
    assert.equal(verdict.ok ? "ok" : verdict.limit, expected, label);
    if (note) {
      assert.match((verdict as { unchecked: string }).unchecked, /budget\.maxHourly not checked/, label);
    }
  }
});

Deno.test("budget refusal: one line with the limit, the current figure and what sweep or stop frees", () => {
  const usage = summarizeUsage(SERVERS, { table: TABLE, nowMs: NOW, graceSecs: 3600, owner: "alice" });
  const active = decideBudget(policy(4, 0), usage, { count: 1, hourly: 0.02, serverType: "ccx13" });
  assert.equal(
    !active.ok && active.message,
    "over budget: budget.maxActive is 4 boxes (owner alice) and 4 boxes are alive; 1 more would make 5; " +
      "nothing created; crabbox sweep frees old-crab; crabbox stop big-crab frees €0.4659/h; " +
      "crabbox stop cheap-crab frees €0.0200/h; crabbox stop odd-crab frees ?/h",
  );
  const hourly = decideBudget(policy(0, 0.5, "project"), usage, {
    count: 1,
    hourly: 0.02,
    serverType: "ccx13",
  });
  assert.match(
    !hourly.ok ? hourly.message : "",
    /^over budget: budget\.maxHourly is €0\.5000\/h \(owner alice\) and the boxes burn €0\.5059\/h \(1 box of unknown price not counted\); 1 × ccx13 at €0\.0200\/h would make €0\.5259\/h; nothing created; /,
  );
  assert.equal(
    freeable(summarizeUsage([], { table: TABLE, nowMs: NOW, graceSecs: 3600, owner: "x" })),
    "no box of this scope is alive",
  );
});

Deno.test("a create is priced at the dearest type and location it may fall back to", () => {
  assert.equal(dearestPrice(TABLE, ["ccx13"], ["fsn1", "hel1"]), 0.025);
  assert.equal(dearestPrice(TABLE, ["ccx63", "ccx13"], ["fsn1"]), 0.4659);
  assert.equal(dearestPrice(TABLE, ["ccx13"], []), 0.025, "no location given: any of the type's");
  assert.equal(dearestPrice(TABLE, ["cx99"], ["fsn1"]), null);
  assert.equal(dearestPrice(null, ["ccx13"], ["fsn1"]), null);
});
