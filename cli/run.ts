/** `crabbox run [flags] -- <command…>`: parse, validate (before any API call), run, pass the exit code through. */
import { Command, Option } from "@commander-js/extra-typings";
import { join } from "node:path";
import type { CommandContext } from "./context.ts";
import { addLeaseCreateOptions } from "./lease_options.ts";
import {
  checkLocalTargets,
  checkRunFlags,
  checkRunFlagValues,
  needsShell,
  type RunFlags,
} from "./run_flags.ts";
import { parseDurationFlag } from "../core/duration.ts";
import { sanitizeLabelValue } from "../labels/sanitize.ts";
import type { LoadedConfig } from "../config/load.ts";
import { STOP_POLICIES, type StopPolicy } from "../config/schema.ts";
import { runWithResults } from "../jobs/collect.ts";
import { effectiveStopPolicy } from "../lease/stop_policy.ts";
import { prepareSync } from "../sync/preflight.ts";
import { loadRunSettings, startSweep } from "./settings.ts";
import { forwardEnv, leaseIdsFor, runContext, syncPreflightRequest } from "./run_inputs.ts";
import { refuseUnderJobsOnly } from "../jobs/spec.ts";

function poolName(settings: { config: LoadedConfig }): string {
  return sanitizeLabelValue(settings.config.config.pool.name);
}

/** Repeatable flags append. */
const collectValues = (value: string, previous: string[] = []) => [...previous, value];

export function runCommand(ctx: CommandContext) {
  const command = addLeaseCreateOptions(
    new Command("run")
      .description(
        "lease a box (or reuse --id), sync the working tree, run the command, stream its output, release",
      )
      .argument("[command...]", "the command to run on the box (after --)")
      .option("--id <id>", "use an existing lease (cbx_… id, slug, server id or name)")
      .option("--pool [name]", "claim an idle box of a warm pool (default pool: default)")
      .addOption(new Option("--stop <policy>", "when to delete the box afterwards").choices(STOP_POLICIES))
      .addOption(new Option("--stop-after <policy>").choices(STOP_POLICIES).hideHelp())
      .option(
        "--keep-on-failure",
        "when the run fails, keep the box to inspect (for a fresh box: same as --stop success)",
      )
      .option("--no-sync", "do not sync the working tree")
      .option("--sync-only", "lease, lock and sync like a run, but run no command (e.g. to prime a box)")
      .option("--checksum", "compare file contents, not sizes and times, when syncing")
      .option("--full-resync", "wipe the remote copy and sync everything again")
      .option("--force-sync-large", "sync even a tree over the size guardrails")
      .option("--allow-mass-delete", "let a sync delete more than sync.massDeleteLimit files on the box")
      .option("--no-git-hydrate", "do not make the remote copy a git checkout (sync.hydrate: false)")
      .option(
        "--no-hydrate",
        "the Go crabbox CLI's 'skip Actions hydration': accepted, changes nothing (there is none here)",
      )
      .option("--shell", "run the command under bash -lc")
      .option("--workdir <dir>", "run in this directory, relative to the synced tree")
      .option("--lock-timeout <duration>", "how long to wait for a busy box (default 10m)")
      .option("--timeout <duration>", "stop the command after this long (exit 5)")
      .option(
        "--allow-env <names>",
        "also forward these local variables (comma-separated, repeatable; PREFIX_* allowed)",
        (
          value: string,
          previous: string[] = [],
        ) => [...previous, ...value.split(",").map((s) => s.trim()).filter(Boolean)],
      )
      .option(
        "--junit <glob>",
        "after the command, pull matching JUnit XML (relative to the workdir) and print the totals (repeatable)",
        collectValues,
      )
      .option(
        "--artifact <glob>",
        "after the command, pull matching files into .crabbox-results/run/artifacts/ (repeatable)",
        collectValues,
      )
      .option(
        "--require-artifact <glob>",
        "like --artifact, and a passing command exits 7 when it matches nothing (repeatable)",
        collectValues,
      )
      .option(
        "--download <remote=local>",
        "copy one remote file (relative to the workdir) to local: relative to the repo root, or absolute (repeatable)",
        collectValues,
      )
      .option(
        "--result-json <file>",
        "write the result document (schema crabbox.job-result/v1): relative to the repo root, or absolute",
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
    const sync = flags.sync === false
      ? null
      : await prepareSync(ctx.deps, ctx.out, syncPreflightRequest(ctx, settings, flags));
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
