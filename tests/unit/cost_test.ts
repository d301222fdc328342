/** The cost model (lease/cost.ts): per started hour from creation, capped at the monthly price. */
import assert from "node:assert/strict";
import {
  billedAt,
  formatMoney,
  priceOf,
  type PriceTable,
  priceTableFrom,
  roundMoney,
  runCost,
  runCostFields,
  serverCost,
  startedHours,
} from "../../lease/cost.ts";
import { pricedType } from "../cmd/_fakes.ts";

const MINUTE = 60_000;
const CREATED = Date.parse("2026-05-01T12:00:00Z");
const CCX13 = { hourly: 0.02, monthly: 12.49 };

Deno.test("billed per started hour from creation, never more than the monthly cap", () => {
  const rows: [string, number, number, number][] = [
    // label, minutes since creation, started hours, billed
    ["before creation", -5, 0, 0],
    ["at creation: the first hour has started", 0, 1, 0.02],
    ["59 minutes", 59, 1, 0.02],
    ["exactly an hour is still one", 60, 1, 0.02],
    ["61 minutes: a second hour", 61, 2, 0.04],
    ["a day", 24 * 60, 24, 0.48],
    ["a week (the ttl cap)", 7 * 24 * 60, 168, 3.36],
    ["beyond the monthly cap", 31 * 24 * 60, 744, 12.49],
  ];
  for (const [label, minutes, hours, billed] of rows) {
    const at = CREATED + minutes * MINUTE;
    assert.equal(startedHours(CREATED, at), hours, label);
    assert.equal(roundMoney(billedAt(CCX13, CREATED, at)), billed, label);
  }
});

Deno.test("a run's cost: a fresh box's whole bill; on a warm box only the hours the run started", () => {
  const table: PriceTable = { ccx13: { fsn1: CCX13 } };
  const server = { serverType: "ccx13", location: "fsn1", createdMs: CREATED };
  const rows: [string, number, number, number | null][] = [
    ["fresh, 5 minutes", -Infinity, 5, 0.02],
    ["fresh, 90 minutes", -Infinity, 90, 0.04],
    ["warm, within the started hour", 10, 50, 0],
    ["warm, across an hour boundary", 50, 70, 0.02],
    ["warm, three boundaries", 50, 190, 0.06],
  ];
  for (const [label, from, to, cost] of rows) {
    const fromMs = from === -Infinity ? from : CREATED + from * MINUTE;
    assert.equal(runCost(table, server, fromMs, CREATED + to * MINUTE), cost, label);
  }
  assert.equal(runCost(null, server, -Infinity, CREATED), null, "no prices: unknown, not 0");
  assert.equal(runCost(table, { ...server, location: "ash" }, -Infinity, CREATED), null);
});

Deno.test("the summary's cost fields: a fresh box its bill; a warm box what the run added (if any) and its bill", () => {
  const table: PriceTable = { ccx13: { fsn1: CCX13 } };
  const server = { serverType: "ccx13", location: "fsn1", createdMs: CREATED };
  const rows: [string, PriceTable | null, number, number, string[]][] = [
    ["fresh", table, -Infinity, 5, ["cost=€0.0200"]],
    ["fresh, unknown price", null, -Infinity, 5, ["cost=?"]],
    ["warm, within the started hour: no cost=€0.0000", table, 10, 50, ["box_cost=€0.0200"]],
    ["warm, across an hour boundary", table, 50, 70, ["cost=€0.0200", "box_cost=€0.0400"]],
    ["warm, unknown price", null, 10, 50, ["box_cost=?"]],
  ];
  for (const [label, prices, from, to, fields] of rows) {
    const fromMs = from === -Infinity ? from : CREATED + from * MINUTE;
    assert.deepEqual(runCostFields(prices, server, fromMs, CREATED + to * MINUTE), fields, label);
  }
});

Deno.test("the price table: net prices by type and location; anything missing or malformed is unknown", () => {
  const table = priceTableFrom([pricedType("ccx13", 0.02, 12.49), {
    ...pricedType("cx23", 0, 0),
    prices: [],
  }]);
  assert.deepEqual(priceOf(table, "ccx13", "hel1"), CCX13);
  const unknown: [string, PriceTable | null, string, string | null][] = [
    ["no table", null, "ccx13", "fsn1"],
    ["no location", table, "ccx13", null],
    ["unpriced type", table, "cx23", "fsn1"],
    ["unknown type", table, "ccx99", "fsn1"],
    ["unknown location", table, "ccx13", "ash"],
    ["inherited name", table, "constructor", "fsn1"],
    [
      "a cache file's junk",
      { ccx13: { fsn1: { hourly: "x", monthly: 1 } } } as unknown as PriceTable,
      "ccx13",
      "fsn1",
    ],
  ];
  for (const [label, t, type, location] of unknown) assert.equal(priceOf(t, type, location), null, label);
  assert.deepEqual(
    serverCost(table, { serverType: "ccx13", location: "fsn1", createdMs: CREATED }, CREATED),
    {
      priceHourly: 0.02,
      costSoFar: 0.02,
      currency: "EUR",
    },
  );
  assert.deepEqual(serverCost(null, { serverType: "ccx13", location: "fsn1", createdMs: CREATED }, CREATED), {
    priceHourly: null,
    costSoFar: null,
    currency: null,
  });
});

Deno.test("money: four places below a euro, two above, ? when unknown; sums without float noise", () => {
  assert.equal(formatMoney(0.0119), "€0.0119");
  assert.equal(formatMoney(0), "€0.0000");
  assert.equal(formatMoney(12.486), "€12.49");
  assert.equal(formatMoney(null), "?");
  assert.equal(roundMoney(3 * 0.0119), 0.0357);
  assert.equal(roundMoney(0.1 + 0.2), 0.3);
});
