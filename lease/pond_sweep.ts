/**
 * The sweep's pond networks (docs/ponds.md): one is deleted once no live member references it — no
 * server left with its pond label after this sweep's deletes, none attached — and it is older than the
 * grace (a first member's create may sit between its network and its server). A fresh GET decides.
 */
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { decideNetwork, type NetworkSweepReason, pondNetworksSelector } from "../labels/pond.ts";

export interface NetworkItem {
  id: number;
  name: string;
  pond: string | null;
  ipRange: string;
  reason: NetworkSweepReason;
  result: "deleted" | "would_delete" | "skipped" | "failed";
  error: string | null;
}

export async function sweepPondNetworks(
  api: HetznerApi,
  /** The sweep's listing, and the leases it deleted. */
  servers: Server[],
  deletedLeases: Set<string>,
  options: { dryRun: boolean; graceSecs: number; signal?: AbortSignal },
): Promise<NetworkItem[]> {
  const { signal } = options;
  const networks = await api.listNetworks({ labelSelector: pondNetworksSelector() }, { signal });
  const deleted = (s: Server) => !!s.labels.lease && deletedLeases.has(s.labels.lease);
  const live = servers.filter((s) => !deleted(s));
  const deletedIds = new Set(servers.filter(deleted).map((s) => s.id));
  const membersOf = (pond: string | undefined) => live.filter((s) => pond && s.labels.pond === pond).length;
  const items: NetworkItem[] = [];
  for (const network of networks.sort((a, b) => a.id - b.id)) {
    // Servers this sweep deleted may still be listed as attached for a moment; any other one counts.
    const attached = network.serverIds.filter((id) => !deletedIds.has(id));
    const verdict = decideNetwork(
      { ...network, serverIds: attached },
      membersOf(network.labels.pond),
      api.now(),
      options.graceSecs,
    );
    const item: NetworkItem = {
      id: network.id,
      name: network.name,
      pond: network.labels.pond ?? null,
      ipRange: network.ipRange,
      reason: verdict.reason,
      result: verdict.decision === "skip" ? "skipped" : options.dryRun ? "would_delete" : "deleted",
      error: null,
    };
    items.push(item);
    if (item.result !== "deleted") continue;
    try {
      const fresh = await api.getNetwork(network.id, { signal });
      const stillAttached = (fresh?.serverIds ?? []).filter((id) => !deletedIds.has(id));
      if (fresh && stillAttached.length > 0) {
        item.result = "skipped";
        item.reason = "has_members";
        continue;
      }
      if (fresh) await api.deleteNetwork(network.id, { signal });
    } catch (error) {
      item.result = "failed";
      item.error = error instanceof Error ? error.message : String(error);
    }
  }
  return items;
}
