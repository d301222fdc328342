/**
 * A label write merges crabbox keys onto the current map and PUTs it (Hetzner replaces the whole map):
 * after a GET (which also refreshes the Hetzner clock offset, SPEC §3.2, §3.5), or — touchKnown — onto a
 * copy this process itself read or got back from its last PUT moments ago.
 */
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { touchLabels } from "../labels/codec.ts";
import { notFoundError } from "../core/errors.ts";
import type { Deps } from "../core/deps.ts";
import { type LastWrite, type LeaseRecord, readLeaseRecord, writeLeaseRecord } from "./store.ts";

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
 * `now` is Hetzner's clock for a copy remembered by an earlier process (this one has no Date header yet).
 */
export interface KnownServer {
  server: Server;
  atMs: number;
  now?: () => number;
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
  const now = current.now?.() ?? api.now();
  if (now - current.atMs > KNOWN_MAX_AGE_MS) {
    return known(api, await touchServer(api, current.server.id, touch, signal));
  }
  const labels = touchLabels(current.server.labels, Math.floor(now / 1000), touch);
  return known(api, await api.replaceServerLabels(current.server.id, labels, { signal }));
}

/**
 * The labels as this machine last wrote them (lease.json `lastWrite`), so the next run's first write needs
 * no GET. Trusted only while every writer it could miss is ruled out:
 * - every label write crabbox makes for a lease with a local record is remembered here (run, its heartbeat,
 *   `heartbeat`, `ssh`, `status --wait`, warmup), so no other CLI on this machine is ever overwritten;
 * - only a `ready` copy: one saying leased/running was cut short (or another run holds the box);
 * - the run re-reads it after taking the box lock, so the previous holder's last write is in it; its one
 *   write before the lock (running, sent with the lock channel) is written again after a GET when the lock
 *   came only after a wait;
 * - only for KNOWN_MAX_AGE_MS: a CLI on another machine writing within that minute is the one gap left,
 *   the same window an in-process copy has always had (SPEC §3.5).
 */
export function rememberedCopy(
  deps: Pick<Deps, "clock">,
  record: LeaseRecord | null,
  options: { anyState?: boolean } = {},
): KnownServer | null {
  const last = record?.lastWrite;
  if (!last || last.server.labels.lease !== record!.id) return null;
  if (!options.anyState && last.server.labels.state !== "ready") return null;
  const now = () => deps.clock.now() + last.offsetMs;
  const age = now() - last.atMs;
  if (age < 0 || age > KNOWN_MAX_AGE_MS) return null;
  return { server: last.server, atMs: last.atMs, now };
}

/** The later of two copies (the run's own, and what another process on this machine wrote since). */
export function newest(a: KnownServer, b: KnownServer | null): KnownServer {
  return b && b.server.id === a.server.id && b.atMs > a.atMs ? b : a;
}

/** Records a label write (or a fresh read) in the lease's local record, when this machine holds one. */
export async function rememberServer(
  deps: Pick<Deps, "fs" | "env" | "system" | "clock">,
  api: HetznerApi,
  server: Server,
): Promise<void> {
  const leaseId = server.labels.lease;
  if (!leaseId) return;
  const record = await readLeaseRecord(deps, leaseId);
  if (!record || record.serverId !== server.id) return;
  const atMs = api.now();
  const lastWrite: LastWrite = { server, atMs, offsetMs: atMs - deps.clock.now() };
  await writeLeaseRecord(deps, { ...record, lastWrite }).catch(() => {});
}
