/**
 * Budget guardrails (docs/cost.md): `budget.maxActive` boxes and `budget.maxHourly` euros per hour, for
 * this owner or the whole project, judged from labels before every create. decideBudget is pure; a
 * refusal is exit 8 and names the limit, the current figure and what `sweep` or `stop` would free.
 */
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { CrabboxError } from "../core/errors.ts";
import { crabboxServers } from "../labels/selectors.ts";
import { formatMoney, priceOf, type PriceTable, roundMoney } from "./cost.ts";
import { summarizeUsage, type UsageReport } from "./usage.ts";
import type { PriceSource } from "./prices.ts";
import type { CrabboxConfig } from "../config/schema.ts";

export type BudgetScope = CrabboxConfig["budget"]["scope"];

export interface BudgetPolicy {
  /** Most boxes alive at once; 0 = no limit. */
  maxActive: number;
  /** Most euros per hour (net) the boxes may burn together; 0 = no limit. */
  maxHourly: number;
  scope: BudgetScope;
  /** The sweep's grace (sweep.grace), to tell which boxes a sweep would free. */
  graceSecs: number;
}

export interface BudgetRequest {
  /** The boxes about to be created. */
  count: number;
  /** What one of them costs per hour (the dearest type it may fall back to); null: unknown. */
  hourly: number | null;
  /** For messages: `ccx13`. */
  serverType: string;
}

export type BudgetVerdict =
  | { ok: true; unchecked: string | null }
  | { ok: false; limit: "maxActive" | "maxHourly"; message: string };

export const hasBudget = (policy: BudgetPolicy) => policy.maxActive > 0 || policy.maxHourly > 0;

function scopeText(usage: UsageReport): string {
  return usage.scope === "owner" ? `owner ${usage.owner}` : "whole project";
}

const boxes = (n: number) => `${n} box${n === 1 ? "" : "es"}`;

/** What a `crabbox sweep` (due boxes) or a `crabbox stop` (the dearest others) would free. */
export function freeable(usage: UsageReport): string {
  const due = usage.boxes.filter((b) => b.sweep === "delete");
  const live = usage.boxes.filter((b) => b.sweep === "skip").slice(0, 3);
  const parts = [
    ...(due.length ? [`crabbox sweep frees ${due.map((b) => b.slug ?? b.id).join(", ")}`] : []),
    ...live.map((b) => `crabbox stop ${b.slug ?? b.id} frees ${formatMoney(b.priceHourly)}/h`),
  ];
  return parts.length ? parts.join("; ") : "no box of this scope is alive";
}

function refusal(limit: "maxActive" | "maxHourly", what: string, usage: UsageReport): BudgetVerdict {
  return { ok: false, limit, message: `over budget: ${what}; nothing created; ${freeable(usage)}` };
}

export function decideBudget(
  policy: BudgetPolicy,
  usage: UsageReport,
  request: BudgetRequest,
): BudgetVerdict {
  const scope = scopeText(usage);
  const { count, hourly, serverType } = request;
  const live = usage.totals.boxes;
  if (policy.maxActive > 0 && live + count > policy.maxActive) {
    const alive = `${boxes(live)} ${live === 1 ? "is" : "are"} alive`;
    const limit = `budget.maxActive is ${boxes(policy.maxActive)} (${scope})`;
    return refusal("maxActive", `${limit} and ${alive}; ${count} more would make ${live + count}`, usage);
  }
  if (policy.maxHourly <= 0) return { ok: true, unchecked: null };
  if (hourly === null) {
    return { ok: true, unchecked: `budget.maxHourly not checked: no price known for ${serverType}` };
  }
  const now = usage.totals.priceHourly;
  const after = roundMoney(now + count * hourly);
  if (after <= policy.maxHourly) return { ok: true, unchecked: null };
  const limit = `budget.maxHourly is ${formatMoney(policy.maxHourly)}/h (${scope})`;
  const unpriced = usage.totals.unpriced
    ? ` (${boxes(usage.totals.unpriced)} of unknown price not counted)`
    : "";
  const adding = `${count} × ${serverType} at ${formatMoney(hourly)}/h would make ${formatMoney(after)}/h`;
  return refusal(
    "maxHourly",
    `${limit} and the boxes burn ${formatMoney(now)}/h${unpriced}; ${adding}`,
    usage,
  );
}

/** The dearest price among the types and locations a create may try (fallbacks included). */
export function dearestPrice(
  table: PriceTable | null,
  serverTypes: string[],
  locations: string[],
): number | null {
  const prices = serverTypes.flatMap((type) =>
    (locations.length ? locations : Object.keys(table?.[type] ?? {})).map((l) =>
      priceOf(table, type, l)?.hourly
    )
  ).filter((p): p is number => p !== undefined);
  return prices.length ? Math.max(...prices) : null;
}

/** What is about to be created: `count` boxes of the first of these types that Hetzner accepts. */
export interface CreatePlan {
  count: number;
  serverTypes: string[];
  locations: string[];
}

export interface BudgetCheck {
  policy: BudgetPolicy;
  owner: string;
  table: PriceTable | null;
  nowMs: number;
  plan: CreatePlan;
  warn: (message: string) => void;
}

/** Throws the refusal (exit 8); an unchecked maxHourly (no price) is a warning, never a failure. */
export function enforceBudget(servers: Server[], check: BudgetCheck): void {
  if (!hasBudget(check.policy)) return;
  const usage = summarizeUsage(servers, {
    table: check.table,
    nowMs: check.nowMs,
    graceSecs: check.policy.graceSecs,
    owner: check.policy.scope === "owner" ? check.owner : null,
  });
  const { count, serverTypes, locations } = check.plan;
  const verdict = decideBudget(check.policy, usage, {
    count,
    hourly: dearestPrice(check.table, serverTypes, locations),
    serverType: serverTypes[0],
  });
  if (verdict.ok) {
    if (verdict.unchecked) check.warn(verdict.unchecked);
    return;
  }
  throw new CrabboxError("budget", verdict.message, {
    hint: `or raise budget.${verdict.limit} in your config (crabbox usage shows every box)`,
  });
}

/** warmup --count N: one list call for all N before the first create (parallel creates list too early). */
export async function enforceBudgetFor(
  api: HetznerApi,
  prices: PriceSource,
  check: Omit<BudgetCheck, "table" | "nowMs">,
  signal?: AbortSignal,
): Promise<void> {
  if (!hasBudget(check.policy)) return;
  const table = prices.table();
  const servers = await api.listServers({ labelSelector: crabboxServers() }, { signal });
  enforceBudget(servers, { ...check, table: await table, nowMs: api.now() });
}
