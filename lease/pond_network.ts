/**
 * A pond's private Network (docs/ponds.md): found by its labels, or created by the first member.
 * Two CLIs racing for the same pond end with one network: the name `crabbox-pond-<pond>` is unique in a
 * project (a second POST gets 409 uniqueness_error and adopts), and should two land anyway, every CLI
 * lists by label after its create and keeps the lowest id; a CLI whose own network lost deletes it.
 */
import type { CallOptions, HetznerApi, Network } from "../providers/hetzner/port.ts";
import { HetznerApiError } from "../providers/hetzner/errors.ts";
import { configError, CrabboxError, usageError } from "../core/errors.ts";
import {
  choosePondSubnet,
  isPondNetwork,
  networkZoneOf,
  pondNetworkLabels,
  pondNetworkName,
  pondNetworksSelector,
} from "../labels/pond.ts";

export interface PondNetworkRequest {
  pond: string;
  owner: string;
  /** Config pond.ipRange. */
  ipRange: string;
  /** The member's candidate locations: the first picks a new network's zone. */
  locations: string[];
}

/** The pond's networks crabbox made, lowest id first (the first one is the pond's). */
export async function pondNetworks(
  api: HetznerApi,
  pond: string,
  options: CallOptions = {},
): Promise<Network[]> {
  const networks = await api.listNetworks({ labelSelector: pondNetworksSelector(pond) }, options);
  return networks.filter((n) => isPondNetwork(n) && n.labels.pond === pond).sort((a, b) => a.id - b.id);
}

export async function ensurePondNetwork(
  api: HetznerApi,
  request: PondNetworkRequest,
  notify: (message: string) => void,
  signal?: AbortSignal,
): Promise<Network> {
  const [existing] = await pondNetworks(api, request.pond, { signal });
  if (existing) return existing;
  const all = await api.listNetworks({ labelSelector: pondNetworksSelector() }, { signal });
  const subnet = choosePondSubnet(request.pond, request.ipRange, all.map((n) => n.ipRange));
  if (!subnet) {
    throw configError(
      `pond.ipRange ${request.ipRange} has no free /24 left for pond ${request.pond}`,
      "release unused ponds (crabbox pond list), or set a larger pond.ipRange",
    );
  }
  let created: Network | null = null;
  let failure: HetznerApiError | null = null;
  try {
    created = await api.createNetwork({
      name: pondNetworkName(request.pond),
      ipRange: subnet,
      networkZone: networkZoneOf(request.locations[0]),
      labels: pondNetworkLabels(request.pond, request.owner),
    }, { signal });
    notify(`created network ${created.id} ${created.name} ${created.ipRange} for pond ${request.pond}`);
  } catch (error) {
    // Taken name: another CLI won the race. Ambiguous: ours may have landed. Either way, look it up.
    if (!(error instanceof HetznerApiError) || !(error.code === "uniqueness_error" || error.ambiguous)) {
      throw error;
    }
    failure = error;
  }
  const [winner] = await pondNetworks(api, request.pond, { signal });
  if (created && winner && winner.id !== created.id) {
    notify(`pond ${request.pond} already has network ${winner.id}; deleting our ${created.id}`);
    await api.deleteNetwork(created.id, { signal });
  }
  const network = winner ?? created;
  if (!network) {
    throw new CrabboxError("provider", `could not create the network of pond ${request.pond}`, {
      hint: "retry; crabbox sweep removes a half-made one",
      cause: failure,
    });
  }
  return network;
}

/** The locations a member may take: those in its network's zone (Hetzner networks span one zone). */
export function locationsInZone(network: Network, locations: string[]): string[] {
  const zone = network.subnets[0]?.networkZone;
  if (!zone || locations.length === 0) return locations;
  const inZone = locations.filter((l) => networkZoneOf(l) === zone);
  if (inZone.length === 0) {
    throw usageError(
      `pond ${network.labels.pond}'s network ${network.id} is in network zone ${zone}, none of ${
        locations.join(", ")
      } is`,
      `pass a --location in ${zone} (e.g. fsn1, nbg1, hel1 for eu-central)`,
    );
  }
  return inZone;
}
