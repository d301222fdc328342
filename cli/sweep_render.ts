/** The text of `crabbox sweep`: one line per resource deleted (or that would be, or failed), then the summary. */
import { formatDurationMs } from "../core/duration.ts";
import type { SweepReport } from "../lease/sweep.ts";

const VERBS: Record<string, string> = {
  deleted: "deleted",
  would_delete: "would delete",
  failed: "failed to delete",
  skipped: "skipped",
};

/** A result as the line's first words (`would_delete` → `would delete`); shared with checkpoint prune. */
export function resultVerb(result: string): string {
  return VERBS[result] ?? result;
}

const errorPart = (error: string | null | undefined) => error ? ` error=${error}` : "";
const gone = (items: { result: string }[]) =>
  items.filter((i) => i.result === "deleted" || i.result === "would_delete").length;

export function renderSweep(report: SweepReport, verbose: boolean): string[] {
  const lines: string[] = [];
  for (const item of report.servers) {
    if (item.result === "skipped" && !verbose) continue;
    const overdue = item.decision === "delete" && item.overdueMs !== null && item.overdueMs > 0
      ? ` (${formatDurationMs(item.overdueMs)} ago)`
      : "";
    lines.push(
      `${resultVerb(item.result)} server ${item.id} ${item.name} lease=${item.lease ?? "-"} state=${
        item.state ?? "-"
      } reason=${item.reason}${overdue}${errorPart(item.error)}`,
    );
  }
  for (const key of report.sshKeys) {
    lines.push(
      `${resultVerb(key.result)} ssh key ${key.id} ${key.name} lease=${
        key.lease ?? "-"
      } reason=${key.reason}${errorPart(key.error)}`,
    );
  }
  for (const item of report.checkpoints) {
    if (item.result === "skipped") continue;
    lines.push(
      `${resultVerb(item.result)} checkpoint ${item.id} image=${item.imageId} expires=${
        item.expiresAt ?? "-"
      } reason=${item.reason}${errorPart(item.error)}`,
    );
  }
  if (report.checkpoints.length > 0) {
    const deleted = gone(report.checkpoints);
    lines.push(`sweep: checkpoints deleted=${deleted} kept=${report.checkpoints.length - deleted}`);
  }
  for (const network of report.networks) {
    if (network.result === "skipped" && !verbose) continue;
    lines.push(
      `${resultVerb(network.result)} network ${network.id} ${network.name} pond=${
        network.pond ?? "-"
      } reason=${network.reason}${errorPart(network.error)}`,
    );
  }
  for (const firewall of report.firewalls) {
    lines.push(
      `${resultVerb(firewall.result)} firewall ${firewall.id} ${firewall.name} reason=${firewall.reason}${
        errorPart(firewall.error)
      }`,
    );
  }
  // Only when there are pond networks at all: the line cron logs keep their shape otherwise.
  const networksPart = report.networks.length ? `; networks deleted=${gone(report.networks)}` : "";
  const { deleted, skipped, failed } = report.summary;
  lines.push(
    `sweep: servers deleted=${deleted} skipped=${skipped} failed=${failed}; ssh keys deleted=${
      gone(report.sshKeys)
    }${networksPart}; local lease dirs pruned=${report.local.pruned.length}`,
  );
  return lines;
}
