/**
 * A label write merges crabbox keys onto the current map and PUTs it (Hetzner replaces the whole map):
 * after a GET (which also refreshes the Hetzner clock offset, SPEC §3.2, §3.5), or — touchKnown — onto a
 * copy this process itself read or got back from its last PUT moments ago.
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

/**
 * A copy of the server this process read or wrote itself at `atMs` (Hetzner time): a label write may merge
 * onto it without a GET while it is younger than KNOWN_MAX_AGE_MS — the same window as the shortest
 * heartbeat, so nothing another process wrote meanwhile is older than one heartbeat could overwrite anyway.
 * Every PUT answer carries the labels Hetzner now holds and a Date header, so the clock offset stays fresh.
 */
export interface KnownServer {
  server: Server;
  atMs: number;
}

export const KNOWN_MAX_AGE_MS = 60_000;

export function known(api: HetznerApi, server: Server): KnownServer {
  return { server, atMs: api.now() };
}

/** touchServer without the GET when the known copy is fresh (one request instead of two). */
export async function touchKnown(
  api: HetznerApi,
  current: KnownServer,
  touch: Touch,
  signal?: AbortSignal,
): Promise<KnownServer> {
  if (api.now() - current.atMs > KNOWN_MAX_AGE_MS) {
    return known(api, await touchServer(api, current.server.id, touch, signal));
  }
  const labels = touchLabels(current.server.labels, Math.floor(api.now() / 1000), touch);
  return known(api, await api.replaceServerLabels(current.server.id, labels, { signal }));
}
