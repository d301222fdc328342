/** `crabbox sync-plan [--limit 20] [--json]`: offline — what a run would send, and what it keeps home. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { usageError } from "../core/errors.ts";
import { formatBytes, formatCount } from "../core/format.ts";
import { describeNonRegular, syncPlan } from "../sync/plan.ts";
import { loadBaseSettings } from "./settings.ts";
import { collectSyncCandidate } from "../sync/preflight.ts";
import { repoNameFrom } from "../sync/repo_name.ts";

export function syncPlanCommand(ctx: CommandContext) {
  return new Command("sync-plan")
    .description("show what a run would sync, the biggest files and dirs, and what is excluded (offline)")
    .option("--limit <n>", "how many top files and dirs to show", "20")
    .action(async (flags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit <= 0) {
        throw usageError(`--limit ${flags.limit}: must be a positive whole number`);
      }
      const settings = await loadBaseSettings(ctx);
      const { gitRoot, rules, manifest, crabboxignore } = await collectSyncCandidate(ctx.deps, ctx.out, {
        gitRoot: settings.gitRoot,
        sync: settings.config.config.sync,
      });
      const { warnFiles, warnBytes, failFiles, failBytes } = settings.config.config.sync;
      const plan = syncPlan(
        manifest,
        { warnFiles, warnBytes, failFiles, failBytes },
        limit,
        manifest.reincludedSecrets,
      );
      if (plan.guardrail.status === "failed") ctx.exitCode = 6;
      if (ctx.globals.json) return ctx.out.json(plan);
      const repo = await repoNameFrom(ctx.deps, gitRoot);
      const lines = [
        `sync candidate: ${formatCount(plan.candidate.files)} files, ${
          formatBytes(plan.candidate.bytes)
        } (repo ${repo}, ${rules.length} rules, .crabboxignore: ${crabboxignore ? "yes" : "no"})`,
      ];
      const examples = (list: { path: string; rule: string }[], count: number) =>
        list.map((e) => `${e.path} (${e.rule})`).join(", ") +
        (count > list.length ? `, … (+${count - list.length} more)` : "");
      if (plan.excludedTrackedSecrets.count) {
        lines.push(
          `warning: ${plan.excludedTrackedSecrets.count} tracked files excluded as secret-like: ${
            examples(plan.excludedTrackedSecrets.examples, plan.excludedTrackedSecrets.count)
          }`,
        );
      }
      if (plan.protectedTracked.count) {
        lines.push(
          `note: ${plan.protectedTracked.count} tracked files kept despite build-dir rules: ${
            examples(plan.protectedTracked.examples, plan.protectedTracked.count)
          }`,
        );
      }
      if (manifest.nonRegular.length) lines.push(`skipped: ${describeNonRegular(manifest.nonRegular)}`);
      lines.push(`deleted tracked paths: ${plan.deletedTracked}`);
      const l = plan.guardrail.limits;
      lines.push(
        `guardrail: ${plan.guardrail.status} (warn ${formatCount(l.warnFiles)} files / ${
          formatBytes(l.warnBytes)
        }, fail ${formatCount(l.failFiles)} files / ${formatBytes(l.failBytes)})`,
      );
      lines.push("top files:", ...plan.topFiles.map((f) => `  ${formatBytes(f.bytes).padEnd(10)} ${f.path}`));
      lines.push(
        "top dirs:",
        ...plan.topDirs.map((d) =>
          `  ${formatBytes(d.bytes).padEnd(10)} ${d.dir} (${formatCount(d.files)} files)`
        ),
      );
      for (const line of lines) ctx.out.result(line);
    });
}
