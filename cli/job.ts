/** `crabbox job list` and `crabbox job run NAME [--dry-run]`: named, bounded work from .crabbox.yaml. */
import { Command, Option } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { CrabboxError, usageError } from "../core/errors.ts";
import type { JobSpec } from "../jobs/plan.ts";
import { jobSpec } from "../jobs/spec.ts";
import { STOP_POLICIES, type StopPolicy } from "../config/schema.ts";
import type { LoadedConfig } from "../config/load.ts";
import { loadBaseSettings, loadConfigQuietly, loadRunSettings } from "./settings.ts";
import { dryRun } from "./job_dry_run.ts";
import { runJob } from "./job_run.ts";
import { checkJobName } from "../config/validate_jobs.ts";
import { checkLeaseRef } from "../lease/resolve.ts";
import { effectiveStopPolicy } from "../lease/stop_policy.ts";
import { withMissingArgumentHint } from "./usage_hints.ts";

/** `job run` of a job this crabbox cannot serve: refused with the reasons, before anything else. */
function refuseUnavailable(job: JobSpec): void {
  if (job.unavailable.length === 0) return;
  throw usageError(
    `job "${job.name}" cannot run here: ${job.unavailable.join("; ")}`,
    "run it with the Go crabbox CLI, or edit the job for Hetzner (provider: hetzner, target: linux); " +
      "crabbox job list shows which jobs run here",
  );
}

/** Every job the config defines, sorted by name, as this crabbox reads it. */
function specsOf(config: LoadedConfig): JobSpec[] {
  return Object.keys(config.jobs).sort().map((name) => jobSpec(config, name)!);
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
      const specs = specsOf((await loadBaseSettings(ctx)).config);
      const names = specs.map((s) => s.name);
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
  const run = withMissingArgumentHint(new Command("run"), async () => {
    const specs = specsOf(await loadConfigQuietly(ctx));
    if (specs.length === 0) return "no jobs configured: add jobs: to .crabbox.yaml (see crabbox job list)";
    const names = (runnable: boolean) =>
      specs.filter((s) => (s.unavailable.length === 0) === runnable).map((s) => s.name).join(", ");
    const others = names(false) ? `not runnable here: ${names(false)}; ` : "";
    return `name one of the jobs of .crabbox.yaml: ${
      names(true) || "none runs here"
    } (${others}crabbox job list describes them)`;
  });
  job.addCommand(
    run
      .description("run a named job: warmup (or --id/--pool), sync, command, collect, stop by policy")
      .argument("<name>", "job name from .crabbox.yaml")
      .option("--id <id>", "run on an existing lease")
      .option("--pool [name]", "claim a warm pool box")
      .addOption(new Option("--stop <policy>", "override the job's stop policy").choices(STOP_POLICIES))
      .option("--keep-on-failure", "when the run fails, keep the box to inspect (whatever the stop policy)")
      .option("--dry-run", "offline: print the plan, run the contract checks, write the plan file")
      .option("--no-hydrate", "the Go crabbox CLI's 'skip Actions hydration': accepted, changes nothing")
      .option(
        "--allow-cidr <cidr>",
        "admit ssh only from this IPv4 range (repeatable; replaces ssh.allowCidrs)",
        (value: string, previous: string[] = []) => [...previous, value],
      )
      .action(async (name, flags) => {
        checkJobName(name);
        if (flags.id) checkLeaseRef(flags.id);
        const settings = await loadRunSettings(ctx, { allowCidr: flags.allowCidr });
        if (!settings.gitRoot) {
          throw new CrabboxError("config", `${ctx.deps.fs.cwd()} is not inside a git repository`, {
            hint: "jobs live in .crabbox.yaml at the root of your repository; cd there and retry",
          });
        }
        const spec = jobSpec(settings.config, name);
        if (spec) refuseUnavailable(spec);
        if (spec) {
          spec.stop = effectiveStopPolicy({
            policy: (flags.stop as StopPolicy | undefined) ?? spec.stop,
            keepOnFailure: flags.keepOnFailure,
            existingBox: !!flags.id || flags.pool !== undefined || !!spec.pool,
          });
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
