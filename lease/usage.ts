/**
 * `crabbox usage` and the budget's current figure: the project's (or one owner's) live boxes, what
 * they burn per hour, what they have cost so far, and what keeps each alive (the sweep's decision).
 * summarizeUsage is pure; usageReport adds the one list call and the price table.
 */
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { formatIso } from "../core/format.ts";
import { isCrabboxOwned } from "../labels/ownership.ts";
import { crabboxServers } from "../labels/selectors.ts";
import { decideServer, type SweepReason } from "../labels/sweep.ts";
import { CURRENCY, PRICE_BASIS, type PriceTable, roundMoney, serverCost } from "./cost.ts";
import type { PriceSource } from "./prices.ts";

export interface UsageBox {
  id: string;
  slug: string | null;
  serverId: number;
  owner: string | null;
  state: string | null;
  serverType: string;
  location: string | null;
  createdAt: string;
  priceHourly: number | null;
  costSoFar: number | null;
  /** The sweep's verdict: what keeps the box alive (`keep_within_ttl`, …) or why it is due. */
  sweep: "delete" | "skip";
  why: SweepReason;
  /** When the sweep may delete it; null when no rule ever will. */
  sweepAt: string | null;
}

export interface UsageReport {
  /** `owner`: the boxes whose owner label is `owner`; `project`: every crabbox box. */
  scope: "owner" | "project";
  owner: string | null;
  currency: string;
  priceBasis: string;
  /** Most expensive first (per hour, then so far); unpriced last. */
  boxes: UsageBox[];
  totals: { boxes: number; priceHourly: number; costSoFar: number; unpriced: number };
}

export interface UsageInput {
  table: PriceTable | null;
  /** Hetzner time. */
  nowMs: number;
  graceSecs: number;
  /** null: the whole project. */
  owner: string | null;
}

export function summarizeUsage(servers: Server[], input: UsageInput): UsageReport {
  const boxes = servers
    .filter((s) => isCrabboxOwned(s.labels) && (input.owner === null || s.labels.owner === input.owner))
    .map((server) => usageBox(server, input))
    .sort(byExpense);
  const sum = (pick: (box: UsageBox) => number | null) =>
    roundMoney(boxes.reduce((total, box) => total + (pick(box) ?? 0), 0));
  return {
    scope: input.owner === null ? "project" : "owner",
    owner: input.owner,
    currency: CURRENCY,
    priceBasis: PRICE_BASIS,
    boxes,
    totals: {
      boxes: boxes.length,
      priceHourly: sum((b) => b.priceHourly),
      costSoFar: sum((b) => b.costSoFar),
      unpriced: boxes.filter((b) => b.priceHourly === null).length,
    },
  };
}

function usageBox(server: Server, input: UsageInput): UsageBox {
  const verdict = decideServer(server, input.nowMs, input.graceSecs);
  const cost = serverCost(input.table, server, input.nowMs);
  return {
    id: server.labels.lease,
    slug: server.labels.slug ?? null,
    serverId: server.id,
    owner: server.labels.owner ?? null,
    state: server.labels.state ?? null,
    serverType: server.serverType,
    location: server.location,
    createdAt: formatIso(server.createdMs),
    priceHourly: cost.priceHourly,
    costSoFar: cost.costSoFar,
    sweep: verdict.decision,
    why: verdict.reason,
    sweepAt: verdict.deadlineMs === null ? null : formatIso(verdict.deadlineMs),
  };
}

function byExpense(a: UsageBox, b: UsageBox): number {
  const price = (b.priceHourly ?? -1) - (a.priceHourly ?? -1);
  if (price !== 0) return price;
  const sofar = (b.costSoFar ?? -1) - (a.costSoFar ?? -1);
  return sofar !== 0 ? sofar : a.createdAt.localeCompare(b.createdAt);
}

/** One list call; prices from the cache or one GET /server_types, fetched alongside. */
export async function usageReport(
  api: HetznerApi,
  prices: PriceSource,
  options: { owner: string | null; graceSecs: number; signal?: AbortSignal },
): Promise<UsageReport> {
  const table = prices.table();
  const servers = await api.listServers({ labelSelector: crabboxServers() }, { signal: options.signal });
  return summarizeUsage(servers, {
    table: await table,
    nowMs: api.now(),
    graceSecs: options.graceSecs,
    owner: options.owner,
  });
}
