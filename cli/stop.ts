/** `crabbox stop <id>` (alias release): idempotent — a lease that is already gone exits 0. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { leaseContext } from "./run_inputs.ts";
import { usageError } from "../core/errors.ts";
import { stopLease } from "../lease/stop.ts";
import { checkLeaseRef } from "../lease/resolve.ts";
import { loadBaseSettings, startSweep } from "./settings.ts";

const USAGE = "usage: crabbox stop <lease-id|slug|server-id|name>";

export function stopCommand(ctx: CommandContext) {
  return new Command("stop")
    .alias("release")
    .description("release a lease: delete its server and SSH key (exit 0 when already gone)")
    .argument("[id...]", "lease id (cbx_…), slug, server id or server name")
    .option("--id <id>", "the lease to stop (same as the argument)")
    .option("--force", "stop a box owned by someone else or in use (leased/running)")
    .action(async (ids, flags) => {
      const all = [...ids, ...(flags.id ? [flags.id] : [])];
      if (all.length !== 1) {
        throw usageError(all.length === 0 ? "no lease given" : "stop takes exactly one lease", USAGE);
      }
      checkLeaseRef(all[0]);
      const settings = await loadBaseSettings(ctx);
      await startSweep(ctx, settings, [all[0]]);
      const result = await stopLease(
        leaseContext(ctx, settings),
        { id: all[0], force: !!flags.force, localOwner: settings.owner, box: settings.status },
      );
      if (ctx.globals.json) {
        ctx.out.json(result);
      } else if (result.result === "already_gone") {
        ctx.out.result(`already gone ${result.id}`);
      } else {
        ctx.out.result(`released ${result.id} server=${result.serverId} name=${result.serverName}`);
      }
    });
}
