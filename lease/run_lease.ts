/**
 * Getting and holding the lease of a run: a fresh box (acquire), a pool box (claim), or an existing lease
 * (--id). An existing `ready` lease whose labels this machine wrote moments ago goes straight to the box
 * lock over its live ControlMaster — no API read, no readiness probe; the lock channel failing sends it
 * the long way (resolve, readiness) once. The lock answer carries the repo's sync state.
 */
import type { Deps } from "../core/deps.ts";
import { CrabboxError, usageError } from "../core/errors.ts";
import { formatClock, formatIso } from "../core/format.ts";
import type { Server } from "../providers/hetzner/port.ts";
import { termsOf } from "../providers/hetzner/terms.ts";
import { decodeLeaseLabels } from "../labels/codec.ts";
import { isCanonicalLeaseId, normalizeSlug } from "../labels/ids.ts";
import { acquireLease, type LeaseShape } from "./acquire.ts";
import type { Box } from "./box.ts";
import { acquireBoxLock, type HeldLock, LockChannelError, type LockOwner, tryLock } from "./box_lock.ts";
import { known, type KnownServer, rememberedCopy } from "./labels_write.ts";
import { releaseServer } from "./release.ts";
import { refreshPondHosts } from "./pond_hosts.ts";
import { leftoversNote } from "./leftovers.ts";
import { claimPoolBox, openExistingBox } from "./pool.ts";
import { BootstrapTimeoutError, waitForReady } from "./readiness.ts";
import { appliedFirewallHint } from "./firewall.ts";
import { resolveLease } from "./resolve.ts";
import type { PhaseClock } from "./run_summary.ts";
import type { RunContext, RunRequest } from "./run.ts";
import { type LeaseRecord, listLeaseRecords, readLeaseRecord, writeLeaseRecord } from "./store.ts";
import type { LeaseLabels } from "./lease_labels.ts";

export interface HeldLease {
  leaseId: string;
  server: Server;
  box: Box;
  fresh: boolean;
  /** The copy of the server the run's first label write merges onto (no GET while it is fresh). */
  known: KnownServer;
  /** Already held (a pool claim takes the lock to decide). */
  lock?: HeldLock;
  /** The lease's Hetzner SSH key, when this process created it (release deletes it by id). */
  sshKeyId?: number;
  /** Taken from the local record without asking Hetzner or the box: verified by the lock channel. */
  remembered?: boolean;
}

/** Acquire runs in `acquire`; whatever waits for the box (IP, readiness) in `bootstrap`. */
export async function getLease(
  ctx: RunContext,
  request: RunRequest,
  runId: string,
  clock: PhaseClock,
): Promise<HeldLease> {
  if (request.id) return await rememberedLease(ctx, request, clock) ?? await reuseLease(ctx, request, clock);
  if (request.pool) {
    const claimed = await claimPoolBox(ctx, {
      pool: request.pool,
      shape: request.shape,
      runId,
      owner: request.owner,
    });
    if (claimed) return { ...claimed, fresh: false, known: known(ctx.api, claimed.server) };
    ctx.out.progress(`no idle box in pool ${request.pool}; provisioning one that joins it`);
    return await freshLease(ctx, { ...request.shape, pool: request.pool }, clock);
  }
  return await freshLease(ctx, request.shape, clock);
}

/** Who holds the box lock for this run (the lock file's record, shown to a waiter). */
export function lockOwner(ctx: RunContext, request: RunRequest, runId: string): LockOwner {
  const { deps, api } = ctx;
  return {
    runId,
    owner: request.owner,
    host: deps.system.hostname(),
    pid: deps.system.pid(),
    since: formatIso(api.now()),
  };
}

/**
 * The box lock for the run, with the repo's sync state when it syncs. A remembered lease whose lock
 * channel fails is resolved and waited for like any existing lease, then locked again. `asItCame`: locked
 * at the first try, so the copy of the labels the lease came with is still the latest.
 */
export async function lockLease(
  ctx: RunContext,
  request: RunRequest,
  lease: HeldLease,
  runId: string,
  clock: PhaseClock,
): Promise<{ lease: HeldLease; lock: HeldLock; asItCame: boolean }> {
  if (lease.lock) return { lease, lock: lease.lock, asItCame: true };
  const { deps, out, signal } = ctx;
  const lock = (box: Box) =>
    acquireBoxLock(
      { deps, out, signal },
      box,
      lockOwner(ctx, request, runId),
      request.lockTimeoutSecs * 1000,
      request.sync ? request.repo : undefined,
    );
  try {
    const held = await lock(lease.box);
    return { lease, lock: held, asItCame: !held.waited };
  } catch (error) {
    if (!lease.remembered || !(error instanceof LockChannelError)) throw error;
    out.debug(`lock channel failed (${error.message}); resolving ${lease.leaseId} and probing it`);
  }
  clock.enter("bootstrap");
  const verified = await reuseLease(ctx, { ...request, id: lease.leaseId }, clock);
  clock.enter("lock");
  return { lease: verified, lock: await lock(verified.box), asItCame: false };
}

