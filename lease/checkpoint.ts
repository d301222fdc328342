/**
 * Checkpoints (issue 13): snapshot a box with its workdir and caches, list, delete and prune them.
 * Their whole state is the snapshot's labels (labels/checkpoint.ts); forks are lease/checkpoint_fork.ts.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi, Image } from "../providers/hetzner/port.ts";
import { CrabboxError, notFoundError, timeoutError, usageError } from "../core/errors.ts";
import { formatDurationMs } from "../core/duration.ts";
import { formatIso } from "../core/format.ts";
import {
  checkpointRef,
  checkpointSelector,
  type CheckpointView,
  checkpointView,
  crabboxCheckpoints,
  decideCheckpointPrune,
  encodeCheckpointLabels,
  isCheckpoint,
  newCheckpointId,
} from "../labels/checkpoint.ts";
import { HetznerApiError } from "../providers/hetzner/errors.ts";
import { ActionWaiter, type WatchedAction } from "../providers/hetzner/action_waiter.ts";
import { checkpointFlushScript } from "../ssh/scripts.ts";
import { resolveLease } from "./resolve.ts";
import { openExistingBox } from "./pool.ts";
import { acquireBoxLock } from "./box_lock.ts";
import type { LeaseShape } from "./acquire.ts";

export interface CheckpointContext {
  deps: Deps;
  api: HetznerApi;
  out: Output;
  signal: AbortSignal;
}

const NOT_FOUND_HINT = "run 'crabbox checkpoint list' to see the checkpoints";
/** How long Hetzner may take to make a snapshot before create gives up waiting (the image stays). */
export const SNAPSHOT_WAIT_MS = 60 * 60_000;

/** Every checkpoint of the project, oldest first. One listing (all pages). */
export async function listCheckpoints(api: HetznerApi, signal?: AbortSignal): Promise<Image[]> {
  const images = await api.listImages({ type: "snapshot", labelSelector: crabboxCheckpoints() }, { signal });
  return images.filter(isCheckpoint).sort((a, b) => a.createdMs - b.createdMs);
}

/** By id (chk_…) or name; a malformed ref is a usage error (exit 2), an unknown one not found (exit 4). */
export async function findCheckpoint(api: HetznerApi, ref: string, signal?: AbortSignal): Promise<Image> {
  const parsed = checkpointRef(ref);
  const images = (await api.listImages({ type: "snapshot", labelSelector: checkpointSelector(parsed) }, {
    signal,
  })).filter(isCheckpoint);
  if (images.length === 0) throw notFoundError(`checkpoint not found: ${ref.trim()}`, NOT_FOUND_HINT);
  if (images.length > 1) {
    throw new CrabboxError(
      "not_found",
      `checkpoint name "${ref.trim()}" matches ${images.length} checkpoints`,
      {
        hint: `pass the id instead: ${images.map((i) => i.labels.checkpoint).join(", ")}`,
      },
    );
  }
  return images[0];
}

export interface CreateCheckpointRequest {
  lease: string;
  name?: string;
  ttlSecs: number;
  owner: string;
  repo: string;
  /** How the box is reached over ssh (the source lease was created by this machine). */
  shape: LeaseShape;
  lockTimeoutMs: number;
  waitTimeoutMs?: number;
  /** Called once the image exists (null again when it is finished or deleted): a second Ctrl-C names it. */
  onImage?: (image: Image | null) => void;
}

/**
 * Takes the box lock (no crabbox run may write while Hetzner copies the disk), drops forwarded env
 * files and syncs, then create_image type snapshot, waiting (with progress) until it is available.
 * A failure or Ctrl-C after the POST deletes the half-made image; the lock is always given back.
 */
