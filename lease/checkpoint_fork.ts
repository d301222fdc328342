/**
 * A fork leases a new box from a checkpoint's snapshot (`checkpoint fork`, `warmup --from-checkpoint`,
 * job key `checkpoint:`): a new lease id, its own ssh key and pinned host key (cloud-init runs again;
 * the fork's first boot clears the source's keys and lease state, user_data.ts), the source's workdir
 * and caches in place. A used checkpoint gets a fresh last_used_at.
 */
import type { HetznerApi, Image } from "../providers/hetzner/port.ts";
import type { Output } from "../core/output.ts";
import { usageError } from "../core/errors.ts";
import { usedLabels } from "../labels/checkpoint.ts";
import type { LeaseShape } from "./acquire.ts";
import { type Arch, architectureProblem, serverTypesFor } from "./classes.ts";
import { findCheckpoint } from "./checkpoint.ts";

export interface ForkFlags {
  /** --class or --type was given: the checkpoint's own class is then not used. */
  typeGiven: boolean;
  /** --arch was given. */
  archGiven: boolean;
}

/** The checkpoint and the lease shape that boots it. Checked before anything is created. */
export async function forkShape(
  api: HetznerApi,
  ref: string,
  shape: LeaseShape,
  flags: ForkFlags,
  signal?: AbortSignal,
): Promise<{ image: Image; shape: LeaseShape }> {
  const image = await findCheckpoint(api, ref, signal);
  const id = image.labels.checkpoint;
  if (image.status !== "available") {
    throw usageError(
      `checkpoint ${id} is ${image.status}, not available yet`,
      "wait until crabbox checkpoint list shows it available",
    );
  }
  const arch: Arch = image.architecture === "arm" ? "arm64" : "amd64";
  if (flags.archGiven && shape.architecture !== undefined && shape.architecture !== arch) {
    throw usageError(
      `--arch ${shape.architecture}: checkpoint ${id} is an ${arch} snapshot`,
      `drop --arch, or pass --arch ${arch}`,
    );
  }
  const className = flags.typeGiven ? shape.className : image.labels.class ?? shape.className;
  const problem = architectureProblem(serverTypesFor(className, shape.serverType, arch), arch);
  if (problem) {
    throw usageError(`checkpoint ${id}: ${problem}`, "pass a --class or --type of its architecture");
  }
  const sourceLease = image.labels.source_lease ?? "";
  return {
    image,
    shape: {
      ...shape,
      className,
      architecture: arch,
      image: String(image.id),
      fromCheckpoint: { id, sourceLease },
    },
  };
}

/** last_used_at = now on a fresh copy of the labels; a failure only warns (the fork itself worked). */
export async function markCheckpointUsed(
  api: HetznerApi,
  out: Output,
  image: Image,
  signal?: AbortSignal,
): Promise<void> {
  try {
    const fresh = await api.getImage(image.id, { signal });
    if (!fresh) return;
    await api.replaceImageLabels(image.id, usedLabels(fresh.labels, Math.floor(api.now() / 1000)), {
      signal,
    });
  } catch (error) {
    out.warn(`could not mark checkpoint ${image.labels.checkpoint} used: ${(error as Error).message}`);
  }
}