async function freshLease(ctx: RunContext, shape: LeaseShape, clock: PhaseClock): Promise<HeldLease> {
  const lease = await acquireLease({
    deps: ctx.deps,
    api: ctx.api,
    out: ctx.out,
    signal: ctx.signal,
    repoRoot: ctx.repoRoot,
    onResources: (resources) => {
      // The server exists: what follows is its boot (IP, SSH readiness).
      if (resources.serverId !== null) clock.enter("bootstrap");
      ctx.setSecondInterruptNote(() => ctx.out.notice(leftoversNote(resources)));
    },
    prices: ctx.prices,
  }, shape);
  return { ...lease, fresh: true, known: known(ctx.api, lease.server) };
}

/** `--id` by lease id or slug, answered by the local record when its copy of the labels is trusted. */
async function rememberedLease(
  ctx: RunContext,
  request: RunRequest,
  clock: PhaseClock,
): Promise<HeldLease | null> {
  const { deps, out } = ctx;
  const copy = rememberedCopy(deps, await localRecord(deps, request.id!));
  if (!copy) return null;
  const server = copy.server;
  const labels = decodeLeaseLabels(server.labels);
  if (labels.ttlSecs && copy.now!() > server.createdMs + labels.ttlSecs * 1000) return null;
  const { box } = await openExistingBox(deps, out, server, request.shape);
  out.progress(`lease ${server.labels.lease} slug=${server.labels.slug} (existing, state=ready)`);
  clock.enter("bootstrap");
  await box.prepare();
  return { leaseId: server.labels.lease, server, box, fresh: false, known: copy, remembered: true };
}

async function localRecord(deps: Deps, id: string): Promise<LeaseRecord | null> {
  const trimmed = id.trim();
  if (isCanonicalLeaseId(trimmed)) return await readLeaseRecord(deps, trimmed);
  let slug: string;
  try {
    slug = normalizeSlug(trimmed);
  } catch {
    return null;
  }
  const matches = (await listLeaseRecords(deps)).filter((r) => r.slug === slug);
  return matches.length === 1 ? matches[0] : null;
}

async function reuseLease(ctx: RunContext, request: RunRequest, clock: PhaseClock): Promise<HeldLease> {
  const { deps, api, out } = ctx;
  const resolution = await resolveLease(deps, api, request.id!, ctx.signal);
  if (resolution.kind === "gone") {
    throw new CrabboxError("not_found", `lease ${resolution.leaseId} no longer exists`, {
      hint: "start a new lease: crabbox warmup, or crabbox run without --id",
    });
  }
  const server = resolution.server;
  const labels = decodeLeaseLabels(server.labels);
  const leaseId = server.labels.lease;
  const state = server.labels.state ?? "unknown";
  if (["released", "failed", "expired"].includes(state)) {
    throw new CrabboxError("not_found", `lease ${leaseId} is ${state}`, { hint: "start a new lease" });
  }
  const ttlDeadline = server.createdMs + (labels.ttlSecs ?? 0) * 1000;
  if (labels.ttlSecs && api.now() > ttlDeadline) {
    throw usageError(
      `lease ${leaseId} passed its ttl cap at ${
        formatClock(ttlDeadline)
      }; it will be swept — start a new lease`,
    );
  }
  const { box, record } = await openExistingBox(deps, out, server, request.shape);
  out.progress(`lease ${leaseId} slug=${server.labels.slug} (existing, state=${state})`);
  clock.enter("bootstrap");
  const deadline = state === "provisioning"
    ? server.createdMs + request.shape.bootstrapTimeoutSecs * 1000
    : deps.clock.now() + 30_000;
  if (request.shape.controlPersist && state !== "provisioning") await box.prepare();
  const port = await waitForReady(
    { deps, out, signal: ctx.signal, box, leaseId, ip: box.host, warm: state !== "provisioning" },
    deadline,
  ).catch(async (error) => {
    if (!(error instanceof BootstrapTimeoutError)) throw error;
    const why = await appliedFirewallHint(ctx.api, server.firewallIds, box.ports, { signal: ctx.signal });
    throw why ? new BootstrapTimeoutError(`${error.message}; ${why.detail}`, why.hint) : error;
  });
  if (port !== record.sshPort) await writeLeaseRecord(deps, { ...record, ipv4: server.ipv4, sshPort: port });
  return { leaseId, server, box, fresh: false, known: known(api, server) };
}

