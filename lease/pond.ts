/**
 * `crabbox pond list|peers|release` (docs/ponds.md). A pond has no object of its own: it is the servers
 * labelled `pond=<name>` and the private Network crabbox made for them, both found by label.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi, Network, Server } from "../providers/hetzner/port.ts";
import { HetznerApiError } from "../providers/hetzner/errors.ts";
import { isCrabboxOwned } from "../labels/ownership.ts";
import { HOSTS_SUFFIX, isPondNetwork, pondNetworksSelector, privateIpOf } from "../labels/pond.ts";
import { crabboxServers } from "../labels/selectors.ts";
import { pondMembers } from "./pond_hosts.ts";
import { pondNetworks } from "./pond_network.ts";
import { releaseServer } from "./release.ts";

export interface PondContext {
  deps: Deps;
  api: HetznerApi;
  out: Output;
  signal?: AbortSignal;
}

export interface PondNetworkView {
  id: number;
  ipRange: string;
}

export interface PondSummary {
  pond: string;
  network: PondNetworkView | null;
  members: number;
  slugs: string[];
}

export interface PondPeer {
  slug: string | null;
  leaseId: string | null;
  serverId: number;
  state: string | null;
  privateIp: string | null;
  publicIp: string | null;
  /** "private" once the member has an IP on the pond network; "pending" until then. */
  transport: "private" | "pending";
  /** What a peer dials: `<slug>.cbx` (on every member's /etc/hosts); null while pending. */
  endpoint: string | null;
}

export interface PondPeers {
  pond: string;
  network: PondNetworkView | null;
  members: PondPeer[];
}

const networkView = (n: Network | undefined): PondNetworkView | null =>
  n ? { id: n.id, ipRange: n.ipRange } : null;

/** Every pond in the project: from the members' labels and the pond networks (an empty pond shows too). */
export async function listPonds(ctx: PondContext): Promise<PondSummary[]> {
  const { api, signal } = ctx;
  const [servers, networks] = await Promise.all([
    api.listServers({ labelSelector: crabboxServers() }, { signal }),
    api.listNetworks({ labelSelector: pondNetworksSelector() }, { signal }),
  ]);
  const ponds = new Map<string, PondSummary>();
  const entry = (pond: string) =>
    ponds.get(pond) ?? ponds.set(pond, { pond, network: null, members: 0, slugs: [] }).get(pond)!;
  for (const network of networks.filter(isPondNetwork).sort((a, b) => a.id - b.id)) {
    const summary = entry(network.labels.pond);
    summary.network ??= networkView(network);
  }
  for (const server of servers) {
    const pond = server.labels.pond;
    if (!pond || !isCrabboxOwned(server.labels)) continue;
    const summary = entry(pond);
    summary.members++;
    if (server.labels.slug) summary.slugs.push(server.labels.slug);
  }
  return [...ponds.values()].map((p) => ({ ...p, slugs: p.slugs.sort() }))
    .sort((a, b) => a.pond.localeCompare(b.pond));
}

export async function pondPeers(ctx: PondContext, pond: string): Promise<PondPeers | null> {
  const [members, networks] = await Promise.all([
    pondMembers(ctx.api, pond, ctx.signal),
    pondNetworks(ctx.api, pond, { signal: ctx.signal }),
  ]);
  if (members.length === 0 && networks.length === 0) return null;
  const network = networks[0];
  return {
    pond,
    network: networkView(network),
    members: members.map((m) => peerOf(m, network?.id ?? null)),
  };
}

function peerOf(server: Server, networkId: number | null): PondPeer {
  const privateIp = networkId === null ? null : privateIpOf(server, networkId);
  const slug = server.labels.slug ?? null;
  return {
    slug,
    leaseId: server.labels.lease ?? null,
    serverId: server.id,
    state: server.labels.state ?? null,
    privateIp,
    publicIp: server.ipv4,
    transport: privateIp ? "private" : "pending",
    endpoint: privateIp && slug ? `${slug}${HOSTS_SUFFIX}` : null,
  };
}

export interface PondReleaseReport {
  pond: string;
  dryRun: boolean;
  members: {
    slug: string | null;
    leaseId: string | null;
    serverId: number;
    result: "released" | "gone" | "would_release" | "failed";
    error: string | null;
  }[];
  networks: {
    id: number;
    ipRange: string;
    result: "deleted" | "gone" | "would_delete" | "failed";
    error: string | null;
  }[];
}

/** The network outlives its last server by a moment on Hetzner (detaching is asynchronous). */
const NETWORK_DELETE_TRIES = 10;

/**
 * Stops every member (as `stop --force` would: a pond is released as a whole), then deletes the
 * pond's networks. Idempotent: a pond with nothing left reports empty lists.
 */
export async function releasePond(
  ctx: PondContext,
  pond: string,
  options: { dryRun: boolean },
): Promise<PondReleaseReport> {
  const { deps, api, out, signal } = ctx;
  const servers = await api.listServers({ labelSelector: `crabbox=true,pond=${pond}` }, { signal });
  const report: PondReleaseReport = { pond, dryRun: options.dryRun, members: [], networks: [] };
  for (const server of servers.filter((s) => s.labels.pond === pond && isCrabboxOwned(s.labels))) {
    const item: PondReleaseReport["members"][number] = {
      slug: server.labels.slug ?? null,
      leaseId: server.labels.lease ?? null,
      serverId: server.id,
      result: "would_release",
      error: null,
    };
    report.members.push(item);
    if (options.dryRun) continue;
    out.progress(`pond ${pond}: releasing ${item.slug ?? item.leaseId} (server ${server.id})`);
    try {
      item.result = (await releaseServer(deps, api, server, signal)).serverDeleted === "gone"
        ? "gone"
        : "released";
    } catch (error) {
      item.result = "failed";
      item.error = (error as Error).message;
    }
  }
  for (const network of await pondNetworks(api, pond, { signal })) {
    const item: PondReleaseReport["networks"][number] = {
      id: network.id,
      ipRange: network.ipRange,
      result: "would_delete",
      error: null,
    };
    report.networks.push(item);
    if (options.dryRun) continue;
    try {
      item.result = await deleteNetworkPatiently(ctx, network.id);
    } catch (error) {
      item.result = "failed";
      item.error = (error as Error).message;
    }
  }
  return report;
}

async function deleteNetworkPatiently(ctx: PondContext, id: number): Promise<"deleted" | "gone"> {
  for (let attempt = 1;; attempt++) {
    try {
      return await ctx.api.deleteNetwork(id, { signal: ctx.signal });
    } catch (error) {
      const retry = error instanceof HetznerApiError && error.status === 409 &&
        attempt < NETWORK_DELETE_TRIES;
      if (!retry) throw error;
      await ctx.deps.clock.sleep(2_000, ctx.signal);
    }
  }
}
