/** `crabbox status <id> [--wait] [--wait-timeout 5m] [--json]`: read-only, never extends the lease. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { leaseContext } from "./run_inputs.ts";
import { usageError } from "../core/errors.ts";
import { parseDurationFlag } from "../core/duration.ts";
import { leaseStatus } from "../lease/status.ts";
import { checkLeaseRef } from "../lease/resolve.ts";
import { loadBaseSettings, startSweep } from "./settings.ts";
import { stateTone } from "../core/terminal_style.ts";
import { formatMoney } from "../lease/cost.ts";
import { locationField } from "./render_leases.ts";

export function statusCommand(ctx: CommandContext) {
  return new Command("status")
    .description("show one lease and whether its box answers over SSH (read-only)")
    .argument("[id]", "lease id (cbx_…), slug, server id or server name")
    .option("--id <id>", "the lease (same as the argument)")
    .option("--wait", "poll every 5 s until the box is ready")
    .option("--wait-timeout <duration>", "give up waiting after this long", "5m")
    .action(async (idArg, flags) => {
      const id = idArg ?? flags.id;
      if (!id) throw usageError("no lease given", "usage: crabbox status <lease-id|slug|server-id|name>");
      checkLeaseRef(id);
      const waitTimeoutSecs = parseDurationFlag("--wait-timeout", flags.waitTimeout)!;
      const settings = await loadBaseSettings(ctx);
      await startSweep(ctx, settings, [id]);
      const view = await leaseStatus(
        { ...leaseContext(ctx, settings), prices: ctx.prices(settings.endpoint) },
        { id, wait: !!flags.wait, waitTimeoutSecs, settings: settings.status },
      );
      if (ctx.globals.json) return ctx.out.json(view);
      ctx.out.result(
        `${view.id} slug=${view.slug} state=${
          ctx.out.paint("stdout", stateTone(view.state ?? ""), `${view.state}`)
        } keep=${view.keep} type=${view.serverType}${locationField(view.location)} ssh=${view.sshUser}@${
          view.ipv4 ?? "-"
        }:${view.sshPort} ready=${view.ready} idle_for=${
          view.idleForSecs === null ? "unknown" : formatIdle(view.idleForSecs)
        } expires=${view.expiresAt ?? "unknown"} ttl_deadline=${view.ttlDeadline ?? "unknown"} price=${
          formatMoney(view.priceHourly)
        }/h cost=${formatMoney(view.costSoFar)}`,
      );
    });
}

function formatIdle(secs: number): string {
  const m = Math.floor(secs / 60), s = secs % 60;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}
