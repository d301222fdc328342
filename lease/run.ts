/**
 * `crabbox run`: acquire (or reuse --id), sync, run with streamed output, release by policy, and exit
 * with the remote command's own code. Release failures never replace that code.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { CrabboxError, finalFailure, usageError } from "../core/errors.ts";
import { formatDurationMs } from "../core/duration.ts";
import { formatClock, formatIso, shellJoin } from "../core/format.ts";
import { newRunId } from "../labels/ids.ts";
import { decodeLeaseLabels } from "../labels/codec.ts";
import { acquireLease, type LeaseShape } from "./acquire.ts";
import { Box, prepareControlSocketDir } from "./box.ts";
import { writeLeaseRecord } from "./store.ts";
import { resolveLease } from "./resolve.ts";
import { known, type KnownServer, type Touch, touchKnown } from "./labels_write.ts";
import { releaseServer } from "./release.ts";
import { remoteWorkdir, type SyncOptions, type SyncResult, syncTree } from "./sync_step.ts";
import { runRemoteCommand } from "./exec.ts";
import { BootstrapTimeoutError, waitForReady } from "./readiness.ts";
import { appliedFirewallHint } from "./firewall.ts";
import { type Heartbeat, startHeartbeat } from "./heartbeat.ts";
import { acquireBoxLock, type HeldLock } from "./box_lock.ts";
import { claimPoolBox, openExistingBox } from "./pool.ts";
import { envUploadScript, makeWorkdirScript, preflightScript, renderEnvFile } from "../ssh/scripts.ts";
import { describeForwarded } from "../config/env_allow.ts";
import { leftoversNote } from "./leftovers.ts";
import {
  type FailureFacts,
  leaseFacts,
  leaveFailureBundle,
  OutputTail,
  type RunPhase,
} from "./failure_bundle.ts";
import { formatMoney, runCost } from "./cost.ts";
import type { PriceSource } from "./prices.ts";
import { PhaseClock, type Phases, summaryLine } from "./run_summary.ts";

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
  let releaseError: string | null = null;
  let released = false;
  const tail = new OutputTail();
  // Where the run is: a failure is reported in the phase it happened in.
  const at: { phase: RunPhase } = { phase: "acquire" };
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
    lease = request.id
      ? await reuseLease(ctx, request, at)
      : request.pool
      ? await poolLease(ctx, request, runId, at)
      : await freshLease(ctx, request.shape, at);
  } catch (error) {
    const failure = finalFailure(error, ctx.signal);
    const totalMs = clock.stop();
    // A fresh box was rolled back; an existing one is not ours to name here.
    await bundle({
      phase: at.phase,
      exitCode: failure.exitCode,
      commandRan: false,
      error: failure,
      lease: null,
      boxRemains: false,
      phases: { [at.phase]: totalMs },
    });
    throw error;
  }
  // A fresh box's whole bill is the run's; on a warm box, the hours the run started.
  const billedFrom = lease.fresh ? -Infinity : api.now();
  clock.move("acquire", "bootstrap", lease.bootstrapMs);
  clock.enter("bootstrap");
  const { box, leaseId } = lease;
  let server = lease.server;
  // The latest copy of the server this process read or wrote: label writes merge onto it (no GET).
  let current: KnownServer = known(api, server);
  const touch = async (change: Touch, signal: AbortSignal) => {
    current = await touchKnown(api, current, change, signal);
    return current.server;
  };
  // Only a second signal prints this, so the run ends interrupted: the stop policy for a non-zero code.
  ctx.setSecondInterruptNote(() =>
    out.notice(
      shouldDelete(request.stop, lease.fresh && !request.pool, finalFailure(null, ctx.signal).exitCode)
        ? leftoversNote({ leaseId, serverId: server.id, serverName: server.name, keyId: null })
        : `lease ${leaseId} is kept but may still be labelled ${
          server.labels.state ?? "running"
        }; its next run takes it over, or release it: crabbox stop ${leaseId}`,
    )
  );

  let exitCode: number;
  let failure: unknown = null;
  let heartbeat: Heartbeat | null = null;
  let lock: HeldLock | null = null;
  let failedPhase: RunPhase | null = null;
  try {
    at.phase = "bootstrap";
    await box.prepare();
    at.phase = "lock";
    clock.enter("lock");
    lock = lease.lock ?? await acquireBoxLock({ deps, out, signal: ctx.signal }, box, {
      runId,
      owner: request.owner,
      host: deps.system.hostname(),
      pid: deps.system.pid(),
      since: formatIso(api.now()),
    }, request.lockTimeoutSecs * 1000);
    server = await touch({ state: "leased", run: runId }, ctx.signal);
    heartbeat = startHeartbeat({
      api,
      clock: deps.clock,
      out,
      serverId: server.id,
      leaseId,
      idleSecs: decodeLeaseLabels(server.labels).idleSecs ?? request.shape.idleSecs,
      graceSecs: request.graceSecs,
    });
    const workdir = remoteWorkdir(box.workRoot, leaseId, request.repo);
    at.phase = "sync";
    clock.enter("sync");
    if (request.sync) {
      syncResult = await syncTree({ deps, out, signal: ctx.signal }, box, {
        ...request.sync,
        workdir,
        repo: request.repo,
      });
    } else {
      await box.run(makeWorkdirScript({ workdir }));
    }
    ctx.signal.throwIfAborted();
    if (request.syncOnly) {
      out.progress("sync only: no command run");
      exitCode = 0;
    } else {
      out.phase("command", `starting ${shellJoin(request.argv)}`);
      at.phase = "command";
      clock.enter("command");
      await uploadEnv(box, runId, {
        ...request.env.forward,
        ...request.envSet,
        CRABBOX_LEASE_ID: leaseId,
        CRABBOX_RUN_ID: runId,
        CRABBOX_SLUG: server.labels.slug ?? "",
      });
      out.progress(`env forwarded ${describeForwarded(request.env.forward, request.env.allow)}`);
      const commandDir = request.subdir ? `${workdir}/${request.subdir}` : workdir;
      if (request.preflightTools?.length) await preflight(box, commandDir, request.preflightTools);
      server = await touch({ state: "running" }, ctx.signal);
      out.progress(`running ${shellJoin(request.argv)}`);
      const result = await runRemoteCommand({ deps, out, signal: ctx.signal }, box, {
        argv: request.argv,
        shell: request.shell,
        workdir: commandDir,
        runId,
        timeoutSecs: request.timeoutSecs,
        tail,
      });
      commandRan = true;
      interrupted = result.interrupted;
      out.progress(`command exited ${result.exitCode} after ${formatDurationMs(result.durationMs)}`);
      exitCode = result.interrupted ? finalFailure(null, ctx.signal).exitCode : result.exitCode;
      if (exitCode !== 0) failedPhase = "command";
      if (request.collect) {
        out.phase("collect", "collecting results");
        at.phase = "collect";
        clock.enter("collect");
        await request.collect(box, commandDir).catch((error) =>
          out.warn(`collection failed: ${(error as Error).message}`)
        );
      }
    }
  } catch (error) {
    // Normalised here so the summary's exit= is the code the process ends with.
    failure = finalFailure(error, ctx.signal);
    exitCode = (failure as CrabboxError).exitCode;
    failedPhase = at.phase;
  }

  // The heartbeat ends before any release or return to ready (SPEC §16 #30).
  clock.enter("release");
  await heartbeat?.stop();
  // A box provisioned for a pool joins the pool: for `auto` it is kept like any pool box.
  const deleteIt = shouldDelete(request.stop, lease.fresh && !request.pool, exitCode);
  out.phase("release", deleteIt ? `deleting server ${server.id}` : `returning ${leaseId} to ready`);
  if (deleteIt) {
    await lock?.release();
    await box.closeMaster();
    try {
      const result = await releaseServer(deps, api, server, AbortSignal.timeout(120_000), {
        known: current,
        sshKeyId: lease.sshKeyId,
      });
      released = true;
      out.progress(`released ${leaseId} (server ${server.id} ${result.serverDeleted})`);
    } catch (error) {
      releaseError = (error as Error).message;
      out.warn(`release of ${leaseId} failed: ${releaseError}; run: crabbox stop ${leaseId}`);
    }
  } else if (lock) {
    try {
      server = await touch({ state: "ready", run: null }, AbortSignal.timeout(60_000));
      const labels = decodeLeaseLabels(server.labels);
      const ttlDeadline = server.createdMs + (labels.ttlSecs ?? 0) * 1000;
      const expires = labels.expiresAtSecs ? formatClock(labels.expiresAtSecs * 1000) : "unknown";
      out.progress(
        lease.fresh && exitCode !== 0
          ? `kept ${leaseId} after failure; inspect: crabbox ssh ${leaseId}; stop: crabbox stop ${leaseId}`
          : `kept ${leaseId} (idle expiry ${expires}, ttl cap ${formatClock(ttlDeadline)})`,
      );
    } catch (error) {
      out.warn(`could not mark ${leaseId} ready: ${(error as Error).message}`);
    }
    // Released only after the box is back to ready, so a waiter never sees a half-finished run.
    await lock?.release();
  }
  ctx.setSecondInterruptNote(null);
  // A signal or a closed pipe during release still ends the process with the signal's code.
  if (ctx.signal.aborted && !failure) exitCode = finalFailure(null, ctx.signal).exitCode;
  const totalMs = clock.stop();
  const cost = runCost((await ctx.prices?.table()) ?? null, server, billedFrom, api.now());
  out.progress(
    summaryLine(leaseId, clock.phases, totalMs, [
      `cost=${formatMoney(cost)}`,
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

/** Values go over stdin into a 0600 file on the box; never onto any command line. */
async function uploadEnv(box: Box, runId: string, vars: Record<string, string>): Promise<void> {
  const result = await box.run(envUploadScript({ workRoot: box.workRoot, runId }), renderEnvFile(vars));
  if (result.code !== 0) {
    throw new CrabboxError("remote", `could not write the env file on ${box.leaseId} (${result.code})`, {
      hint: `check the box with: crabbox status ${box.leaseId}`,
    });
  }
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

interface HeldLease {
  leaseId: string;
  server: Server;
  box: Box;
  fresh: boolean;
  bootstrapMs: number;
  /** Already held (a pool claim takes the lock to decide). */
  lock?: HeldLock;
  /** The lease's Hetzner SSH key, when this process created it (release deletes it by id). */
  sshKeyId?: number;
}

async function poolLease(
  ctx: RunContext,
  request: RunRequest,
  runId: string,
  at: { phase: RunPhase },
): Promise<HeldLease> {
  const claimed = await claimPoolBox(ctx, {
    pool: request.pool!,
    shape: request.shape,
    runId,
    owner: request.owner,
  });
  if (claimed) return { ...claimed, fresh: false, bootstrapMs: 0 };
  ctx.out.progress(`no idle box in pool ${request.pool}; provisioning one that joins it`);
  return await freshLease(ctx, { ...request.shape, pool: request.pool }, at);
}

async function freshLease(ctx: RunContext, shape: LeaseShape, at: { phase: RunPhase }): Promise<HeldLease> {
  const lease = await acquireLease({
    deps: ctx.deps,
    api: ctx.api,
    out: ctx.out,
    signal: ctx.signal,
    repoRoot: ctx.repoRoot,
    onResources: (resources) => {
      // The server exists: what fails from here on is its boot (IP, SSH readiness).
      if (resources.serverId !== null) at.phase = "bootstrap";
      ctx.setSecondInterruptNote(() => ctx.out.notice(leftoversNote(resources)));
    },
    prices: ctx.prices,
  }, shape);
  return { ...lease, fresh: true };
}

async function reuseLease(ctx: RunContext, request: RunRequest, at: { phase: RunPhase }): Promise<HeldLease> {
  const { deps, api, out } = ctx;
  const resolution = await resolveLease(deps, api, request.id!, ctx.signal);
  if (resolution.kind === "gone") {
    throw new CrabboxError("not_found", `lease ${resolution.leaseId} no longer exists`, {
      hint: "start a new lease: crabbox warmup, or crabbox run without --id",
    });
  }
  const server = resolution.server;
  const labels = decodeLeaseLabels(server.labels);
  const leaseId = server.labels.lease;
  const state = server.labels.state ?? "unknown";
  if (["released", "failed", "expired"].includes(state)) {
    throw new CrabboxError("not_found", `lease ${leaseId} is ${state}`, { hint: "start a new lease" });
  }
  const ttlDeadline = server.createdMs + (labels.ttlSecs ?? 0) * 1000;
  if (labels.ttlSecs && api.now() > ttlDeadline) {
    throw usageError(
      `lease ${leaseId} passed its ttl cap at ${
        formatClock(ttlDeadline)
      }; it will be swept — start a new lease`,
    );
  }
  const { box, record } = await openExistingBox(deps, out, server, request.shape);
  out.progress(`lease ${leaseId} slug=${server.labels.slug} (existing, state=${state})`);
  const bootstrapStarted = deps.clock.now();
  at.phase = "bootstrap";
  const deadline = state === "provisioning"
    ? server.createdMs + request.shape.bootstrapTimeoutSecs * 1000
    : deps.clock.now() + 30_000;
  if (request.shape.controlPersist && state !== "provisioning") await box.prepare();
  const port = await waitForReady(
    { deps, out, signal: ctx.signal, box, leaseId, ip: box.host, warm: state !== "provisioning" },
    deadline,
  ).catch(async (error) => {
    if (!(error instanceof BootstrapTimeoutError)) throw error;
    const why = await appliedFirewallHint(ctx.api, server.firewallIds, box.ports, { signal: ctx.signal });
    throw why ? new BootstrapTimeoutError(`${error.message}; ${why.detail}`, why.hint) : error;
  });
  if (port !== record.sshPort) await writeLeaseRecord(deps, { ...record, ipv4: server.ipv4, sshPort: port });
  return {
    leaseId,
    server,
    box,
    fresh: false,
    bootstrapMs: deps.clock.now() - bootstrapStarted,
  };
}
