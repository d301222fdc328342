/** doctor's checkpoints line: how many exist and what they weigh; expired ones are the sweep's. */
import type { CheckResult } from "./doctor_checks.ts";
import type { CheckpointSweepItem } from "./checkpoint_sweep.ts";

export function checkpointsCheck(items: CheckpointSweepItem[]): CheckResult {
  const sizeGb = Math.round(items.reduce((sum, item) => sum + (item.sizeGb ?? 0), 0) * 100) / 100;
  const expired = items.filter((item) => item.result === "would_delete" || item.reason === "expired");
  const details = {
    count: items.length,
    sizeGb,
    expired: expired.map((item) => ({ id: item.id, imageId: item.imageId, expiresAt: item.expiresAt })),
  };
  const summary = `${items.length} checkpoint${items.length === 1 ? "" : "s"}, ${sizeGb} GB of snapshots`;
  if (expired.length === 0) {
    return { check: "checkpoints", status: "ok", message: summary, fix: null, details };
  }
  return {
    check: "checkpoints",
    status: "warn",
    message: `${summary}; ${expired.length} expired (${expired.slice(0, 3).map((i) => i.id).join(", ")})`,
    fix: "run: crabbox sweep (or crabbox checkpoint prune)",
    details,
  };
}
