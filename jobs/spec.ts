/** A configured job resolved against the config it lives in: the shape, command and results a run uses. */
import type { LoadedConfig } from "../config/load.ts";
import { CrabboxError } from "../core/errors.ts";
import { jobCommandMode, type JobSpec } from "./plan.ts";
import { normalizePondName } from "../labels/pond.ts";

/** The job named `name` with the config's defaults filled in, or null when no such job is configured. */
export function jobSpec(config: LoadedConfig, name: string): JobSpec | null {
  const def = config.jobs[name];
  if (!def) return null;
  const c = config.config;
  const location = def.location ?? c.hetzner.location;
  const { mode, argv } = jobCommandMode(def.command, def.shell);
  return {
    name,
    source: def.source,
    description: def.description,
    label: def.label,
    command: def.command,
    mode,
    commandArgv: argv,
    syncOnly: def.syncOnly,
    noSync: def.noSync,
    checksum: def.checksum,
    forceSyncLarge: def.forceSyncLarge,
    workdir: def.workdir,
    timeoutSecs: def.timeout,
    profile: def.profile ?? c.profile,
    className: def.class ?? c.class,
    serverType: def.serverType ?? (c.serverType || null),
    architecture: def.architecture ?? c.architecture,
    locations: location ? [location] : c.hetzner.locations,
    exactLocation: location || null,
    image: def.image ?? c.hetzner.image,
    ttlSecs: def.ttl ?? c.ttl,
    idleSecs: def.idleTimeout ?? c.idleTimeout,
    keep: def.keep,
    pool: def.pool ?? null,
    checkpoint: def.checkpoint ?? null,
    pond: def.pond === undefined ? null : normalizePondName(def.pond) || null,
    allowCidrs: def.allowCidrs ?? null,
    allowCidrsSource: def.allowCidrs === undefined
      ? null
      : `jobs.${name}.allowCidrs ${(def.at.allowCidrs ?? "").split("/").pop()}`,
    envAllow: def.env.allow,
    // The config's env.set (a selected profile's included), then the job's own.
    envSet: { ...c.env.set, ...def.env.set },
    // A sync-only job runs nothing to collect from (validation warns): as `run --sync-only` refuses them.
    junit: def.syncOnly ? [] : def.junit,
    artifacts: def.syncOnly ? [] : def.artifacts,
    requiredArtifacts: def.syncOnly ? [] : def.requiredArtifacts,
    downloads: def.syncOnly ? [] : def.downloads,
    stop: def.stop,
    unavailable: def.unavailable,
    sources: {
      ttl: def.ttl !== undefined ? `jobs.${name}.ttl ${at(def.at.ttl)}` : config.sources.ttl,
      idleTimeout: def.values.idleTimeout !== undefined
        ? `jobs.${name}.idleTimeout ${at(def.at.idleTimeout)}`
        : config.sources.idleTimeout,
      timeout: `jobs.${name}.timeout ${at(def.at.timeout)}`,
    },
  };
}

/**
 * The job's `allowCidrs:` when it decides (it replaces ssh.allowCidrs; `--allow-cidr` replaces both),
 * else null: the config's (or the flag's) list applies as loaded.
 */
export function jobAllowlist(
  config: LoadedConfig,
  spec: JobSpec,
): { cidrs: string[]; source: string } | null {
  if (spec.allowCidrs === null || config.sources["ssh.allowCidrs"]?.startsWith("flag ")) return null;
  return { cidrs: spec.allowCidrs, source: spec.allowCidrsSource ?? `jobs.${spec.name}.allowCidrs` };
}

/** `(.crabbox.yaml:14:5)` from a full `path:line:col`. */
const at = (where: string | undefined) => `(${(where ?? "").split("/").pop()})`;

/** SPEC §11.6: with policy.jobsOnly in the repo config, only named jobs run. */
export function refuseUnderJobsOnly(config: LoadedConfig): void {
  if (!config.config.policy.jobsOnly) return;
  throw new CrabboxError(
    "policy",
    "policy.jobsOnly is set in .crabbox.yaml: use 'crabbox job list' and 'crabbox job run <name>'",
    { hint: `configured jobs: ${Object.keys(config.jobs).sort().join(", ") || "none"}` },
  );
}
