/** `crabbox job list` and `crabbox job run NAME [--dry-run]`: named, bounded work from .crabbox.yaml. */
import { Command, Option } from "@commander-js/extra-typings";
import { join } from "node:path";
import type { CommandContext } from "./context.ts";
import { CrabboxError, usageError } from "../core/errors.ts";
import { formatBytes, formatCount, formatIso } from "../core/format.ts";
import {
  contractChecks,
  jobCommandMode,
  jobServerTypes,
  type JobSpec,
  planSteps,
  printableCommand,
} from "../jobs/plan.ts";
import { STOP_POLICIES, type StopPolicy } from "../config/schema.ts";
import type { LoadedConfig } from "../config/load.ts";
import { loadBaseSettings, loadRunSettings } from "./settings.ts";
import { collectSyncCandidate } from "../sync/preflight.ts";
import { runJob } from "./job_run.ts";
import { checkJobName } from "../config/validate_jobs.ts";
import { checkLeaseRef } from "../lease/resolve.ts";
import { keepOnFailure } from "../lease/run.ts";

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

/** `(.crabbox.yaml:14:5)` from a full `path:line:col`. */
const at = (where: string | undefined) => `(${(where ?? "").split("/").pop()})`;

/** `job run` of a job this crabbox cannot serve: refused with the reasons, before anything else. */
function refuseUnavailable(job: JobSpec): void {
  if (job.unavailable.length === 0) return;
  throw usageError(
    `job "${job.name}" cannot run here: ${job.unavailable.join("; ")}`,
    "run it with the Go crabbox CLI, or edit the job for Hetzner (provider: hetzner, target: linux); " +
      "crabbox job list shows which jobs run here",
  );
}

function summary(job: JobSpec): string {
  const text = job.description || job.label ||
    (typeof job.command === "string" ? job.command : job.command?.join(" ") ?? "sync only");
  return text.length > 60 ? text.slice(0, 59) + "…" : text;
}

export function jobCommand(ctx: CommandContext) {
  const job = new Command("job").description("named, bounded jobs from .crabbox.yaml (for agents and CI)");
  job.addCommand(
    new Command("list").description("the jobs .crabbox.yaml defines (offline)").action(async () => {
      const settings = await loadBaseSettings(ctx);
      const names = Object.keys(settings.config.jobs).sort();
      const specs = names.map((n) => jobSpec(settings.config, n)!);
      if (ctx.globals.json) {
        return ctx.out.json(specs.map((s) => ({
          name: s.name,
          description: s.description,
          label: s.label,
          command: s.command,
          shell: s.mode === "shell",
          syncOnly: s.syncOnly,
          stop: s.stop,
          source: s.source,
          runnable: s.unavailable.length === 0,
          unavailable: s.unavailable,
        })));
      }
      if (specs.length === 0) return ctx.out.notice("no jobs configured (add jobs: to .crabbox.yaml)");
      const width = Math.max(...names.map((n) => n.length));
      const stopWidth = Math.max(...specs.map((s) => s.stop.length)) + 5;
      for (const s of specs) {
        const line = `${s.name.padEnd(width)}  ${`stop=${s.stop}`.padEnd(stopWidth)}  ${summary(s)}`;
        ctx.out.result(
          s.unavailable.length ? `${line}  [not runnable here: ${s.unavailable.join("; ")}]` : line,
        );
      }
    }),
  );
  job.addCommand(
    new Command("run")
      .description("run a named job: warmup (or --id/--pool), sync, command, collect, stop by policy")
      .argument("<name>", "job name from .crabbox.yaml")
      .option("--id <id>", "run on an existing lease")
      .option("--pool [name]", "claim a warm pool box")
      .addOption(new Option("--stop <policy>", "override the job's stop policy").choices(STOP_POLICIES))
      .option("--keep-on-failure", "when the run fails, keep the box to inspect (whatever the stop policy)")
      .option("--dry-run", "offline: print the plan, run the contract checks, write the plan file")
      .option("--no-hydrate", "the Go crabbox CLI's 'skip Actions hydration': accepted, changes nothing")
      .action(async (name, flags) => {
        checkJobName(name);
        if (flags.id) checkLeaseRef(flags.id);
        const settings = await loadRunSettings(ctx, {});
        if (!settings.gitRoot) {
          throw new CrabboxError("config", `${ctx.deps.fs.cwd()} is not inside a git repository`, {
            hint: "jobs live in .crabbox.yaml at the root of your repository; cd there and retry",
          });
        }
        const spec = jobSpec(settings.config, name);
        if (spec) refuseUnavailable(spec);
        if (flags.stop && spec) spec.stop = flags.stop as StopPolicy;
        if (flags.keepOnFailure && spec) {
          const existingBox = !!flags.id || flags.pool !== undefined || !!spec.pool;
          spec.stop = keepOnFailure(spec.stop, existingBox);
        }
        if (flags.dryRun) return await dryRun(ctx, settings, name, spec, flags);
        if (!spec) {
          throw usageError(
            `job "${name}" is not configured; configured: ${
              Object.keys(settings.config.jobs).sort().join(", ") || "none"
            }`,
            "list them with: crabbox job list",
          );
        }
        await runJob(ctx, settings, spec, { id: flags.id, pool: flags.pool });
      }),
  );
  return job;
}

