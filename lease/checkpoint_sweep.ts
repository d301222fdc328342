/**
 * The sweep's checkpoint pass: a checkpoint is deleted once past its own expires_at (labels/checkpoint.ts
 * decideCheckpointSweep), judged again on a fresh GET just before the delete, like servers.
 */
import type { HetznerApi } from "../providers/hetzner/port.ts";
import { checkpointView, decideCheckpointSweep } from "../labels/checkpoint.ts";
import { listCheckpoints } from "./checkpoint.ts";

export interface CheckpointSweepItem {
  id: string;
  imageId: number;
  name: string | null;
  expiresAt: string | null;
  /** GB Hetzner bills for the snapshot; null while it is being made. */
  sizeGb: number | null;
  reason: string;
  result: "deleted" | "would_delete" | "skipped" | "failed";
  error: string | null;
}

export async function sweepCheckpoints(
  api: HetznerApi,
  options: { dryRun: boolean; maxDeletes?: number; signal?: AbortSignal },
): Promise<CheckpointSweepItem[]> {
  const { signal } = options;
  const items: CheckpointSweepItem[] = [];
  let deletes = 0;
  for (const image of await listCheckpoints(api, signal)) {
    const verdict = decideCheckpointSweep(image, api.now());
    const view = checkpointView(image);
    const item: CheckpointSweepItem = {
      id: view.id,
      imageId: image.id,
      name: view.name,
      expiresAt: view.expiresAt,
      sizeGb: view.sizeGb,
      reason: verdict.reason,
      result: "skipped",
      error: null,
    };
    items.push(item);
    if (verdict.decision === "skip") continue;
    if (options.maxDeletes !== undefined && deletes >= options.maxDeletes) continue;
    if (options.dryRun) {
      item.result = "would_delete";
      continue;
    }
    deletes++;
    try {
      // A `checkpoint create` elsewhere may not reuse an id, but a label edit may have extended it.
      const fresh = await api.getImage(image.id, { signal });
      if (!fresh || decideCheckpointSweep(fresh, api.now()).decision === "skip") continue;
      await api.deleteImage(image.id, { signal });
      item.result = "deleted";
    } catch (error) {
      item.result = "failed";
      item.error = error instanceof Error ? error.message : String(error);
    }
  }
  return items;
}
