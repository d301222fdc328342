/**
 * Which pool boxes a claim tries, in order (SPEC §8.3 steps 2–3). Pure: labels and the API clock in,
 * candidates out. The box lock still decides; this only keeps hopeless tries (and API calls) out.
 */
import type { Server } from "../providers/hetzner/port.ts";
import { decodeLeaseLabels } from "../labels/codec.ts";
import { isCrabboxOwned } from "../labels/ownership.ts";
import { heartbeatIntervalMs } from "./heartbeat.ts";
import { KEYS } from "../config/schema.ts";

export interface PoolCandidate {
  server: Server;
  /** Labelled leased/running by a holder that stopped touching it: reclaimed only if its lock is free. */
  reclaim: boolean;
}

const BUSY = new Set(["leased", "running"]);
/** A box without an idle label (another tool's) is judged by crabbox's own default idle timeout. */
const DEFAULT_IDLE_SECS = KEYS.idleTimeout.default as number;

export function rankPoolCandidates(servers: Server[], pool: string, nowMs: number): PoolCandidate[] {
  const ready: Server[] = [];
  const stale: Server[] = [];
  for (const server of servers) {
    const labels = decodeLeaseLabels(server.labels);
    if (!isCrabboxOwned(server.labels) || server.labels.pool !== pool || !server.ipv4) continue;
    if (labels.expiresAtSecs !== null && labels.expiresAtSecs * 1000 <= nowMs) continue;
    if (labels.ttlSecs !== null && server.createdMs + labels.ttlSecs * 1000 <= nowMs) continue;
    if (labels.state === "ready") ready.push(server);
    else if (BUSY.has(labels.state ?? "")) {
      // A live holder touches every heartbeat interval; two missed beats mean it is probably gone.
      const touchedMs = (labels.lastTouchedAtSecs ?? 0) * 1000;
      if (nowMs - touchedMs > 2 * heartbeatIntervalMs(labels.idleSecs ?? DEFAULT_IDLE_SECS)) {
        stale.push(server);
      }
    }
  }
  const touched = (s: Server) => decodeLeaseLabels(s.labels).lastTouchedAtSecs ?? 0;
  return [
    ...ready.sort((a, b) => touched(b) - touched(a)).map((server) => ({ server, reclaim: false })),
    ...stale.sort((a, b) => touched(a) - touched(b)).map((server) => ({ server, reclaim: true })),
  ];
}