async function dryRun(
  ctx: CommandContext,
  settings: Awaited<ReturnType<typeof loadBaseSettings>>,
  name: string,
  spec: JobSpec | null,
  flags: { id?: string; pool?: string | true },
): Promise<void> {
  const { config } = settings;
  const jobs = Object.keys(config.jobs).sort();
  const { gitRoot, rules, manifest } = await collectSyncCandidate(ctx.deps, ctx.out, {
    gitRoot: settings.gitRoot,
    sync: config.config.sync,
  });
  const pool = flags.pool === true ? config.config.pool.name : flags.pool;
  const checks = contractChecks({
    job: spec,
    jobName: name,
    jobs,
    jobsOnly: !!config.config.policy.jobsOnly,
    allowLayers: config.config.env.allow,
    rules,
  });
  const steps = spec ? planSteps(spec, { id: flags.id, pool }) : [];
  const ok = checks.every((c) => c.status === "ok");
  const resultsDir = join(gitRoot, config.config.results.dir);
  const planPath = join(resultsDir, `crabbox-${name}-plan.json`);
  const plan = {
    schema: "crabbox.job-plan/v1",
    job: name,
    generatedAt: formatIso(ctx.deps.clock.now()),
    ok,
    configFiles: config.files.filter((f) => f.exists).map((f) => f.path),
    lease: spec
      ? {
        mode: flags.id ? "existing" : pool || spec.pool ? "pool" : "fresh",
        id: flags.id ?? null,
        class: spec.className,
        serverTypes: jobServerTypes(spec),
        locations: spec.locations,
        image: spec.image,
        ttlSecs: spec.ttlSecs,
        idleTimeoutSecs: spec.idleSecs,
        keep: spec.keep,
      }
      : null,
    steps,
    sync: {
      enabled: !spec?.noSync,
      files: manifest.files.length,
      bytes: manifest.bytes,
      rules: rules.length,
    },
    env: {
      allow: [...config.config.env.allow, ...(spec?.envAllow ?? [])],
      set: Object.keys(spec?.envSet ?? {}),
    },
    stop: spec?.stop ?? null,
    checks,
  };
  await ctx.deps.fs.mkdir(resultsDir, { recursive: true, mode: 0o700 });
  await ctx.deps.fs.writeTextFile(planPath, JSON.stringify(plan, null, 2) + "\n", { mode: 0o600 });
  if (ctx.globals.json) ctx.out.json(plan);
  else {
    const lines = [`# job ${name} (dry-run: offline, no token used)`];
    for (const step of steps) {
      const note = step.name === "stop"
        ? `    # stop=${spec!.stop}: ${step.when === "always" ? "always" : `on ${step.when}`} for ${
          flags.id ? "an existing lease" : "a lease this job created"
        }`
        : "";
      lines.push(printableCommand(step.argv) + note);
    }
    lines.push(
      `# sync: ${formatCount(manifest.files.length)} files, ${
        formatBytes(manifest.bytes)
      }; ${rules.length} rules`,
    );
    lines.push("# checks");
    for (const check of checks) {
      lines.push(`${check.status.padEnd(6)}${check.name.padEnd(16)}${check.message}`);
    }
    lines.push(`# plan: ${join(config.config.results.dir, `crabbox-${name}-plan.json`)}`);
    for (const line of lines) ctx.out.result(line);
  }
  if (!ok) {
    throw new CrabboxError("policy", `dry-run of job "${name}" failed its contract checks`, {
      hint: `see the fail lines above and ${planPath}`,
    });
  }
}
