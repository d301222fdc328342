/**
 * The command step of a run (SPEC §9.4, §9.5): the env file (over the command channel's stdin), the
 * preflight tools, the streamed command, and result collection — all under the box lock.
 */
import { CrabboxError, finalFailure } from "../core/errors.ts";
import { formatDurationMs } from "../core/duration.ts";
import { shellJoin } from "../core/format.ts";
import { describeForwarded } from "../config/env_allow.ts";
import { preflightScript, renderEnvFile } from "../ssh/scripts.ts";
import type { Box } from "./box.ts";
import { runRemoteCommand } from "./exec.ts";
import type { OutputTail } from "./failure_bundle.ts";
import type { PhaseClock } from "./run_summary.ts";
import type { RunContext, RunRequest } from "./run.ts";

export interface CommandStep {
  box: Box;
  workdir: string;
  runId: string;
  slug: string;
  tail: OutputTail;
}

/** The exit code the run ends with (a remote code, or crabbox's own for an interrupt). */
export async function commandStep(
  ctx: RunContext,
  request: RunRequest,
  step: CommandStep,
  clock: PhaseClock,
): Promise<{ exitCode: number; interrupted: boolean }> {
  const { deps, out } = ctx;
  const { box, runId } = step;
  out.phase("command", `starting ${shellJoin(request.argv)}`);
  clock.enter("command");
  const envFile = renderEnvFile({
    ...request.env.forward,
    ...request.envSet,
    CRABBOX_LEASE_ID: box.leaseId,
    CRABBOX_RUN_ID: runId,
    CRABBOX_SLUG: step.slug,
  });
  out.progress(`env forwarded ${describeForwarded(request.env.forward, request.env.allow)}`);
  const commandDir = request.subdir ? `${step.workdir}/${request.subdir}` : step.workdir;
  if (request.preflightTools?.length) await preflight(box, commandDir, request.preflightTools);
  out.progress(`running ${shellJoin(request.argv)}`);
  const result = await runRemoteCommand({ deps, out, signal: ctx.signal }, box, {
    argv: request.argv,
    shell: request.shell,
    workdir: commandDir,
    runId,
    timeoutSecs: request.timeoutSecs,
    tail: step.tail,
    envFile,
  });
  out.progress(`command exited ${result.exitCode} after ${formatDurationMs(result.durationMs)}`);
  const exitCode = result.interrupted ? finalFailure(null, ctx.signal).exitCode : result.exitCode;
  if (request.collect) {
    out.phase("collect", "collecting results");
    clock.enter("collect");
    await request.collect(box, commandDir).catch((error) =>
      out.warn(`collection failed: ${(error as Error).message}`)
    );
  }
  return { exitCode, interrupted: result.interrupted };
}

/** Every tool must be on the box's PATH before the command starts; the missing ones are named (exit 7). */
async function preflight(box: Box, workdir: string, tools: string[]): Promise<void> {
  const result = await box.run(preflightScript({ workdir, tools }));
  if (result.code !== 0) {
    throw new CrabboxError("remote", `preflight check failed on ${box.leaseId} (${result.code})`, {
      hint: `check the box with: crabbox ssh ${box.leaseId}`,
    });
  }
  const missing = new TextDecoder().decode(result.stdout).split("\n").filter(Boolean);
  if (missing.length > 0) {
    throw new CrabboxError("remote", `preflight: missing on the box: ${missing.join(", ")}`, {
      hint: "install them on the box (or in the command), or remove them from run.preflightTools",
    });
  }
}
