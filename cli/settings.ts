/**
 * Turns the loaded config plus flags into what the use cases need: the lease shape, the owner, the
 * repo name, the sync manifest. All user mistakes surface here, before any API call.
 */
import { type CommandContext, isTruthy } from "./context.ts";
import { startAutoSweep } from "../lease/auto_sweep.ts";
import type { LeaseCreateFlags } from "./lease_options.ts";
import { parseDurationFlag } from "../core/duration.ts";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { ownerLabel } from "../labels/ownership.ts";
import type { LeaseShape } from "../lease/acquire.ts";
import type { StatusSettings } from "../lease/status.ts";
import { findGitRoot } from "../sync/manifest.ts";
import { originUrlOf, repoNameFromUrl } from "../sync/repo_name.ts";
import { checkLeaseShape, leaseShapeFor, sshConfigFileFor } from "../lease/shape.ts";
import { useStaticProvider } from "./static_provider.ts";

export interface BaseSettings {
  config: LoadedConfig;
  endpoint: string | undefined;
  owner: string;
  gitRoot: string | null;
  status: StatusSettings;
}

export interface RunSettings extends BaseSettings {
  shape: LeaseShape;
  repo: string;
  /** origin's URL (null without one), read once for the repo name and the sync's hydration facts. */
  originUrl: string | null;
}

async function tryGitRoot(ctx: CommandContext): Promise<string | null> {
  try {
    return await findGitRoot(ctx.deps, ctx.deps.fs.cwd());
  } catch {
    return null;
  }
}

/** The config alone, its warnings left unsaid (they belong to the command that acts on it): for a hint. */
export async function loadConfigQuietly(ctx: CommandContext): Promise<LoadedConfig> {
  return await loadConfig(ctx.deps, { gitRoot: await tryGitRoot(ctx), profile: ctx.globals.profile });
}

export async function loadBaseSettings(
  ctx: CommandContext,
  flags: Record<string, unknown> = {},
): Promise<BaseSettings> {
  const gitRoot = await tryGitRoot(ctx);
  const config = await loadConfig(ctx.deps, {
    gitRoot,
    profile: ctx.globals.profile,
    flags: { provider: ctx.globals.provider, ...ctx.globals.static, ...flags },
  });
  for (const warning of config.warnings) ctx.out.warn(warning);
  const owner = ownerLabel(config.config.owner, ctx.deps.system);
  const ports = [config.config.ssh.port, ...config.config.ssh.fallbackPorts];
  return {
    config,
    endpoint: config.config.hetzner.endpoint || undefined,
    owner,
    gitRoot,
    status: await useStaticProvider(ctx, config) ?? {
      sshUser: config.config.ssh.user,
      sshPorts: [...new Set(ports)],
      workRoot: config.config.workRoot,
      connectTimeoutSecs: config.config.ssh.connectTimeout,
      sshConfigFile: await sshConfigFileFor(ctx.deps, config.config.ssh.configFile),
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
    "ssh.allowCidrs": flags.allowCidr,
  };
  if (flags.bootstrapTimeout !== undefined) {
    flagValues["lease.bootstrapTimeout"] = parseDurationFlag("--bootstrap-timeout", flags.bootstrapTimeout);
  }
  const base = await loadBaseSettings(ctx, flagValues);
  checkLeaseShape(base.config);
  const originUrl = base.gitRoot ? await originUrlOf(ctx.deps, base.gitRoot) : null;
  const repo = base.gitRoot ? repoNameFromUrl(originUrl, base.gitRoot) : "workspace";
  const shape = leaseShapeFor({
    config: base.config,
    owner: base.owner,
    repo,
    keep: !!flags.keep,
    slug: flags.slug,
    pond: flags.pond,
    sshPorts: base.status.sshPorts,
    sshConfigFile: base.status.sshConfigFile,
  });
  // How the box is reached is the provider's (static hosts: static.*), not the lease's.
  const { sshUser, workRoot, readyCommand } = base.status;
  const onStatic = readyCommand !== undefined
    ? { className: "static", serverType: "static", locations: [] as string[] }
    : {};
  return { ...base, repo, originUrl, shape: { ...shape, sshUser, workRoot, readyCommand, ...onStatic } };
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