export async function createCheckpoint(
  ctx: CheckpointContext,
  request: CreateCheckpointRequest,
): Promise<CheckpointView> {
  const { deps, api, out, signal } = ctx;
  const resolution = await resolveLease(deps, api, request.lease, signal);
  if (resolution.kind === "gone") {
    throw notFoundError(`lease ${resolution.leaseId} is gone`, "checkpoint a live box: crabbox list");
  }
  const server = resolution.server;
  const leaseId = server.labels.lease;
  if (request.name) {
    const taken = (await api.listImages({
      type: "snapshot",
      labelSelector: checkpointSelector({ name: request.name }),
    }, { signal })).filter(isCheckpoint);
    if (taken.length > 0) {
      throw usageError(
        `--name ${request.name}: checkpoint ${taken[0].labels.checkpoint} already has that name`,
        `pick another --name, or delete it first: crabbox checkpoint delete ${taken[0].labels.checkpoint}`,
      );
    }
  }
  const { box } = await openExistingBox(deps, out, server, request.shape);
  await box.prepare();
  const id = newCheckpointId((n) => deps.random.bytes(n));
  const lock = await acquireBoxLock({ deps, out, signal }, box, {
    runId: id,
    owner: request.owner,
    host: deps.system.hostname(),
    pid: deps.system.pid(),
    since: formatIso(api.now()),
  }, request.lockTimeoutMs);
  let image: Image | null = null;
  try {
    out.progress(`box lock held on ${leaseId}; flushing its disk`);
    const flushed = await box.run(checkpointFlushScript({ workRoot: box.workRoot }));
    if (!new TextDecoder().decode(flushed.stdout).includes("FLUSHED")) {
      throw new CrabboxError(
        "remote",
        `could not flush the disk of ${leaseId} (exit ${flushed.code}): ${
          new TextDecoder().decode(flushed.stderr).trim()
        }`,
        { hint: `check the box with: crabbox status ${leaseId}` },
      );
    }
    const labels = encodeCheckpointLabels({
      id,
      name: request.name,
      repo: server.labels.repo ?? request.repo,
      owner: request.owner,
      sourceLease: leaseId,
      className: server.labels.class,
      serverType: server.labels.server_type ?? server.serverType,
      nowSecs: Math.floor(api.now() / 1000),
      ttlSecs: request.ttlSecs,
    });
    out.progress(`checkpoint ${id}: snapshotting server ${server.id}`);
    const description = `crabbox checkpoint ${id}${request.name ? ` (${request.name})` : ""} of ${leaseId}`;
    const created = await postSnapshot(api, server.id, { description, labels }, id, signal);
    image = created.image;
    request.onImage?.(image);
    out.progress(`snapshot image ${image.id} for checkpoint ${id}; Hetzner is copying the disk`);
    image = await waitAvailable(ctx, image, created.actionId, request.waitTimeoutMs ?? SNAPSHOT_WAIT_MS);
    return checkpointView(image);
  } catch (error) {
    if (image) await deleteHalfMade(ctx, image);
    throw error;
  } finally {
    request.onImage?.(null);
    await lock.release();
    await box.closeMaster();
  }
}

/** create_image is sent once; after an ambiguous failure the checkpoint label says whether it landed. */
async function postSnapshot(
  api: HetznerApi,
  serverId: number,
  request: { description: string; labels: Record<string, string> },
  id: string,
  signal: AbortSignal,
): Promise<{ image: Image; actionId: number | null }> {
  try {
    return await api.createSnapshot(serverId, request, { signal });
  } catch (error) {
    if (!(error instanceof HetznerApiError) || !error.ambiguous) throw error;
    const [found] = (await api.listImages({ type: "snapshot", labelSelector: checkpointSelector({ id }) }, {
      signal,
    })).filter(isCheckpoint);
    if (found) return { image: found, actionId: null };
    throw error;
  }
}

async function waitAvailable(
  ctx: CheckpointContext,
  image: Image,
  actionId: number | null,
  timeoutMs: number,
): Promise<Image> {
  const { deps, api, out, signal } = ctx;
  const started = deps.clock.now();
  let lastProgress = started;
  const action: WatchedAction | null = actionId === null
    ? null
    : { id: actionId, command: "create_image", hint: "retry crabbox checkpoint create" };
  return await new ActionWaiter(api, deps.clock).pollWhileRunning(action, {
    poll: async () => {
      const fresh = await api.getImage(image.id, { signal });
      if (!fresh) {
        throw new CrabboxError("provider", `snapshot image ${image.id} disappeared while Hetzner made it`, {
          hint: "retry crabbox checkpoint create",
        });
      }
      if (fresh.status === "available") return fresh;
      if (deps.clock.now() - lastProgress >= 10_000) {
        lastProgress = deps.clock.now();
        out.waiting(`waiting for snapshot image ${image.id} (${fresh.status})`, lastProgress - started);
      }
      return null;
    },
    delayMs: (poll) => (poll < 10 ? 1000 : 3000),
    actionEvery: 2,
    deadlineMs: started + timeoutMs,
    onTimeout: () =>
      timeoutError(
        `timed out after ${formatDurationMs(timeoutMs)} waiting for snapshot image ${image.id}`,
        "Hetzner may be slow; crabbox checkpoint list shows when it is available",
      ),
    signal,
  });
}

