/**
 * Background heartbeat (SPEC §3.5): while a run holds a box, touch its labels every idle/3 (clamped
 * to 1–5 minutes) so a long command is never reaped by its idle timeout. Failures warn once per
 * streak and never fail the run; a TTL deadline 10 minutes away warns once.
 */
import type { Clock } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { formatClock } from "../core/format.ts";
import { formatDurationMs } from "../core/duration.ts";
import { decodeLeaseLabels } from "../labels/codec.ts";
import { touchServer } from "./labels_write.ts";

export function heartbeatIntervalMs(idleSecs: number): number {
  return Math.min(300_000, Math.max(60_000, (idleSecs * 1000) / 3));
}

export interface Heartbeat {
  stop(): Promise<void>;
}

const TTL_WARNING_MS = 600_000;

export function startHeartbeat(input: {
  api: HetznerApi;
  clock: Clock;
  out: Output;
  serverId: number;
  leaseId: string;
  idleSecs: number;
  graceSecs: number;
  /** Every label write, for the lease record's remembered copy. */
  onWrite?: (server: Server) => Promise<void>;
}): Heartbeat {
  const { api, clock, out } = input;
  const controller = new AbortController();
  const intervalMs = heartbeatIntervalMs(input.idleSecs);
  let failing = false;
  let warnedTtl = false;
  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        await clock.sleep(intervalMs, controller.signal);
      } catch {
        return;
      }
      try {
        const server = await touchServer(api, input.serverId, {}, controller.signal);
        await input.onWrite?.(server);
        failing = false;
        const ttlSecs = decodeLeaseLabels(server.labels).ttlSecs;
        const deadline = ttlSecs === null ? null : server.createdMs + ttlSecs * 1000;
        if (!warnedTtl && deadline !== null && deadline - api.now() <= TTL_WARNING_MS) {
          warnedTtl = true;
          out.warn(
            `${input.leaseId} reaches its ttl cap at ${formatClock(deadline)} (in ${
              formatDurationMs(Math.max(0, deadline - api.now()))
            }); after that it is swept even while running (grace ${
              formatDurationMs(input.graceSecs * 1000)
            })`,
          );
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        if (!failing) {
          out.warn(`heartbeat for ${input.leaseId} failed: ${(error as Error).message}; retrying`);
        }
        failing = true;
      }
    }
  })();
  return {
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
