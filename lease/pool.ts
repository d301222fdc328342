/**
 * Warm pools without a coordinator (SPEC §8.3): the box lock decides who gets a pool box; labels
 * are advisory. Only boxes whose key lives on this machine can be claimed.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { formatIso } from "../core/format.ts";
import { isCrabboxOwned } from "../labels/ownership.ts";
import { poolMembers } from "../labels/selectors.ts";
import { type PoolCandidate, rankPoolCandidates } from "./pool_rank.ts";
import { Box } from "./box.ts";
import { type HeldLock, tryLock } from "./box_lock.ts";
import { hasLocalKey, leasePaths, type LeaseRecord, pinHostKey, readLeaseRecord } from "./store.ts";
import { CrabboxError, usageError } from "../core/errors.ts";
import { rememberServer, touchServer } from "./labels_write.ts";
import type { LeaseShape } from "./acquire.ts";

/** SPEC §8.3: at most five lock tries per claim, ready boxes first. */
const MAX_CANDIDATES = 5;
const TERMINAL = new Set(["released", "failed", "expired"]);

export interface ClaimedBox {
  leaseId: string;
  server: Server;
  box: Box;
  lock: HeldLock;
}

/** What opening a box over ssh needs from the lease shape (or from status settings). */
export type BoxShape = Pick<
  LeaseShape,
  | "sshUser"
  | "sshPorts"
  | "workRoot"
  | "connectTimeoutSecs"
  | "controlPersist"
  | "sshConfigFile"
  | "readyCommand"
>;

export function boxFor(
  deps: Deps,
  out: Output,
  server: Server,
  shape: BoxShape,
  sshPort: number | null,
): Box {
  const leaseId = server.labels.lease;
  return new Box(deps, {
    leaseId,
    paths: leasePaths(deps, leaseId),
    user: shape.sshUser,
    host: server.ipv4!,
    ports: sshPort ? [sshPort, ...shape.sshPorts.filter((p) => p !== sshPort)] : shape.sshPorts,
    workRoot: shape.workRoot,
    connectTimeoutSecs: shape.connectTimeoutSecs,
    controlPersist: shape.controlPersist,
    sshConfigFile: shape.sshConfigFile,
    readyCommand: shape.readyCommand,
    debug: (line) => out.debug(line),
  });
}

/** A box for a lease created on this machine: needs its key here and an IPv4 (SPEC §2.11 wording). */
export async function openExistingBox(
  deps: Deps,
  out: Output,
  server: Server,
  shape: LeaseShape,
): Promise<{ box: Box; record: LeaseRecord }> {
  const leaseId = server.labels.lease;
  const record = await readLeaseRecord(deps, leaseId);
  if (!record || !(await hasLocalKey(deps, leaseId))) {
    throw usageError(
      `no SSH key for ${leaseId} on this machine (created by ${
        server.labels.owner ?? "unknown"
      }); use a lease created here`,
    );
  }
  if (!server.ipv4) {
    throw new CrabboxError("remote", `lease ${leaseId} has no IPv4 yet`, {
      hint: `crabbox status ${leaseId} --wait`,
    });
  }
  await pinHostKey(deps, leaseId);
  return { box: boxFor(deps, out, server, shape, record.sshPort), record };
}

/** Pool boxes this machine can use (it holds their keys), in claim order. One list request. */
async function poolCandidates(
  deps: Deps,
  api: HetznerApi,
  pool: string,
  signal?: AbortSignal,
): Promise<PoolCandidate[]> {
  const ranked = rankPoolCandidates(await poolServers(api, pool, signal), pool, api.now());
  const usable: PoolCandidate[] = [];
  for (const candidate of ranked) {
    if (await hasLocalKey(deps, candidate.server.labels.lease)) usable.push(candidate);
  }
  return usable;
}

/** Tries up to five candidates without waiting; null when none could be claimed. */
export async function claimPoolBox(
  ctx: { deps: Deps; api: HetznerApi; out: Output; signal: AbortSignal },
  input: { pool: string; shape: LeaseShape; runId: string; owner: string },
): Promise<ClaimedBox | null> {
  const { deps, api, out } = ctx;
  out.phase("lock", `claiming an idle box of pool ${input.pool}`);
  const candidates = (await poolCandidates(deps, api, input.pool, ctx.signal)).slice(0, MAX_CANDIDATES);
  for (const { server: candidate, reclaim } of candidates) {
    const leaseId = candidate.labels.lease;
    const record = await readLeaseRecord(deps, leaseId);
    const box = boxFor(deps, out, candidate, input.shape, record?.sshPort ?? null);
    await box.prepare();
    let attempt;
    try {
      attempt = await tryLock(box, {
        runId: input.runId,
        owner: input.owner,
        host: deps.system.hostname(),
        pid: deps.system.pid(),
        since: formatIso(api.now()),
      });
    } catch (error) {
      out.debug(`pool box ${leaseId} unusable: ${(error as Error).message}`);
      continue;
    }
    if (attempt.kind === "busy") continue;
    // The lock is ours; the labels must still describe the same pool box.
    const fresh = await api.getServer(candidate.id, { signal: ctx.signal });
    if (
      !fresh || fresh.labels.lease !== leaseId || fresh.labels.pool !== candidate.labels.pool ||
      TERMINAL.has(fresh.labels.state ?? "")
    ) {
      await attempt.lock.release();
      continue;
    }
    const server = await touchServer(api, fresh.id, { state: "leased", run: input.runId }, ctx.signal);
    await rememberServer(deps, api, server);
    out.progress(
      reclaim
        ? `reclaimed pool box ${leaseId} slug=${server.labels.slug} (pool ${input.pool}; ${
          candidate.labels.run ?? "its last run"
        } is gone)`
        : `claimed pool box ${leaseId} slug=${server.labels.slug} (pool ${input.pool})`,
    );
    return { leaseId, server, box, lock: attempt.lock };
  }
  return null;
}

/** Every box of a pool (any state), for `pool list` and `pool drain`. */
export async function poolServers(api: HetznerApi, pool: string, signal?: AbortSignal): Promise<Server[]> {
  const servers = await api.listServers({ labelSelector: poolMembers(pool) }, { signal });
  return servers.filter((s) => isCrabboxOwned(s.labels));
}