/** Best effort and on its own signal (the command's may be aborted); the sweep takes what is left. */
async function deleteHalfMade(ctx: CheckpointContext, image: Image): Promise<void> {
  try {
    await ctx.api.deleteImage(image.id, { signal: AbortSignal.timeout(30_000) });
    ctx.out.notice(`deleted the unfinished snapshot image ${image.id}`);
  } catch (error) {
    ctx.out.warn(
      `could not delete the unfinished snapshot image ${image.id} (${
        (error as Error).message
      }); the sweep deletes it once expired`,
    );
  }
}

export interface DeleteResult {
  id: string;
  imageId: number;
  result: "deleted" | "already_gone";
}

export async function deleteCheckpoint(
  ctx: CheckpointContext,
  request: { ref: string; owner: string; force: boolean },
): Promise<DeleteResult> {
  const image = await findCheckpoint(ctx.api, request.ref, ctx.signal);
  const owner = image.labels.owner ?? "";
  if (!request.force && owner !== request.owner) {
    throw usageError(
      `checkpoint ${image.labels.checkpoint} belongs to ${owner || "nobody"}, not ${request.owner}`,
      `pass --force to delete it anyway: crabbox checkpoint delete ${image.labels.checkpoint} --force`,
    );
  }
  const deleted = await ctx.api.deleteImage(image.id, { signal: ctx.signal });
  return {
    id: image.labels.checkpoint,
    imageId: image.id,
    result: deleted === "deleted" ? "deleted" : "already_gone",
  };
}

export interface PruneItem {
  id: string;
  name: string | null;
  imageId: number;
  owner: string | null;
  lastUsedAt: string;
  expiresAt: string | null;
  decision: "delete" | "skip";
  reason: string;
  result: "deleted" | "would_delete" | "skipped" | "failed";
  error: string | null;
}

export interface PruneReport {
  dryRun: boolean;
  now: string;
  unusedForSecs: number;
  checkpoints: PruneItem[];
  summary: { deleted: number; skipped: number; failed: number };
}

/** This owner's checkpoints that expired or were not forked for `unusedForSecs`; nothing else. */
export async function pruneCheckpoints(
  ctx: CheckpointContext,
  request: { unusedForSecs: number; owner: string; dryRun: boolean },
): Promise<PruneReport> {
  const images = await listCheckpoints(ctx.api, ctx.signal);
  const now = ctx.api.now();
  const items: PruneItem[] = [];
  for (const image of images) {
    const verdict = decideCheckpointPrune(image, {
      nowMs: now,
      unusedForSecs: request.unusedForSecs,
      owner: request.owner,
    });
    const view = checkpointView(image);
    const item: PruneItem = {
      id: view.id,
      name: view.name,
      imageId: image.id,
      owner: view.owner,
      lastUsedAt: view.lastUsedAt,
      expiresAt: view.expiresAt,
      decision: verdict.decision,
      reason: verdict.reason,
      result: verdict.decision === "skip" ? "skipped" : request.dryRun ? "would_delete" : "deleted",
      error: null,
    };
    if (item.result === "deleted") {
      try {
        await ctx.api.deleteImage(image.id, { signal: ctx.signal });
      } catch (error) {
        item.result = "failed";
        item.error = error instanceof Error ? error.message : String(error);
      }
    }
    items.push(item);
  }
  const count = (...results: string[]) => items.filter((i) => results.includes(i.result)).length;
  return {
    dryRun: request.dryRun,
    now: formatIso(now),
    unusedForSecs: request.unusedForSecs,
    checkpoints: items,
    summary: {
      deleted: count("deleted", "would_delete"),
      skipped: count("skipped"),
      failed: count("failed"),
    },
  };
}
