/** Text rendering for `crabbox checkpoint` (--json prints the use cases' results as they are). */
import type { CheckpointView } from "../labels/checkpoint.ts";
import type { DeleteResult, PruneReport } from "../lease/checkpoint.ts";
import { formatDays } from "../core/duration.ts";
import { resultVerb } from "./sweep_render.ts";

export function renderCreated(view: CheckpointView): string[] {
  return [
    `checkpoint ${view.id}${view.name ? ` name=${view.name}` : ""} image=${view.imageId} source=${
      view.sourceLease ?? "-"
    } size=${sizeOf(view)} expires=${view.expiresAt ?? "-"}`,
    `fork with: crabbox checkpoint fork ${view.name ?? view.id}`,
  ];
}

export function renderList(views: CheckpointView[], totals: { count: number; sizeGb: number }): string[] {
  return [
    ...renderTable(views),
    `${totals.count} checkpoint${totals.count === 1 ? "" : "s"}, ${totals.sizeGb} GB`,
  ];
}

export function renderDeleted(result: DeleteResult): string {
  return `${result.result === "deleted" ? "deleted" : "already gone"} ${result.id} image=${result.imageId}`;
}

/** One line per checkpoint deleted (or that would be, or failed), then the summary. */
export function renderPrune(report: PruneReport, unusedForSecs: number): string[] {
  const lines: string[] = [];
  for (const item of report.checkpoints) {
    if (item.decision === "skip" && item.result !== "failed") continue;
    const verb = resultVerb(item.result);
    lines.push(
      `${verb} ${item.id}${
        item.name ? ` name=${item.name}` : ""
      } reason=${item.reason} last_used=${item.lastUsedAt}${item.error ? ` error=${item.error}` : ""}`,
    );
  }
  lines.push(
    `prune ${report.dryRun ? "(dry run) " : ""}unused_for=${
      formatDays(unusedForSecs)
    } deleted=${report.summary.deleted} kept=${report.summary.skipped} failed=${report.summary.failed}`,
  );
  return lines;
}

function sizeOf(view: CheckpointView): string {
  return view.sizeGb === null ? "-" : `${view.sizeGb}GB`;
}

function renderTable(views: CheckpointView[]): string[] {
  const rows = [
    ["CHECKPOINT", "NAME", "STATUS", "REPO", "SOURCE", "SIZE", "OWNER", "LAST USED", "EXPIRES"],
    ...views.map((v) => [
      v.id,
      v.name ?? "-",
      v.status,
      v.repo ?? "-",
      v.sourceLease ?? "-",
      sizeOf(v),
      v.owner ?? "-",
      v.lastUsedAt,
      v.expiresAt ?? "-",
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  "));
}
