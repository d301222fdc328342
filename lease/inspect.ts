/** Read-only views for list and status: never touches labels (SPEC §2.8, §2.9). */
import type { Deps } from "../core/deps.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { isCrabboxOwned } from "../labels/ownership.ts";
import { crabboxServers } from "../labels/selectors.ts";
import { type LeaseObject, toLeaseObject } from "../labels/lease_view.ts";
import { hasLocalKey, readLeaseRecord } from "./store.ts";
import { type PriceTable, serverCost } from "./cost.ts";
import type { PriceSource } from "./prices.ts";

export interface ListFilter {
  mine?: string;
  pool?: string;
  /** A normalized pond name. */
  pond?: string;
  all?: boolean;
}

export interface ListedLease {
  lease: LeaseObject;
  foreign: boolean;
}

/** What a lease's cost is computed from: the price table and Hetzner time. */
export interface Pricing {
  table: PriceTable | null;
  nowMs: number;
}

/** The table (null without a source) and Hetzner's time now. */
export async function pricingNow(api: HetznerApi, prices: PriceSource | undefined): Promise<Pricing> {
  return { table: (await prices?.table()) ?? null, nowMs: api.now() };
}

export async function listLeases(
  deps: Deps,
  api: HetznerApi,
  filter: ListFilter,
  signal?: AbortSignal,
  prices?: PriceSource,
): Promise<ListedLease[]> {
  // Started first: a cold cache's GET /server_types goes out beside the listing.
  const table = prices?.table();
  const servers = await api.listServers({ labelSelector: crabboxServers() }, { signal });
  const pricing = { table: (await table) ?? null, nowMs: api.now() };
  const rows: ListedLease[] = [];
  for (const server of servers) {
    const owned = isCrabboxOwned(server.labels);
    if (!owned && !filter.all) continue;
    if (filter.mine && server.labels.owner !== filter.mine) continue;
    if (filter.pool && server.labels.pool !== filter.pool) continue;
    if (filter.pond && server.labels.pond !== filter.pond) continue;
    rows.push({ lease: await leaseView(deps, server, pricing), foreign: !owned });
  }
  return rows.sort((a, b) => a.lease.createdAt.localeCompare(b.lease.createdAt));
}

export async function leaseView(deps: Deps, server: Server, pricing?: Pricing): Promise<LeaseObject> {
  const leaseId = server.labels.lease ?? "";
  const record = leaseId ? await readLeaseRecord(deps, leaseId) : null;
  return toLeaseObject(server, {
    localKey: leaseId ? await hasLocalKey(deps, leaseId) : false,
    sshPort: record?.sshPort ?? undefined,
    sshUser: record?.sshUser,
    ports: record?.sshPorts,
    cost: pricing && serverCost(pricing.table, server, pricing.nowMs),
  });
}
