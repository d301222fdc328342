/** Read-only views for list and status: never touches labels (SPEC §2.8, §2.9). */
import type { Deps } from "../core/deps.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { isCrabboxOwned } from "../labels/ownership.ts";
import { crabboxServers } from "../labels/selectors.ts";
import { type LeaseObject, toLeaseObject } from "../labels/lease_view.ts";
import { hasLocalKey, readLeaseRecord } from "./store.ts";

export interface ListFilter {
  mine?: string;
  pool?: string;
  all?: boolean;
}

export interface ListedLease {
  lease: LeaseObject;
  foreign: boolean;
}

export async function listLeases(
  deps: Deps,
  api: HetznerApi,
  filter: ListFilter,
  signal?: AbortSignal,
): Promise<ListedLease[]> {
  const servers = await api.listServers({ labelSelector: crabboxServers() }, { signal });
  const rows: ListedLease[] = [];
  for (const server of servers) {
    const owned = isCrabboxOwned(server.labels);
    if (!owned && !filter.all) continue;
    if (filter.mine && server.labels.owner !== filter.mine) continue;
    if (filter.pool && server.labels.pool !== filter.pool) continue;
    rows.push({ lease: await leaseView(deps, server), foreign: !owned });
  }
  return rows.sort((a, b) => a.lease.createdAt.localeCompare(b.lease.createdAt));
}

export async function leaseView(deps: Deps, server: Server): Promise<LeaseObject> {
  const leaseId = server.labels.lease ?? "";
  const record = leaseId ? await readLeaseRecord(deps, leaseId) : null;
  return toLeaseObject(server, {
    localKey: leaseId ? await hasLocalKey(deps, leaseId) : false,
    sshPort: record?.sshPort ?? undefined,
  });
}
