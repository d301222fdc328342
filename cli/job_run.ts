/**
 * A real `job run`: the job's shape and command through the same run path as `run`, with its JUnit,
 * artifacts and downloads pulled back under .crabbox-results/<job>/ and a result file (SPEC §11.2, §11.5,
 * §11.6; the collection lives in jobs/collect.ts).
 */
import { join } from "node:path";
import type { CommandContext } from "./context.ts";
import { usageError } from "../core/errors.ts";
import type { JobSpec } from "../jobs/plan.ts";
import { collectPathProblem, runWithResults } from "../jobs/collect.ts";
import { jobAllowlist } from "../jobs/spec.ts";
import { type RunSettings, startSweep } from "./settings.ts";
import { forwardEnv, leaseIdsFor, prepareRunSync, runContext } from "./run_inputs.ts";
import { sanitizeLabelValue } from "../labels/sanitize.ts";
import { forkShape, markCheckpointUsed } from "../lease/checkpoint_fork.ts";

function checkGlobs(job: JobSpec): void {
  for (const glob of [...job.junit, ...job.artifacts, ...job.requiredArtifacts]) {
    if (collectPathProblem(glob)) {
      throw usageError(
        `jobs.${job.name}: "${glob}" must be a relative path inside the workdir`,
        "remove the leading / or ..",
      );
    }
  }
}

export async function runJob(
  ctx: CommandContext,
  settings: RunSettings,
  job: JobSpec,
  options: { id?: string; pool?: string | true },
): Promise<void> {
  checkGlobs(job);
  const repoRoot = settings.gitRoot ?? ctx.deps.fs.cwd();
  const resultsDir = join(repoRoot, settings.config.config.results.dir);
  const sync = job.noSync ? null : await prepareRunSync(ctx, settings, {
    checksum: job.checksum,
    forceSyncLarge: job.forceSyncLarge,
  });
  await startSweep(ctx, settings, options.id ? await leaseIdsFor(ctx, options.id) : []);
  const poolName = options.pool === true
    ? (settings.config.config.pool.name)
    : options.pool ?? job.pool ?? undefined;
  // As run does: a pool name becomes a label value, so it is sanitized like one.
  const pool = poolName === undefined ? undefined : sanitizeLabelValue(poolName);
  const env = forwardEnv(ctx, settings, job.envAllow, new Set());
  const allow = jobAllowlist(settings.config, job);
  const shape = {
    ...settings.shape,
    className: job.className,
    serverType: job.serverType ?? undefined,
    architecture: job.architecture,
    locations: job.locations,
    image: job.image,
    ttlSecs: job.ttlSecs,
    idleSecs: job.idleSecs,
    keep: job.keep,
    profile: job.profile,
    pond: settings.shape.pond ?? job.pond ?? undefined,
    ...(allow ? { allowCidrs: allow.cidrs, allowCidrsSource: allow.source } : {}),
  };
  // `checkpoint:` shapes a fresh box only: --id and a pool box already have their disk.
  const fork = job.checkpoint && !options.id && !pool
    ? await forkShape(ctx.hetzner(settings.endpoint), job.checkpoint, shape, {
      typeGiven: job.className !== settings.config.config.class || job.serverType !== null,
      archGiven: false,
    }, ctx.interrupt.signal)
    : null;

  ctx.exitCode = await runWithResults(runContext(ctx, settings), {
    argv: job.commandArgv,
    syncOnly: job.syncOnly,
    subdir: job.workdir ?? undefined,
    shell: job.command !== null && job.mode === "shell",
    id: options.id,
    pool,
    stop: job.stop,
    shape: fork?.shape ?? shape,
    sync,
    repo: settings.repo,
    graceSecs: settings.config.config.sweep.grace,
    lockTimeoutSecs: settings.config.config.run.lockTimeout,
    owner: settings.owner,
    env,
    envSet: { ...job.envSet, CRABBOX_JOB: job.name },
    timeoutSecs: job.timeoutSecs ?? undefined,
    preflightTools: settings.config.config.run.preflightTools,
  }, {
    job: job.name,
    name: job.name,
    resultsDir,
    repoRoot,
    junit: job.junit,
    artifacts: job.artifacts,
    requiredArtifacts: job.requiredArtifacts,
    downloads: job.downloads,
    maxArtifactBytes: settings.config.config.results.maxArtifactBytes,
    resultFile: join(resultsDir, `crabbox-${job.name}.json`),
  });
  if (fork) {
    await markCheckpointUsed(ctx.hetzner(settings.endpoint), ctx.out, fork.image, ctx.interrupt.signal);
  }
}
