/** `crabbox sweep` (alias cleanup): delete expired crabbox servers and keys by their labels alone. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { formatDurationMs, parseDurationFlag } from "../core/duration.ts";
import { sweep } from "../lease/sweep.ts";
import { loadBaseSettings } from "./settings.ts";

export function sweepCommand(ctx: CommandContext) {
  return new Command("sweep")
    .alias("cleanup")
    .description(
      "delete expired crabbox servers, SSH keys and checkpoints, empty pond networks, unused firewalls (for cron)",
    )
    .option("--dry-run", "report what would be deleted; delete nothing")
    .option("--grace <duration>", "extra time for running/provisioning boxes past expiry (default 1h)")
    .option("--verbose", "also print every skipped server and why")
    .option("--no-keys", "leave SSH keys alone")
    .option("--no-local", "leave local lease directories alone")
    .addHelpText(
      "after",
      `
Cron (every 10 minutes; cron.env, mode 0600, holds: export HCLOUD_TOKEN=…):
  */10 * * * * . "$HOME/.config/crabbox/cron.env" && "$HOME/.local/bin/crabbox" sweep --json >> "$HOME/.local/state/crabbox/sweep.log" 2>&1`,
    )
    .action(async (flags) => {
      const settings = await loadBaseSettings(ctx);
      const graceSecs = parseDurationFlag("--grace", flags.grace, 0) ?? settings.config.config.sweep.grace;
      const report = await sweep(ctx.deps, ctx.hetzner(settings.endpoint), {
        dryRun: !!flags.dryRun,
        graceSecs,
        keys: flags.keys !== false,
        local: flags.local !== false,
        signal: ctx.interrupt.signal,
      });
      if (report.summary.failed > 0) ctx.exitCode = 1;
      if (ctx.globals.json) return ctx.out.json(report);
      for (const item of report.servers) {
        const verb = item.result === "deleted"
          ? "deleted"
          : item.result === "would_delete"
          ? "would delete"
          : item.result === "failed"
          ? "failed to delete"
          : "skipped";
        if (verb === "skipped" && !flags.verbose) continue;
        const overdue = item.decision === "delete" && item.overdueMs !== null && item.overdueMs > 0
          ? ` (${formatDurationMs(item.overdueMs)} ago)`
          : "";
        ctx.out.result(
          `${verb} server ${item.id} ${item.name} lease=${item.lease ?? "-"} state=${
            item.state ?? "-"
          } reason=${item.reason}${overdue}${item.error ? ` error=${item.error}` : ""}`,
        );
      }
      for (const key of report.sshKeys) {
        ctx.out.result(
          `${
            key.result === "deleted"
              ? "deleted"
              : key.result === "would_delete"
              ? "would delete"
              : "failed to delete"
          } ssh key ${key.id} ${key.name} lease=${key.lease ?? "-"} reason=${key.reason}${
            key.error ? ` error=${key.error}` : ""
          }`,
        );
      }
      for (const item of report.checkpoints) {
        if (item.result === "skipped") continue;
        const verb = item.result === "deleted"
          ? "deleted"
          : item.result === "would_delete"
          ? "would delete"
          : "failed to delete";
        ctx.out.result(
          `${verb} checkpoint ${item.id} image=${item.imageId} expires=${
            item.expiresAt ?? "-"
          } reason=${item.reason}${item.error ? ` error=${item.error}` : ""}`,
        );
      }
      if (report.checkpoints.length > 0) {
        const gone = report.checkpoints.filter((c) => c.result === "deleted" || c.result === "would_delete");
        ctx.out.result(
          `sweep: checkpoints deleted=${gone.length} kept=${report.checkpoints.length - gone.length}`,
        );
      }
      for (const network of report.networks) {
        if (network.result === "skipped" && !flags.verbose) continue;
        const verb = network.result === "would_delete"
          ? "would delete"
          : network.result === "failed"
          ? "failed to delete"
          : network.result;
        ctx.out.result(
          `${verb} network ${network.id} ${network.name} pond=${
            network.pond ?? "-"
          } reason=${network.reason}${network.error ? ` error=${network.error}` : ""}`,
        );
      }
      for (const firewall of report.firewalls) {
        const verb = firewall.result === "deleted"
          ? "deleted"
          : firewall.result === "would_delete"
          ? "would delete"
          : "failed to delete";
        ctx.out.result(
          `${verb} firewall ${firewall.id} ${firewall.name} reason=${firewall.reason}${
            firewall.error ? ` error=${firewall.error}` : ""
          }`,
        );
      }
      const keysDeleted = report.sshKeys.filter((k) =>
        k.result === "deleted" || k.result === "would_delete"
      ).length;
      const networksDeleted = report.networks.filter((n) =>
        n.result === "deleted" || n.result === "would_delete"
      );
      // Only when there are pond networks at all: the line cron logs keep their shape otherwise.
      const networksPart = report.networks.length ? `; networks deleted=${networksDeleted.length}` : "";
      ctx.out.result(
        `sweep: servers deleted=${report.summary.deleted} skipped=${report.summary.skipped} failed=${report.summary.failed}; ssh keys deleted=${keysDeleted}${networksPart}; local lease dirs pruned=${report.local.pruned.length}`,
      );
    });
}
