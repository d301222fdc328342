/** `crabbox warmup [lease-create flags] [--json]`: create a box and wait until it is ready. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { addLeaseCreateOptions } from "./lease_options.ts";
import { warmupLease } from "../lease/warmup.ts";
import { loadRunSettings, startSweep } from "./settings.ts";
import { formatDurationMs } from "../core/duration.ts";

export function warmupCommand(ctx: CommandContext) {
  return addLeaseCreateOptions(
    new Command("warmup").description("create a box and wait until it is ready for `crabbox run --id`"),
  ).action(async (flags) => {
    const settings = await loadRunSettings(ctx, flags);
    await startSweep(ctx, settings);
    const started = ctx.deps.clock.now();
    const lease = await warmupLease({
      deps: ctx.deps,
      api: ctx.hetzner(settings.endpoint),
      out: ctx.out,
      signal: ctx.interrupt.signal,
      repoRoot: settings.gitRoot,
      setSecondInterruptNote: (note) => (ctx.onSecondInterrupt = note),
    }, settings.shape);
    const totalMs = ctx.deps.clock.now() - started;
    if (ctx.globals.json) return ctx.out.json({ leases: [lease], totalMs });
    ctx.out.result(
      `leased ${lease.id} slug=${lease.slug} server=${lease.serverId} type=${lease.serverType} location=${lease.location} ip=${lease.ipv4} keep=${lease.keep} idle_timeout=${
        formatDurationMs((lease.idleTimeoutSecs ?? 0) * 1000)
      } expires=${lease.expiresAt}`,
    );
    ctx.out.result(
      `ready ssh=${lease.sshUser}@${lease.ipv4}:${lease.sshPort} workroot=${settings.shape.workRoot}`,
    );
    ctx.out.result(`warmup complete total=${formatDurationMs(totalMs)}`);
  });
}
