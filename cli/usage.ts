/** `crabbox usage [--all] [--json]`: what the live boxes burn per hour and have cost so far (an estimate). */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { loadBaseSettings, startSweep } from "./settings.ts";
import { type UsageReport, usageReport } from "../lease/usage.ts";
import { formatMoney } from "../lease/cost.ts";
import { alignColumns, roughly, whyAlive } from "./render_leases.ts";

/** The dearest boxes shown with what keeps them alive; --json lists every box. */
const SHOWN = 5;

export function usageCommand(ctx: CommandContext) {
  return new Command("usage")
    .description("what your live boxes cost: per hour, so far, and what keeps the dearest alive (estimate)")
    .option("--all", "every crabbox box of the project, not only this machine's owner")
    .action(async (flags) => {
      const settings = await loadBaseSettings(ctx);
      await startSweep(ctx, settings);
      const api = ctx.hetzner(settings.endpoint);
      const report = await usageReport(api, ctx.prices(settings.endpoint), {
        owner: flags.all ? null : settings.owner,
        graceSecs: settings.config.config.sweep.grace,
        signal: ctx.interrupt.signal,
      });
      if (ctx.globals.json) return ctx.out.json(report);
      for (const line of renderUsage(report, api.now())) ctx.out.result(line);
    });
}

function renderUsage(report: UsageReport, nowMs: number): string[] {
  const { totals } = report;
  const whose = report.scope === "owner" ? `of ${report.owner}` : "in the project";
  const unpriced = totals.unpriced ? ` (${totals.unpriced} of unknown price not counted)` : "";
  const lines = [
    `${totals.boxes} box${totals.boxes === 1 ? "" : "es"} ${whose}: ${formatMoney(totals.priceHourly)}/h, ${
      formatMoney(totals.costSoFar)
    } so far${unpriced} (net prices, estimate)`,
  ];
  if (totals.boxes === 0) return lines;
  const rows = report.boxes.slice(0, SHOWN).map((box) => {
    const sweepIn = box.sweepAt === null
      ? "never"
      : Date.parse(box.sweepAt) <= nowMs
      ? "due"
      : `in ${roughly(Date.parse(box.sweepAt) - nowMs)}`;
    return [
      box.slug ?? box.id,
      box.owner ?? "-",
      box.serverType,
      box.location ?? "-",
      formatMoney(box.priceHourly),
      formatMoney(box.costSoFar),
      sweepIn,
      whyAlive({ decision: box.sweep, reason: box.why }),
    ];
  });
  lines.push(...alignColumns([["SLUG", "OWNER", "TYPE", "LOC", "PRICE/H", "COST", "SWEEP", "WHY"], ...rows]));
  const rest = totals.boxes - rows.length;
  if (rest > 0) {
    lines.push(`… and ${rest} cheaper box${rest === 1 ? "" : "es"} (crabbox usage --json lists all)`);
  }
  return lines;
}
