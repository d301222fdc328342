/** `crabbox list [--mine] [--pool <name>] [--pond <name>] [--all] [--json]`: read-only, all pages. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { listLeases } from "../lease/inspect.ts";
import { loadBaseSettings, startSweep } from "./settings.ts";
import { renderLeaseTable } from "./render_leases.ts";
import { stateTone } from "../core/terminal_style.ts";
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
      if (rows.length === 0) return ctx.out.notice("no crabbox servers");
      const paintState = (state: string) => ctx.out.paint("stdout", stateTone(state), state);
      for (const line of renderLeaseTable(rows, api.now(), { paintState })) ctx.out.result(line);
    });
}
