/**
 * The cost model (docs/cost.md), pure: Hetzner bills a server from its creation, per started hour, and
 * never more than the monthly price in a month. Prices are net (VAT excluded) everywhere, as Hetzner's
 * price list shows them; the figures are estimates, not the invoice.
 */
import type { Server, ServerType } from "../providers/hetzner/port.ts";
import type { LeaseCostFields } from "../labels/lease_view.ts";

/** GET /server_types names no currency; Hetzner Cloud prices and invoices are in euros. */
export const CURRENCY = "EUR";
/** Which of Hetzner's two prices every figure uses. */
export const PRICE_BASIS = "net";

const HOUR_MS = 3600_000;

export interface Price {
  /** Net price per started hour. */
  hourly: number;
  /** Net monthly price: the most one month of this server costs. */
  monthly: number;
}

/** server type → location → price. */
export type PriceTable = Record<string, Record<string, Price>>;

export function priceTableFrom(types: ServerType[]): PriceTable {
  const table: PriceTable = {};
  for (const type of types) {
    for (const price of type.prices) {
      (table[type.name] ??= {})[price.location] = { hourly: price.hourly.net, monthly: price.monthly.net };
    }
  }
  return table;
}

/** null when the table is missing, or has no price for this type in this location. */
export function priceOf(table: PriceTable | null, serverType: string, location: string | null): Price | null {
  if (!table || location === null || !Object.hasOwn(table, serverType)) return null;
  const price = Object.hasOwn(table[serverType], location) ? table[serverType][location] : null;
  // The table may come from a cache file: only finite numbers count.
  return price && Number.isFinite(price.hourly) && Number.isFinite(price.monthly) ? price : null;
}

/** Started hours at `atMs`: the first hour starts at creation; nothing is billed before it. */
export function startedHours(createdMs: number, atMs: number): number {
  if (atMs < createdMs) return 0;
  return Math.max(1, Math.ceil((atMs - createdMs) / HOUR_MS));
}

/**
 * What the server has cost by `atMs` (what deleting it then would be billed): started hours times the
 * hourly price, capped at the monthly price. Servers living past a month are rare here (ttl ≤ 168h),
 * so the cap is applied once, not per calendar month.
 */
export function billedAt(price: Price, createdMs: number, atMs: number): number {
  return Math.min(startedHours(createdMs, atMs) * price.hourly, price.monthly);
}

/** The part of a server's bill that falls between two moments (a run on a warm box, or a fresh one). */
export function billedBetween(price: Price, createdMs: number, fromMs: number, toMs: number): number {
  return billedAt(price, createdMs, toMs) - billedAt(price, createdMs, fromMs);
}

/**
 * What a run added to its server's bill: all of it for a box the run created (fromMs -Infinity), the
 * hours it started on a warm one. null when the price is unknown.
 */
export function runCost(
  table: PriceTable | null,
  server: Pick<Server, "serverType" | "location" | "createdMs">,
  fromMs: number,
  toMs: number,
): number | null {
  const price = priceOf(table, server.serverType, server.location);
  return price && roundMoney(billedBetween(price, server.createdMs, fromMs, toMs));
}

/**
 * The run summary's cost fields. A run on a box it created: `cost=` its whole bill (`?` when the price is
 * unknown). A warm run (--id, a pool box): `cost=` only when it started a billed hour (a run inside an hour
 * already paid adds nothing, and `cost=€0.0000` read like a missing price), then `box_cost=`, the lease's
 * bill so far, which is what keeping the box costs.
 */
export function runCostFields(
  table: PriceTable | null,
  server: Pick<Server, "serverType" | "location" | "createdMs">,
  fromMs: number,
  toMs: number,
): string[] {
  const cost = runCost(table, server, fromMs, toMs);
  if (fromMs === -Infinity) return [`cost=${formatMoney(cost)}`];
  const added = cost !== null && cost > 0 ? [`cost=${formatMoney(cost)}`] : [];
  return [...added, `box_cost=${formatMoney(serverCost(table, server, toMs).costSoFar)}`];
}

export const UNPRICED: LeaseCostFields = { priceHourly: null, costSoFar: null, currency: null };

/** The cost fields of a lease object: a server's price in its location and its bill at `nowMs`. */
export function serverCost(
  table: PriceTable | null,
  server: Pick<Server, "serverType" | "location" | "createdMs">,
  nowMs: number,
): LeaseCostFields {
  const price = priceOf(table, server.serverType, server.location);
  if (!price) return UNPRICED;
  return {
    priceHourly: roundMoney(price.hourly),
    costSoFar: roundMoney(billedAt(price, server.createdMs, nowMs)),
    currency: CURRENCY,
  };
}

/** To a millionth: decimal prices times whole hours, without binary fractions like 0.035699999. */
export function roundMoney(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}

/** €0.0119 below one euro (hourly prices need four places), €12.34 above; "?" when unknown. */
export function formatMoney(amount: number | null): string {
  if (amount === null) return "?";
  return `€${amount.toFixed(amount < 1 ? 4 : 2)}`;
}
