/** `crabbox checkpoint create|list|delete|prune|fork`: snapshots of a box that fork hydrated boxes. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { leaseContext } from "./run_inputs.ts";
import { loadBaseSettings, loadRunSettings, startSweep } from "./settings.ts";
import { addLeaseCreateOptions } from "./lease_options.ts";
import { warmup, type WarmupFlags } from "./warmup.ts";
import { CrabboxError } from "../core/errors.ts";
import { parseDaysFlag, parseDurationFlag } from "../core/duration.ts";
import {
  checkCheckpointName,
  CHECKPOINT_TTL,
  checkpointRef,
  checkpointTotals,
  checkpointView,
} from "../labels/checkpoint.ts";
import { checkLeaseRef } from "../lease/resolve.ts";
import {
  createCheckpoint,
  deleteCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
} from "../lease/checkpoint.ts";
import { renderCreated, renderDeleted, renderList, renderPrune } from "./checkpoint_render.ts";

const UNUSED_FOR = { defaultSecs: 7 * 86400, minSecs: 60, maxSecs: 365 * 86400 } as const;

export function checkpointCommand(ctx: CommandContext) {
  const checkpoint = new Command("checkpoint").description(
    "snapshot a box (workdir and caches) and fork fresh boxes from it: create, list, delete, prune, fork",
  );
  checkpoint.addCommand(createCommand(ctx));
  checkpoint.addCommand(listCommand(ctx), { isDefault: true });
  checkpoint.addCommand(deleteCommand(ctx));
  checkpoint.addCommand(pruneCommand(ctx));
  checkpoint.addCommand(forkCommand(ctx));
  return checkpoint;
}

function createCommand(ctx: CommandContext) {
  return new Command("create")
    .description(
      "snapshot a box this machine leased: waits for its crabbox work (box lock), flushes the disk, then Hetzner copies it",
    )
    .argument("<lease>", "lease id (cbx_…), slug, server id or server name")
    .option("--name <name>", "a unique name to fork it by (letters, digits, '.', '_', '-')")
    .option("--ttl <duration>", "the sweep deletes it after this long, 1h–90d (default 7d)")
    .option(
      "--lock-timeout <duration>",
      "how long to wait for a run holding the box lock (default run.lockTimeout)",
    )
    .action(async (lease, flags) => {
      checkLeaseRef(lease);
      const name = flags.name === undefined ? undefined : checkCheckpointName(flags.name);
      const ttlSecs = flags.ttl === undefined
        ? CHECKPOINT_TTL.defaultSecs
        : parseDaysFlag("--ttl", flags.ttl, CHECKPOINT_TTL.minSecs, CHECKPOINT_TTL.maxSecs);
      const lockTimeout = parseDurationFlag("--lock-timeout", flags.lockTimeout);
      const settings = await loadRunSettings(ctx, {});
      await startSweep(ctx, settings, [lease]);
      const view = await createCheckpoint(
        leaseContext(ctx, settings),
        {
          lease,
          name,
          ttlSecs,
          owner: settings.owner,
          repo: settings.repo,
          shape: settings.shape,
          lockTimeoutMs: (lockTimeout ?? settings.config.config.run.lockTimeout) * 1000,
          onImage: (image) => {
            ctx.onSecondInterrupt = image && (() =>
              ctx.out.notice(
                `snapshot image ${image.id} (checkpoint ${image.labels.checkpoint}) may remain: crabbox checkpoint delete ${image.labels.checkpoint}`,
              ));
          },
        },
      );
      if (ctx.globals.json) return ctx.out.json(view);
      for (const line of renderCreated(view)) ctx.out.result(line);
    });
}

function listCommand(ctx: CommandContext) {
  return new Command("list")
    .description("every crabbox checkpoint of the project, with its size and when it expires (read-only)")
    .action(async () => {
      const settings = await loadBaseSettings(ctx);
      await startSweep(ctx, settings);
      const images = await listCheckpoints(ctx.hetzner(settings.endpoint), ctx.interrupt.signal);
      const views = images.map(checkpointView);
      const totals = checkpointTotals(images);
      if (ctx.globals.json) return ctx.out.json({ checkpoints: views, ...totals });
      if (views.length === 0) return ctx.out.notice("no checkpoints");
      for (const line of renderList(views, totals)) ctx.out.result(line);
    });
}

function deleteCommand(ctx: CommandContext) {
  return new Command("delete")
    .description("delete a checkpoint's snapshot (boxes forked from it keep running)")
    .argument("<checkpoint>", "checkpoint id (chk_…) or name")
    .option("--force", "delete a checkpoint another owner made")
    .action(async (ref, flags) => {
      checkpointRef(ref);
      const settings = await loadBaseSettings(ctx);
      await startSweep(ctx, settings);
      const result = await deleteCheckpoint(
        leaseContext(ctx, settings),
        { ref, owner: settings.owner, force: !!flags.force },
      );
      if (ctx.globals.json) return ctx.out.json(result);
      ctx.out.result(renderDeleted(result));
    });
}

function pruneCommand(ctx: CommandContext) {
  return new Command("prune")
    .description("delete this owner's checkpoints that expired or were not forked for a while")
    .option("--unused-for <duration>", "not forked (or made) for this long, 1m–365d (default 7d)")
    .option("--dry-run", "say what would be deleted")
    .action(async (flags) => {
      const unusedForSecs = flags.unusedFor === undefined
        ? UNUSED_FOR.defaultSecs
        : parseDaysFlag("--unused-for", flags.unusedFor, UNUSED_FOR.minSecs, UNUSED_FOR.maxSecs);
      const settings = await loadBaseSettings(ctx);
      await startSweep(ctx, settings);
      const report = await pruneCheckpoints(
        leaseContext(ctx, settings),
        { unusedForSecs, owner: settings.owner, dryRun: !!flags.dryRun },
      );
      if (ctx.globals.json) return ctx.out.json(report);
      for (const line of renderPrune(report, unusedForSecs)) ctx.out.result(line);
      if (report.summary.failed > 0) {
        throw new CrabboxError("provider", `${report.summary.failed} checkpoint(s) could not be deleted`, {
          hint: "run crabbox checkpoint prune again",
        });
      }
    });
}

function forkCommand(ctx: CommandContext) {
  return addLeaseCreateOptions(
    new Command("fork")
      .description(
        "lease a new box from a checkpoint: new lease id, ssh key and host key; the source's workdir and caches in place",
      )
      .argument("<checkpoint>", "checkpoint id (chk_…) or name")
      .option(
        "--no-wait",
        "return once the box has its IP, before SSH is up (state provisioning); status --wait finishes",
      ),
  ).action(async (ref, parsed) => {
    checkpointRef(ref);
    await warmup(ctx, { ...(parsed as WarmupFlags), fromCheckpoint: ref });
  });
}
