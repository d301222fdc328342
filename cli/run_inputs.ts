/** What the run use cases need from this invocation: their context, the sync request, the env to forward. */
import type { CommandContext } from "./context.ts";
import { isTruthy } from "./context.ts";
import type { BaseSettings, RunSettings } from "./settings.ts";
import { forwardWithAppendedAllow } from "../config/env_allow.ts";
import { listLeaseRecords } from "../lease/store.ts";
import type { RunContext } from "../lease/run.ts";
import { prepareSync } from "../sync/preflight.ts";
import type { SyncOptions } from "../sync/options.ts";

/** What every lease use case takes from this invocation: the effects, the API, the output, the interrupt. */
export function leaseContext(ctx: CommandContext, settings: BaseSettings) {
  return { deps: ctx.deps, api: ctx.hetzner(settings.endpoint), out: ctx.out, signal: ctx.interrupt.signal };
}

/** What the run use case needs from this invocation. */
export function runContext(ctx: CommandContext, settings: BaseSettings): RunContext {
  return {
    ...leaseContext(ctx, settings),
    repoRoot: settings.gitRoot,
    setSecondInterruptNote: (note) => (ctx.onSecondInterrupt = note),
    prices: ctx.prices(settings.endpoint),
  };
}

/** The variables to forward (their values join the redactor), with the allow list that chose them. */
export function forwardEnv(
  ctx: CommandContext,
  settings: BaseSettings,
  appended: string[],
  trusted: Set<string>,
): { forward: Record<string, string>; allow: string[] } {
  const configAllow = settings.config.config.env.allow;
  const { forward, allow, warnings } = forwardWithAppendedAllow(
    ctx.deps.env.all(),
    configAllow,
    appended,
    trusted,
  );
  for (const warning of warnings) ctx.out.warn(warning);
  for (const value of Object.values(forward)) ctx.redactor.add(value);
  return { forward, allow };
}

/** The lease ids an --id may name, from the id itself or local records (the sweep must spare them). */
export async function leaseIdsFor(ctx: CommandContext, id: string): Promise<string[]> {
  const records = await listLeaseRecords(ctx.deps);
  return [
    id,
    ...records.filter((r) => r.slug === id || String(r.serverId) === id || r.serverName === id).map((r) =>
      r.id
    ),
  ];
}

interface SyncFlags {
  checksum?: boolean;
  fullResync?: boolean;
  forceSyncLarge?: boolean;
  allowMassDelete?: boolean;
  /** false with --no-git-hydrate. (`--no-hydrate` is the Go CLI's Actions flag and changes nothing.) */
  gitHydrate?: boolean;
}

/**
 * The sync preflight for this invocation (exit 6 before anything is leased), from the config and the
 * flags (and CRABBOX_ALLOW_MASS_DELETIONS). The manifest memo it may still be writing is finished before
 * the process exits, however the run ends.
 */
export async function prepareRunSync(
  ctx: CommandContext,
  settings: RunSettings,
  flags: SyncFlags,
): Promise<SyncOptions> {
  const sync = await prepareSync(ctx.deps, ctx.out, {
    gitRoot: settings.gitRoot,
    sync: settings.config.config.sync,
    checksum: !!flags.checksum,
    fullResync: !!flags.fullResync,
    forceSyncLarge: !!flags.forceSyncLarge,
    allowMassDelete: !!flags.allowMassDelete || isTruthy(ctx.deps.env.get("CRABBOX_ALLOW_MASS_DELETIONS")),
    gitHydrate: flags.gitHydrate !== false,
    originUrl: settings.originUrl,
  });
  ctx.addBackground(() => sync.tree.settled);
  return sync;
}
