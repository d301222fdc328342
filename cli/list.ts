/** `crabbox list [--mine] [--pool <name>] [--pond <name>] [--all] [--json]`: read-only, all pages. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { listLeases } from "../lease/inspect.ts";
import { loadBaseSettings, startSweep } from "./settings.ts";
import { renderLeaseTable } from "./render_leases.ts";
import { stateTone } from "../core/terminal_style.ts";
import { listCheckpoints } from "../lease/checkpoint.ts";
import { checkpointTotals } from "../labels/checkpoint.ts";
import { requestedPond } from "../labels/pond.ts";

export function listCommand(ctx: CommandContext) {
  return new Command("list")
    .description("list crabbox boxes in the project (read-only)")
    .option("--mine", "only boxes whose owner label is this machine's owner")
    .option("--pool <name>", "only boxes of this warm pool")
    .option("--pond <name>", "only members of this pond (normalized as for --pond)")
    .option("--all", "also show crabbox=true servers that fail the ownership check (FOREIGN)")
    .action(async (flags) => {
      const pond = requestedPond(flags.pond);
      const settings = await loadBaseSettings(ctx);
      await startSweep(ctx, settings);
      const api = ctx.hetzner(settings.endpoint);
      // Alongside, for the text footer only (--json stays the lease array); a failure just omits it.
      const checkpoints = ctx.globals.json
        ? Promise.resolve(null)
        : listCheckpoints(api, ctx.interrupt.signal).then(checkpointTotals, () => null);
      const rows = await listLeases(
        ctx.deps,
        api,
        {
          mine: flags.mine ? settings.owner : undefined,
          pool: flags.pool,
          pond,
          all: flags.all,
        },
        ctx.interrupt.signal,
        ctx.prices(settings.endpoint),
      );
      if (ctx.globals.json) return ctx.out.json(rows.map((r) => r.lease));
      const totals = await checkpoints;
      const footer = () => {
        if (!totals?.count) return;
        ctx.out.notice(
          `${totals.count} checkpoint${
            totals.count === 1 ? "" : "s"
          }, ${totals.sizeGb} GB (crabbox checkpoint list)`,
        );
      };
      if (rows.length === 0) {
        ctx.out.notice("no crabbox servers");
        return footer();
      }
      const paintState = (state: string) => ctx.out.paint("stdout", stateTone(state), state);
      for (const line of renderLeaseTable(rows, api.now(), { paintState })) ctx.out.result(line);
      footer();
    });
}
