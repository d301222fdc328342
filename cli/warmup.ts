/** `crabbox warmup [lease-create flags] [--pool [name] --count N] [--json]`: create boxes, wait until ready. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { addLeaseCreateOptions, type LeaseCreateFlags } from "./lease_options.ts";
import { warmupLease } from "../lease/warmup.ts";
import { loadRunSettings, startSweep } from "./settings.ts";
import { formatDurationMs } from "../core/duration.ts";
import { usageError } from "../core/errors.ts";
import { sanitizeLabelValue } from "../labels/sanitize.ts";
import type { LeaseObject } from "../labels/lease_view.ts";
import { enforceBudgetFor } from "../lease/budget.ts";
import { serverTypesOf } from "../lease/acquire.ts";
import { checkpointRef } from "../labels/checkpoint.ts";
import { forkShape, markCheckpointUsed } from "../lease/checkpoint_fork.ts";
import { locationField } from "./render_leases.ts";

const PARALLEL_CREATES = 3;

export function warmupCommand(ctx: CommandContext) {
  return addLeaseCreateOptions(
    new Command("warmup")
      .description("create a box (or a warm pool) and wait until it is ready for `crabbox run --id/--pool`")
      .option("--pool [name]", "label the boxes as a warm pool (default pool: default)")
      .option("--count <n>", "how many pool boxes to create (1–10, needs --pool)")
      .option(
        "--no-wait",
        "return once the box has its IP, before SSH is up (state provisioning); status --wait finishes",
      )
      .option("--from-checkpoint <id>", "boot from a checkpoint (as crabbox checkpoint fork): id or name"),
  ).action(async (parsed) => await warmup(ctx, parsed));
}

export type WarmupFlags = LeaseCreateFlags & {
  pool?: string | true;
  count?: string;
  wait?: boolean;
  fromCheckpoint?: string;
};

/** warmup's action, also `checkpoint fork <id>` (flags.fromCheckpoint set). */
export async function warmup(ctx: CommandContext, flags: WarmupFlags): Promise<void> {
  // One block, as the action's body was: the lines inside keep their place for other branches' merges.
  {
    const count = flags.count === undefined ? 1 : Number(flags.count);
    if (!Number.isInteger(count) || count < 1 || count > 10) {
      throw usageError(`--count ${flags.count}: must be a whole number from 1 to 10`);
    }
    if (count > 1 && flags.pool === undefined) {
      throw usageError("--count needs --pool", "e.g. crabbox warmup --pool --count 3");
    }
    if (flags.fromCheckpoint !== undefined) {
      checkpointRef(flags.fromCheckpoint);
      if (flags.image !== undefined) {
        throw usageError(
          "--image cannot be combined with a checkpoint: the box boots the checkpoint's snapshot",
          "drop --image",
        );
      }
    }
    const wait = flags.wait !== false;
    const settings = await loadRunSettings(ctx, flags);
    const pool = flags.pool === undefined
      ? undefined
      : sanitizeLabelValue(flags.pool === true ? settings.config.config.pool.name : flags.pool);
    await startSweep(ctx, settings);
    const started = ctx.deps.clock.now();
    const leases: LeaseObject[] = [];
    const api = ctx.hetzner(settings.endpoint);
    const prices = ctx.prices(settings.endpoint);
    const fork = flags.fromCheckpoint === undefined ? null : await forkShape(
      api,
      flags.fromCheckpoint,
      settings.shape,
      {
        typeGiven: flags.class !== undefined || flags.type !== undefined,
        archGiven: flags.arch !== undefined,
      },
      ctx.interrupt.signal,
    );
    const shape = fork?.shape ?? settings.shape;
    // Parallel creates each list before the others exist: the budget is checked for all of them first.
    if (count > 1) {
      await enforceBudgetFor(api, prices, {
        policy: settings.shape.budget,
        owner: settings.owner,
        plan: { count, serverTypes: serverTypesOf(shape), locations: shape.locations },
        warn: (message) => ctx.out.warn(message),
      }, ctx.interrupt.signal);
    }
    for (let first = 0; first < count; first += PARALLEL_CREATES) {
      const batch = Array.from({ length: Math.min(PARALLEL_CREATES, count - first) }, () =>
        warmupLease(
          {
            deps: ctx.deps,
            api,
            out: ctx.out,
            signal: ctx.interrupt.signal,
            repoRoot: settings.gitRoot,
            setSecondInterruptNote: (note) => (ctx.onSecondInterrupt = note),
            prices,
          },
          { ...shape, pool, slug: count > 1 ? undefined : shape.slug },
          { wait },
        ));
      leases.push(...await Promise.all(batch));
    }
    if (fork) await markCheckpointUsed(api, ctx.out, fork.image, ctx.interrupt.signal);
    const totalMs = ctx.deps.clock.now() - started;
    const checkpoint = fork ? { checkpoint: fork.image.labels.checkpoint } : {};
    if (ctx.globals.json) return ctx.out.json({ leases, totalMs, ...checkpoint });
    for (const lease of leases) {
      ctx.out.result(
        `leased ${lease.id} slug=${lease.slug} server=${lease.serverId} type=${lease.serverType}${
          locationField(lease.location)
        } ip=${lease.ipv4} keep=${lease.keep} idle_timeout=${
          formatDurationMs((lease.idleTimeoutSecs ?? 0) * 1000)
        } expires=${lease.expiresAt}${lease.pool ? ` pool=${lease.pool}` : ""}${
          fork ? ` checkpoint=${fork.image.labels.checkpoint}` : ""
        }`,
      );
      if (wait) {
        ctx.out.result(
          `ready ssh=${lease.sshUser}@${lease.ipv4}:${lease.sshPort} workroot=${settings.shape.workRoot}`,
        );
      } else {
        ctx.out.progress(
          `not waiting for ssh: ${lease.id} is provisioning; crabbox status ${lease.id} --wait (or run --id ${lease.id}) finishes`,
        );
      }
    }
    ctx.out.result(`warmup complete total=${formatDurationMs(totalMs)}`);
  }
}
