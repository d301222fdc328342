/** doctor's checkpoints line, from the sweep's own dry run: how many, how large, which expired. */
import assert from "node:assert/strict";
import { checkpointsCheck } from "../../lease/doctor_checkpoints.ts";
import type { CheckpointSweepItem } from "../../lease/checkpoint_sweep.ts";

const item = (over: Partial<CheckpointSweepItem>): CheckpointSweepItem => ({
  id: "chk_aaaaaaaaaaaa",
  imageId: 1,
  name: null,
  expiresAt: "2026-05-08T12:00:00Z",
  sizeGb: 1.5,
  reason: "not_expired",
  result: "skipped",
  error: null,
  ...over,
});

Deno.test("checkpoints check: a count and size, ok; expired ones warn with the sweep as the fix", () => {
  assert.deepEqual(checkpointsCheck([]), {
    check: "checkpoints",
    status: "ok",
    message: "0 checkpoints, 0 GB of snapshots",
    fix: null,
    details: { count: 0, sizeGb: 0, expired: [] },
  });
  const fine = checkpointsCheck([
    item({}),
    item({ id: "chk_bbbbbbbbbbbb", sizeGb: null, reason: "creating" }),
  ]);
  assert.equal(fine.status, "ok");
  assert.equal(fine.message, "2 checkpoints, 1.5 GB of snapshots");
  const expired = checkpointsCheck([
    item({}),
    item({ id: "chk_cccccccccccc", imageId: 3, reason: "expired", result: "would_delete", sizeGb: 0.25 }),
  ]);
  assert.equal(expired.status, "warn");
  assert.equal(expired.message, "2 checkpoints, 1.75 GB of snapshots; 1 expired (chk_cccccccccccc)");
  assert.equal(expired.fix, "run: crabbox sweep (or crabbox checkpoint prune)");
  assert.deepEqual(expired.details.expired, [
    { id: "chk_cccccccccccc", imageId: 3, expiresAt: "2026-05-08T12:00:00Z" },
  ]);
});
