/**
 * Every label write is GET → merge crabbox keys → PUT (Hetzner replaces the whole map), and the GET
 * refreshes the Hetzner clock offset first (SPEC §3.2, §3.5).
 */
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { touchLabels } from "../labels/codec.ts";
import { notFoundError } from "../core/errors.ts";

export interface Touch {
  state?: string;
  /** null removes the run label. */
  run?: string | null;
  keep?: boolean;
  idleSecs?: number;
}

export async function touchServer(
  api: HetznerApi,
  serverId: number,
  touch: Touch,
  signal?: AbortSignal,
): Promise<Server> {
  const current = await api.getServer(serverId, { signal });
  if (!current) {
    throw notFoundError(`server ${serverId} no longer exists`, "it was deleted; start a new lease");
  }
  const labels = touchLabels(current.labels, Math.floor(api.now() / 1000), touch);
  return await api.replaceServerLabels(serverId, labels, { signal });
}
