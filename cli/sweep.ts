/** `crabbox sweep` (alias cleanup): delete expired crabbox servers and keys by their labels alone. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { parseDurationFlag } from "../core/duration.ts";
import { sweep } from "../lease/sweep.ts";
import { loadBaseSettings } from "./settings.ts";
import { renderSweep } from "./sweep_render.ts";

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
      for (const line of renderSweep(report, !!flags.verbose)) ctx.out.result(line);
    });
}
