/**
 * The command phase (SPEC §9.5): the exec script runs the command in its own process group with a
 * watchdog on the channel's stdin; output streams untouched; a 255 from ssh is settled by reading the
 * exit file back; Ctrl-C stops the remote group over a second channel.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import { CrabboxError } from "../core/errors.ts";
import { formatDuration } from "../core/duration.ts";
import { killScript, readExitScript } from "../ssh/scripts.ts";
import { type CommandChannel, type CommandLine, fits, openCommandChannel } from "./command_channel.ts";
import type { Box } from "./box.ts";
import type { OutputTail } from "./failure_bundle.ts";

export interface CommandSpec extends CommandLine {
  /** Wall-clock limit (run --timeout, job timeout): TERM, KILL 10 s later, then exit 5. */
  timeoutSecs?: number;
  /** Keeps the last bytes of stdout and stderr as they stream (the failure bundle's last lines). */
  tail?: OutputTail;
}

export interface CommandResult {
  exitCode: number;
  interrupted: boolean;
  durationMs: number;
}

const KILL_GRACE_MS = 10_000;

export async function runRemoteCommand(
  ctx: { deps: Deps; out: Output; signal: AbortSignal },
  box: Box,
  spec: CommandSpec,
  /** A channel opened ahead for this command (lease/command_channel.ts); the caller abandons it if unused. */
  ahead?: CommandChannel | null,
): Promise<CommandResult> {
  const { deps, out, signal } = ctx;
  const started = deps.clock.now();
  // The channel opened ahead when it is this very command's, else a new one (and that one ends unused).
  const channel = fits(ahead, box, spec) ? ahead! : openCommandChannel(box, spec);
  if (channel !== ahead) void ahead?.abandon();
  const { child, stdin: stdinWriter } = channel.start({
    stdout: (chunk) => {
      spec.tail?.push(chunk);
      out.remoteStdout(chunk);
    },
    stderr: (chunk) => {
      spec.tail?.push(chunk);
      out.remoteStderr(chunk);
    },
  });

  let interrupted = false;
  let timedOut = false;
  const onAbort = () => {
    interrupted = true;
    void stopRemote(deps, box, spec.runId, child.status);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const timer = new AbortController();
  if (spec.timeoutSecs) {
    void deps.clock.sleep(spec.timeoutSecs * 1000, timer.signal).then(() => {
      timedOut = true;
      return stopRemote(deps, box, spec.runId, child.status);
    }).catch(() => {});
  }
  let status: { code: number };
  try {
    status = await child.status;
  } finally {
    timer.abort();
    signal.removeEventListener("abort", onAbort);
    await stdinWriter?.close().catch(() => {});
  }
  if (timedOut) {
    throw new CrabboxError("timeout", `command exceeded timeout ${formatDuration(spec.timeoutSecs!)}`, {
      hint: "raise --timeout (or the job's timeout), or make the command faster",
    });
  }
  let exitCode = status.code;
  if (exitCode === 255) exitCode = await settleExit255(box, spec.runId);
  else if (SETUP_FAILURES[exitCode] && !interrupted) {
    exitCode = await settleSetupExit(box, spec.runId, exitCode);
  }
  return { exitCode, interrupted, durationMs: deps.clock.now() - started };

  async function settleExit255(box: Box, runId: string): Promise<number> {
    const probe = await box.run(readExitScript({ workRoot: box.workRoot, runId }));
    const answer = new TextDecoder().decode(probe.stdout).trim();
    if (probe.code === 0 && /^\d+$/.test(answer)) return Number(answer);
    if (answer.startsWith("lost")) {
      throw new CrabboxError(
        "remote",
        `ssh connection lost during the command; the box stopped it (${answer})`,
        {
          hint: `re-run the command; check the box with: crabbox status ${box.leaseId}`,
        },
      );
    }
    if (answer === "running") {
      throw new CrabboxError(
        "remote",
        `ssh connection lost; the command is still running on ${box.leaseId} and will be stopped by the watchdog`,
        { hint: `inspect with: crabbox status ${box.leaseId}` },
      );
    }
    throw new CrabboxError("remote", "connection lost; exit status unknown", {
      hint: `re-run the command; check the box with: crabbox status ${box.leaseId}`,
    });
  }
}

/** The codes the exec script exits with before the command starts (exec.sh), and what each means. */
const SETUP_FAILURES: Record<number, string> = {
  74: "could not write the forwarded env file",
  97: "could not enter the command's workdir",
};

/**
 * 74 or 97: the exec script's own failure, or the command's exit? Only a command that ran leaves an exit
 * record, so the box's answer tells them apart, one round trip, only for these two codes.
 */
async function settleSetupExit(box: Box, runId: string, code: number): Promise<number> {
  const probe = await box.run(readExitScript({ workRoot: box.workRoot, runId }));
  const answer = new TextDecoder().decode(probe.stdout).trim();
  if (probe.code === 0 && /^\d+$/.test(answer)) return Number(answer);
  throw new CrabboxError("remote", `the box ${SETUP_FAILURES[code]}; the command did not start (${code})`, {
    hint: `check the box's disk and work root with: crabbox ssh ${box.leaseId} -- df -h ${box.workRoot}`,
  });
}

/** TERM the remote group over a second channel; KILL if the command channel has not ended 10 s later. */
async function stopRemote(deps: Deps, box: Box, runId: string, ended: Promise<unknown>): Promise<void> {
  await box.run(killScript({ workRoot: box.workRoot, runId, signal: "TERM" })).catch(() => {});
  const grace = new AbortController();
  const timer = deps.clock.sleep(KILL_GRACE_MS, grace.signal).then(
    () => "timeout" as const,
    () => "ended" as const,
  );
  const first = await Promise.race([ended.then(() => "ended" as const), timer]);
  grace.abort();
  if (first === "timeout") {
    await box.run(killScript({ workRoot: box.workRoot, runId, signal: "KILL" })).catch(() => {});
  }
}
