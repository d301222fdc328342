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
import { type CommandChannel, type CommandLine, openAhead } from "./command_channel.ts";
import type { HeldLease } from "./run_lease.ts";
import { remoteWorkdir } from "./sync_step.ts";
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

/** The command line of a run's command step, the same whether its channel is opened ahead or not. */
export function commandLineOf(request: RunRequest, step: Omit<CommandStep, "tail">): CommandLine {
  return {
    argv: request.argv,
    shell: request.shell,
    workdir: request.subdir ? `${step.workdir}/${request.subdir}` : step.workdir,
    runId: step.runId,
    envFile: renderEnvFile({
      ...request.env.forward,
      ...request.envSet,
      CRABBOX_LEASE_ID: step.box.leaseId,
      CRABBOX_RUN_ID: step.runId,
      CRABBOX_SLUG: step.slug,
    }),
  };
}

/**
 * A warm lease's command channel, opened with its lock channel so that its setup overlaps the lock and
 * the sync check (lease/command_channel.ts); null for a sync-only run, a lease not remembered from the
 * last run, or one whose ControlMaster is not up (two channels would race to make it).
 */
export async function commandChannelAhead(
  request: RunRequest,
  lease: HeldLease,
  runId: string,
): Promise<CommandChannel | null> {
  const { box, leaseId, server } = lease;
  if (request.syncOnly || !lease.remembered || !(await box.hasMaster())) return null;
  const workdir = remoteWorkdir(box.workRoot, leaseId, request.repo);
  return openAhead(box, commandLineOf(request, { box, workdir, runId, slug: server.labels.slug ?? "" }));
}

/** The exit code the run ends with (a remote code, or crabbox's own for an interrupt). */
export async function commandStep(
  ctx: RunContext,
  request: RunRequest,
  step: CommandStep,
  clock: PhaseClock,
  /** The command's channel, opened ahead of the lock (run.ts); a new one is opened when it does not fit. */
  ahead?: CommandChannel | null,
): Promise<{ exitCode: number; interrupted: boolean }> {
  const { deps, out } = ctx;
  const { box } = step;
  out.phase("command", `starting ${shellJoin(request.argv)}`);
  clock.enter("command");
  const line = commandLineOf(request, step);
  out.progress(`env forwarded ${describeForwarded(request.env.forward, request.env.allow)}`);
  if (request.preflightTools?.length) await preflight(box, line.workdir, request.preflightTools);
  out.progress(`running ${shellJoin(request.argv)}`);
  const result = await runRemoteCommand({ deps, out, signal: ctx.signal }, box, {
    ...line,
    timeoutSecs: request.timeoutSecs,
    tail: step.tail,
  }, ahead);
  out.progress(`command exited ${result.exitCode} after ${formatDurationMs(result.durationMs)}`);
  const exitCode = result.interrupted ? finalFailure(null, ctx.signal).exitCode : result.exitCode;
  if (request.collect) {
    out.phase("collect", "collecting results");
    clock.enter("collect");
    await request.collect(box, line.workdir).catch((error) =>
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