/**
 * After the command: delete the box (a deleted server needs no `released` label; it is written only when
 * the delete fails), or — holding its lock — set it back to ready, and only then let the lock go.
 */
export async function releaseByPolicy(
  ctx: RunContext,
  input: {
    lease: HeldLease;
    lock: HeldLock | null;
    labels: LeaseLabels;
    deleteIt: boolean;
    failed: boolean;
    shape: LeaseShape;
    /** For the lock a run that never got one takes to set its early running label back. */
    owner: LockOwner;
  },
): Promise<{ server: Server; released: boolean; releaseError: string | null }> {
  const { deps, api, out } = ctx;
  const { lease, lock, labels } = input;
  const { box, leaseId } = lease;
  await labels.settled(); // a running write still in flight lands first
  let server = labels.current.server;
  const terms = termsOf(api);
  out.phase(
    "release",
    input.deleteIt ? `${terms.verbs.deleting} ${terms.server(server.id)}` : `returning ${leaseId} to ready`,
  );
  if (input.deleteIt) {
    await lock?.release();
    await box.closeMaster();
    try {
      const result = await releaseServer(deps, api, server, AbortSignal.timeout(120_000), {
        known: labels.current,
        sshKeyId: lease.sshKeyId,
        labelOnlyIfDeleteFails: true,
      });
      const outcome = result.serverDeleted === "deleted" ? terms.verbs.deleted : "gone";
      out.progress(`released ${leaseId} (${terms.server(server.id)} ${outcome})`);
      // A pond member leaving: the others' /etc/hosts drop its line.
      if (server.labels.pond) {
        await refreshPondHosts({ deps, api, out }, server.labels.pond, input.shape, { leaving: server.id });
      }
      return { server, released: true, releaseError: null };
    } catch (error) {
      const releaseError = (error as Error).message;
      out.warn(`release of ${leaseId} failed: ${releaseError}; run: crabbox stop ${leaseId}`);
      return { server, released: false, releaseError };
    }
  }
  if (!lock) {
    server = await setBackReady(ctx, lease, labels, input.owner) ?? server;
    return { server, released: false, releaseError: null };
  }
  try {
    server = await labels.touch({ state: "ready", run: null }, AbortSignal.timeout(60_000));
    const decoded = decodeLeaseLabels(server.labels);
    const ttlDeadline = server.createdMs + (decoded.ttlSecs ?? 0) * 1000;
    const expires = decoded.expiresAtSecs ? formatClock(decoded.expiresAtSecs * 1000) : "unknown";
    out.progress(
      lease.fresh && input.failed
        ? `kept ${leaseId} after failure; inspect: crabbox ssh ${leaseId}; stop: crabbox stop ${leaseId}`
        : `kept ${leaseId} (idle expiry ${expires}, ttl cap ${formatClock(ttlDeadline)})`,
    );
  } catch (error) {
    out.warn(`could not mark ${leaseId} ready: ${(error as Error).message}`);
  }
  // Released only after the box is back to ready, so a waiter never sees a half-finished run.
  await lock.release();
  return { server, released: false, releaseError: null };
}

/**
 * The running label went out with the lock channel and no lock came (a signal, --lock-timeout): set back
 * to ready, under the lock. Not while another run holds the box: its release writes ready, after ours.
 */
async function setBackReady(
  ctx: RunContext,
  lease: HeldLease,
  labels: LeaseLabels,
  owner: LockOwner,
): Promise<Server | null> {
  await labels.settled();
  if (!labels.saysRunning) return null;
  // A lock channel that fails cannot say whether someone holds the box: set back all the same.
  const attempt = await tryLock(lease.box, owner).catch(() => null);
  if (attempt?.kind === "busy") return null;
  try {
    return await labels.touch({ state: "ready", run: null }, AbortSignal.timeout(60_000));
  } catch (error) {
    ctx.out.warn(`could not mark ${lease.leaseId} ready: ${(error as Error).message}`);
    return null;
  } finally {
    if (attempt?.kind === "locked") await attempt.lock.release();
  }
}
