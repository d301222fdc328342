/** `crabbox run [flags] -- <command…>`: parse, validate (before any API call), run, pass the exit code through. */
import { Command } from "@commander-js/extra-typings";
import { join } from "node:path";
import type { CommandContext } from "./context.ts";
import { addLeaseCreateOptions } from "./lease_options.ts";
import { checkLocalTargets, checkRunFlags, checkRunFlagValues, needsShell } from "./run_flags.ts";
import { addRunOptions, type RunFlags } from "./run_options.ts";
import { parseDurationFlag } from "../core/duration.ts";
import { sanitizeLabelValue } from "../labels/sanitize.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { StopPolicy } from "../config/schema.ts";
import { runWithResults } from "../jobs/collect.ts";
import { effectiveStopPolicy } from "../lease/stop_policy.ts";
import { loadRunSettings, startSweep } from "./settings.ts";
import { forwardEnv, leaseIdsFor, prepareRunSync, runContext } from "./run_inputs.ts";
import { refuseUnderJobsOnly } from "../jobs/spec.ts";

function poolName(settings: { config: LoadedConfig }): string {
  return sanitizeLabelValue(settings.config.config.pool.name);
}

export function runCommand(ctx: CommandContext) {
  const command = addLeaseCreateOptions(
    addRunOptions(
      new Command("run")
        .description(
          "lease a box (or reuse --id), sync the working tree, run the command, stream its output, release",
        )
        .argument("[command...]", "the command to run on the box (after --)"),
    ),
  );
  command.addHelpText(
    "after",
    `
Examples:
  crabbox run -- pnpm test
  crabbox run --class small -- make check
  crabbox run --id violet-prawn -- git status
  crabbox run --shell -- 'npm ci && npm test'
  crabbox run --junit 'reports/*.xml' --artifact coverage/summary.json --result-json result.json -- make test
  crabbox run --download out/report.html=report.html -- make report
  crabbox run --id violet-prawn --sync-only

Exit status: the remote command's own code; crabbox's own failures use 2–8 (crabbox help exit-codes).`,
  );
  command.action(async (argv, parsed) => {
    const flags = parsed as typeof parsed & RunFlags;
    const syncOnly = !!flags.syncOnly;
    checkRunFlags(argv, flags);
    const stop = effectiveStopPolicy({
      policy: (flags.stop ?? flags.stopAfter ?? "auto") as StopPolicy,
      keep: flags.keep,
      keepOnFailure: flags.keepOnFailure,
      existingBox: !!flags.id || flags.pool !== undefined,
    });
    const shell = !!flags.shell || needsShell(argv);
    const lockTimeoutFlag = parseDurationFlag("--lock-timeout", flags.lockTimeout);
    const timeoutSecs = parseDurationFlag("--timeout", flags.timeout);
    checkRunFlagValues(flags);
    const settings = await loadRunSettings(ctx, flags);
    // SPEC §11.6: a sync-only run is allowed under policy.jobsOnly (it runs nothing).
    if (!syncOnly) refuseUnderJobsOnly(settings.config);
    const repoRoot = settings.gitRoot ?? ctx.deps.fs.cwd();
    const resultFile = await checkLocalTargets(ctx, repoRoot, flags);
    const sync = flags.sync === false ? null : await prepareRunSync(ctx, settings, flags);
    if (shell && !syncOnly) ctx.out.notice("note: running via bash -lc");
    await startSweep(ctx, settings, flags.id ? await leaseIdsFor(ctx, flags.id) : []);

    const flagAllow = flags.allowEnv ?? [];
    const configAllow = settings.config.config.env.allow;
    // Exact names a human chose: --allow-env and the user config's own list.
    const trusted = new Set([
      ...flagAllow,
      ...(settings.config.sources["env.allow"].startsWith("user ") ? configAllow : []),
    ]);
    const env = forwardEnv(ctx, settings, flagAllow, trusted);
    ctx.exitCode = await runWithResults(runContext(ctx, settings), {
      argv,
      syncOnly,
      shell,
      subdir: flags.workdir,
      id: flags.id,
      pool: flags.pool === undefined
        ? undefined
        : flags.pool === true
        ? poolName(settings)
        : sanitizeLabelValue(flags.pool),
      stop,
      shape: settings.shape,
      sync,
      repo: settings.repo,
      graceSecs: settings.config.config.sweep.grace,
      lockTimeoutSecs: lockTimeoutFlag ?? (settings.config.config.run.lockTimeout),
      owner: settings.owner,
      env,
      envSet: settings.config.config.env.set,
      timeoutSecs,
      preflightTools: settings.config.config.run.preflightTools,
    }, {
      job: null,
      name: "run",
      resultsDir: join(repoRoot, settings.config.config.results.dir),
      repoRoot,
      junit: flags.junit ?? [],
      artifacts: flags.artifact ?? [],
      requiredArtifacts: flags.requireArtifact ?? [],
      downloads: flags.download ?? [],
      maxArtifactBytes: settings.config.config.results.maxArtifactBytes,
      resultFile,
    });
  });
  return command;
}
