/** `crabbox job run NAME --dry-run`: the plan offline (jobs/dry_run.ts), rendered as text or --json. */
import { join } from "node:path";
import type { CommandContext } from "./context.ts";
import { CrabboxError } from "../core/errors.ts";
import { formatBytes, formatCount } from "../core/format.ts";
import { type JobSpec, printableCommand } from "../jobs/plan.ts";
import { dryRunJob } from "../jobs/dry_run.ts";
import type { BaseSettings } from "./settings.ts";

export async function dryRun(
  ctx: CommandContext,
  settings: BaseSettings,
  name: string,
  spec: JobSpec | null,
  flags: { id?: string; pool?: string | true },
): Promise<void> {
  const { config } = settings;
  const { plan, planPath, steps, checks, manifest, rules, ok } = await dryRunJob(ctx.deps, ctx.out, {
    config,
    gitRoot: settings.gitRoot,
    name,
    spec,
    id: flags.id,
    pool: flags.pool,
  });
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
