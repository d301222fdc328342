/**
 * `crabbox run`: acquire (or reuse --id), sync, run with streamed output, release by policy, and exit
 * with the remote command's own code. Release failures never replace that code.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { type CrabboxError, finalFailure } from "../core/errors.ts";
import { newRunId } from "../labels/ids.ts";
import { decodeLeaseLabels } from "../labels/codec.ts";
import type { LeaseShape } from "./acquire.ts";
import { type Box, prepareControlSocketDir } from "./box.ts";
import { rememberServer } from "./labels_write.ts";
import { remoteWorkdir, type SyncOptions, type SyncResult, syncTree } from "./sync_step.ts";
import { type Heartbeat, startHeartbeat } from "./heartbeat.ts";
import type { HeldLock } from "./box_lock.ts";
import { getLease, type HeldLease, lockLease, lockOwner, releaseByPolicy } from "./run_lease.ts";
import { LeaseLabels } from "./lease_labels.ts";
import { commandChannelAhead, commandStep } from "./run_command.ts";
import type { CommandChannel } from "./command_channel.ts";
import { makeWorkdirScript } from "../ssh/scripts.ts";
import { leftoversNote } from "./leftovers.ts";
import { type FailureFacts, leaseFacts, leaveFailureBundle, OutputTail } from "./failure_bundle.ts";
import { runCostFields } from "./cost.ts";
import type { PriceSource } from "./prices.ts";
import { type Phase, PhaseClock, type Phases, summaryLine } from "./run_summary.ts";
import type { StopPolicy } from "../config/schema.ts";

export interface RunRequest {
  argv: string[];
  shell: boolean;
  id?: string;
  /** Claim an idle box of this warm pool (or provision one that joins it). */
  pool?: string;
  stop: StopPolicy;
  shape: LeaseShape;
  /** null with --no-sync. */
  sync: SyncOptions | null;
  repo: string;
  graceSecs: number;
  lockTimeoutSecs: number;
  owner: string;
  /** Forwarded variables (values travel over ssh stdin only) and the allowlist, for the summary line. */
  env: { forward: Record<string, string>; allow: string[] };
  /** Extra variables (job env.set, CRABBOX_JOB). */
  envSet?: Record<string, string>;
  /** Where the command runs, relative to the synced tree (job workdir). */
  subdir?: string;
  /** Command wall-clock limit in seconds. */
  timeoutSecs?: number;
  /** run.preflightTools: checked with `command -v` on the box before the command; missing ones exit 7. */
  preflightTools?: string[];
  /** `run --sync-only`: lease, lock and sync like a run, then no command (exit 0). */
  syncOnly?: boolean;
  /** Runs after the command on success and failure, under the lock, in the command's directory. */
  collect?: (box: Box, workdir: string) => Promise<void>;
  onFinish?: (outcome: RunOutcome) => Promise<void>;
  /** A failed run writes `<resultsDir>/failure-<run>.json` (lease/failure_bundle.ts). */
  failureBundle?: { resultsDir: string; job: string | null };
}

export interface RunContext {
  deps: Deps;
  api: HetznerApi;
  out: Output;
  signal: AbortSignal;
  repoRoot: string | null;
  setSecondInterruptNote: (note: (() => void) | null) => void;
  prices?: PriceSource;
}

/** Everything a result file needs (SPEC §11.5), handed to request.onFinish before run returns or throws. */
export interface RunOutcome {
  runId: string;
  leaseId: string;
  server: Server;
  fresh: boolean;
  pool: string | null;
  exitCode: number;
  /** The remote command ran to an exit status (else the code is crabbox's own). */
  commandRan: boolean;
  interrupted: boolean;
  failure: unknown;
  released: boolean;
  releaseError: string | null;
  phases: Phases;
  sync: SyncResult | null;
  startedMs: number;
  finishedMs: number;
  /** The last bytes of the command's output. */
  tail: OutputTail;
}

