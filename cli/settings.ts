/**
 * Turns the loaded config plus flags into what the use cases need: the lease shape, the owner, the
 * repo name, the sync manifest. All user mistakes surface here, before any API call.
 */
import { type CommandContext, isTruthy } from "./context.ts";
import { startAutoSweep } from "../lease/auto_sweep.ts";
import { listLeaseRecords } from "../lease/store.ts";
import type { LeaseCreateFlags } from "./lease_options.ts";
import { CrabboxError } from "../core/errors.ts";
import { parseDurationFlag } from "../core/duration.ts";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { ownerLabel } from "../labels/ownership.ts";
import type { LeaseShape } from "../lease/acquire.ts";
import type { StatusSettings } from "../lease/status.ts";
import { forwardWithAppendedAllow } from "../config/env_allow.ts";
import { findGitRoot } from "../sync/manifest.ts";
import type { SyncPreflightRequest } from "../sync/preflight.ts";
import type { RunContext } from "../lease/run.ts";
import { repoNameFrom } from "../sync/repo_name.ts";
import { checkLeaseShape, leaseShapeFor } from "../lease/shape.ts";

interface BaseSettings {
  config: LoadedConfig;
  endpoint: string | undefined;
  owner: string;
  gitRoot: string | null;
  status: StatusSettings;
}

export interface RunSettings extends BaseSettings {
  shape: LeaseShape;
  repo: string;
}

async function tryGitRoot(ctx: CommandContext): Promise<string | null> {
  try {
    return await findGitRoot(ctx.deps, ctx.deps.fs.cwd());
  } catch {
    return null;
  }
}

export async function loadBaseSettings(
  ctx: CommandContext,
  flags: Record<string, unknown> = {},
): Promise<BaseSettings> {
  const gitRoot = await tryGitRoot(ctx);
  const config = await loadConfig(ctx.deps, {
    gitRoot,
    profile: ctx.globals.profile,
    flags: { provider: ctx.globals.provider, ...flags },
  });
  for (const warning of config.warnings) ctx.out.warn(warning);
  const owner = ownerLabel(config.config.owner, ctx.deps.system);
  const ports = [config.config.ssh.port, ...config.config.ssh.fallbackPorts];
  return {
    config,
    endpoint: config.config.hetzner.endpoint || undefined,
    owner,
    gitRoot,
    status: {
      sshUser: config.config.ssh.user,
      sshPorts: [...new Set(ports)],
      workRoot: config.config.workRoot,
      connectTimeoutSecs: config.config.ssh.connectTimeout,
    },
  };
}

export async function loadRunSettings(ctx: CommandContext, flags: LeaseCreateFlags): Promise<RunSettings> {
  const flagValues: Record<string, unknown> = {
    class: flags.class,
    serverType: flags.type,
    "hetzner.location": flags.location,
    "hetzner.image": flags.image,
    ttl: parseDurationFlag("--ttl", flags.ttl, 60),
    idleTimeout: parseDurationFlag("--idle-timeout", flags.idleTimeout, 60),
    architecture: flags.arch,
  };
  if (flags.bootstrapTimeout !== undefined) {
    flagValues["lease.bootstrapTimeout"] = parseDurationFlag("--bootstrap-timeout", flags.bootstrapTimeout);
  }
  const base = await loadBaseSettings(ctx, flagValues);
  checkLeaseShape(base.config);
  const repo = base.gitRoot ? await repoNameFrom(ctx.deps, base.gitRoot) : "workspace";
  const shape = leaseShapeFor({
    config: base.config,
    owner: base.owner,
    repo,
    keep: !!flags.keep,
    slug: flags.slug,
    sshPorts: base.status.sshPorts,
  });
  return { ...base, repo, shape };
}

/**
 * Starts the automatic sweep next to a networked command unless --no-sweep, CRABBOX_NO_SWEEP=1 or
 * sweep.auto: false. `protect` names leases this command works on.
 */
export async function startSweep(
  ctx: CommandContext,
  settings: BaseSettings,
  protect: string[] = [],
): Promise<void> {
  if (ctx.globals.sweep === false || isTruthy(ctx.deps.env.get("CRABBOX_NO_SWEEP"))) return;
  if (!settings.config.config.sweep.auto) return;
  const api = ctx.hetzner(settings.endpoint);
  const running = await startAutoSweep(ctx.deps, api, ctx.out, {
    endpoint: ctx.endpointKey(settings.endpoint),
    graceSecs: settings.config.config.sweep.grace,
    budgetMs: settings.config.config.sweep.budget * 1000,
    minIntervalMs: settings.config.config.sweep.minInterval * 1000,
    protectLeaseIds: new Set(protect),
  });
  if (running) ctx.addBackground(() => running.finish());
}

/** What the run use case needs from this invocation. */
export function runContext(ctx: CommandContext, settings: BaseSettings): RunContext {
  return {
    deps: ctx.deps,
    api: ctx.hetzner(settings.endpoint),
    out: ctx.out,
    signal: ctx.interrupt.signal,
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

/** SPEC §11.6: with policy.jobsOnly in the repo config, only named jobs run. */
export function refuseUnderJobsOnly(config: LoadedConfig): void {
  if (!config.config.policy.jobsOnly) return;
  throw new CrabboxError(
    "policy",
    "policy.jobsOnly is set in .crabbox.yaml: use 'crabbox job list' and 'crabbox job run <name>'",
    { hint: `configured jobs: ${Object.keys(config.jobs).sort().join(", ") || "none"}` },
  );
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

/** The sync preflight's request from the config and this invocation's flags (and CRABBOX_ALLOW_MASS_DELETIONS). */
export function syncPreflightRequest(
  ctx: CommandContext,
  settings: BaseSettings,
  flags: SyncFlags,
): SyncPreflightRequest {
  return {
    gitRoot: settings.gitRoot,
    sync: settings.config.config.sync,
    checksum: !!flags.checksum,
    fullResync: !!flags.fullResync,
    forceSyncLarge: !!flags.forceSyncLarge,
    allowMassDelete: !!flags.allowMassDelete || isTruthy(ctx.deps.env.get("CRABBOX_ALLOW_MASS_DELETIONS")),
    gitHydrate: flags.gitHydrate !== false,
  };
}