export async function runCommandOnBox(ctx: RunContext, request: RunRequest): Promise<number> {
  const { deps, api, out } = ctx;
  // The manifest, built before anything was leased, is the start of the run and of its sync phase.
  const clock = new PhaseClock(
    () => deps.clock.now(),
    deps.clock.now() - (request.sync?.manifestMs ?? 0),
    "sync",
  );
  clock.enter("acquire");
  const runId = newRunId((n) => deps.random.bytes(n));
  if (request.shape.controlPersist) await prepareControlSocketDir(deps);
  let syncResult: SyncResult | null = null;
  let commandRan = false;
  let interrupted = false;
  const tail = new OutputTail();
  const bundle = (
    facts: Omit<FailureFacts, "runId" | "job" | "argv" | "startedMs" | "finishedMs" | "tail">,
  ) =>
    request.failureBundle
      ? leaveFailureBundle(deps, out, request.failureBundle.resultsDir, {
        ...facts,
        runId,
        job: request.failureBundle.job,
        argv: request.argv,
        startedMs: clock.startedMs,
        finishedMs: deps.clock.now(),
        tail,
      })
      : Promise.resolve();

  let lease: HeldLease;
  try {
    lease = await getLease(ctx, request, runId, clock);
  } catch (error) {
    const failure = finalFailure(error, ctx.signal);
    const phase = clock.current;
    const totalMs = clock.stop();
    // A fresh box was rolled back; an existing one is not ours to name here.
    await bundle({
      phase,
      exitCode: failure.exitCode,
      commandRan: false,
      error: failure,
      lease: null,
      boxRemains: false,
      phases: { [phase]: totalMs },
    });
    throw error;
  }
  // A fresh box's whole bill is the run's; on a warm box, the hours the run started.
  const billedFrom = lease.fresh ? -Infinity : api.now();
  clock.enter("bootstrap");
  let server = lease.server;
  const labels = new LeaseLabels(deps, api, lease);
  // Only a second signal prints this, so the run ends interrupted: the stop policy for a non-zero code.
  ctx.setSecondInterruptNote(() =>
    out.notice(
      shouldDelete(request.stop, lease.fresh && !request.pool, finalFailure(null, ctx.signal).exitCode)
        ? leftoversNote({ leaseId: lease.leaseId, serverId: server.id, serverName: server.name, keyId: null })
        : `lease ${lease.leaseId} is kept but may still be labelled ${
          labels.saysRunning ? "running" : server.labels.state ?? "running"
        }; its next run takes it over, or release it: crabbox stop ${lease.leaseId}`,
    )
  );

  let exitCode: number;
  let failure: unknown = null;
  let heartbeat: Heartbeat | null = null;
  let lock: HeldLock | null = null;
  let failedPhase: Phase | null = null;
  let ahead: CommandChannel | null = null;
  try {
    await lease.box.prepare();
    ahead = await commandChannelAhead(request, lease, runId);
    clock.enter("lock");
    // One label write for the whole hold: running from the lock to the end of the command. For a lease
    // remembered from this machine's last run it goes out with the lock channel and stands when the lock
    // comes at once: the sync and the command do not wait for its answer (the box lock, not the label,
    // holds the box), and the release's ready write goes out after it. Otherwise it is written under the
    // lock, after a read when another run held the box meanwhile. Without a lock, the release sets it
    // back to ready.
    const running = { state: "running", run: runId } as const;
    const early = lease.remembered ? labels.touch(running, ctx.signal) : null;
    early?.catch(() => {}); // awaited below, or settled by the release
    const locked = await lockLease(ctx, request, lease, runId, clock);
    ({ lease, lock } = locked);
    server = lease.server;
    if (early && locked.asItCame) {
      early.catch((error) => {
        if (!ctx.signal.aborted) {
          out.warn(`could not label ${lease.leaseId} running: ${(error as Error).message}; the run goes on`);
        }
      });
    } else {
      await early?.catch(() => {});
      labels.learn(lease.known);
      if (lock.waited) labels.stale();
      server = await labels.touch(running, ctx.signal);
    }
    heartbeat = startHeartbeat({
      api,
      clock: deps.clock,
      out,
      serverId: server.id,
      leaseId: lease.leaseId,
      idleSecs: decodeLeaseLabels(server.labels).idleSecs ?? request.shape.idleSecs,
      graceSecs: request.graceSecs,
      onWrite: (written) => rememberServer(deps, api, written),
    });
    const { box, leaseId } = lease;
    const workdir = remoteWorkdir(box.workRoot, leaseId, request.repo);
    clock.enter("sync");
    if (request.sync) {
      syncResult = await syncTree({ deps, out, signal: ctx.signal }, box, {
        ...request.sync,
        workdir,
        repo: request.repo,
        remoteState: lock.syncState,
      });
    } else {
      await box.run(makeWorkdirScript({ workdir }));
    }
    ctx.signal.throwIfAborted();
    if (request.syncOnly) {
      out.progress("sync only: no command run");
      exitCode = 0;
    } else {
      const step = { box, workdir, runId, slug: server.labels.slug ?? "", tail };
      ({ exitCode, interrupted } = await commandStep(ctx, request, step, clock, ahead));
      commandRan = true;
      if (exitCode !== 0) failedPhase = "command";
    }
  } catch (error) {
    // Normalised here so the summary's exit= is the code the process ends with.
    failure = finalFailure(error, ctx.signal);
    exitCode = (failure as CrabboxError).exitCode;
    failedPhase = clock.current;
  }
  // Unused (a failure before the command, or a lease resolved again): it ends without running anything.
  await ahead?.abandon();
  const { leaseId } = lease;

  // The heartbeat ends before any release or return to ready (SPEC §16 #30).
  clock.enter("release");
  await heartbeat?.stop();
  // A box provisioned for a pool joins the pool: for `auto` it is kept like any pool box.
  const deleteIt = shouldDelete(request.stop, lease.fresh && !request.pool, exitCode);
  const { released, releaseError, ...after } = await releaseByPolicy(ctx, {
    lease,
    lock,
    labels,
    deleteIt,
    failed: exitCode !== 0,
    shape: request.shape,
    owner: lockOwner(ctx, request, runId),
  });
  server = after.server;
  ctx.setSecondInterruptNote(null);
  // A signal or a closed pipe during release still ends the process with the signal's code.
  if (ctx.signal.aborted && !failure) exitCode = finalFailure(null, ctx.signal).exitCode;
  const totalMs = clock.stop();
  const cost = runCostFields((await ctx.prices?.table()) ?? null, server, billedFrom, api.now());
  out.progress(
    summaryLine(leaseId, clock.phases, totalMs, [
      ...cost,
      out.paint("stderr", exitCode === 0 ? "ok" : "error", `exit=${exitCode}`),
    ]),
  );
  if (exitCode !== 0) {
    await bundle({
      phase: failedPhase ?? "release",
      exitCode,
      commandRan,
      // An interrupted command has no error of its own, but its code is crabbox's (130, 143, …).
      error: (failure as CrabboxError | null) ?? (ctx.signal.aborted ? finalFailure(null, ctx.signal) : null),
      lease: leaseFacts(server, leaseId, lease.fresh),
      boxRemains: !released,
      phases: clock.phases,
    });
  }
  await request.onFinish?.({
    runId,
    leaseId,
    server,
    fresh: lease.fresh,
    pool: request.pool ?? null,
    exitCode,
    commandRan,
    interrupted,
    failure,
    released,
    releaseError,
    phases: clock.phases,
    sync: syncResult,
    startedMs: clock.startedMs,
    finishedMs: deps.clock.now(),
    tail,
  });
  if (failure) throw failure;
  return exitCode;
}

/**
 * `--keep-on-failure` is not a policy of its own: it turns the given one into the policy that deletes on
 * success exactly when the given one does, and never after a failure (SPEC §11.3: `success` for a box this
 * run creates). An existing box (`--id`, `--pool`) under `auto` is kept anyway, so `auto` stays.
 */
export function keepOnFailure(policy: StopPolicy, existingBox: boolean): StopPolicy {
  switch (policy) {
    case "auto":
      return existingBox ? "auto" : "success";
    case "always":
    case "success":
      return "success";
    case "failure":
    case "never":
      return "never";
  }
}

/** SPEC §11.3. */
export function shouldDelete(policy: StopPolicy, fresh: boolean, exitCode: number): boolean {
  switch (policy) {
    case "auto":
      return fresh;
    case "always":
      return true;
    case "success":
      return exitCode === 0;
    case "failure":
      return exitCode !== 0;
    case "never":
      return false;
  }
}
