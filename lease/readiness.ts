/**
 * Readiness loop (SPEC §5.5): per port a TCP probe, then `crabbox-ready` over SSH. A host-key mismatch
 * aborts at once; anything else waits until the bootstrap deadline with a progress line at least every 10 s.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import { CrabboxError } from "../core/errors.ts";
import { formatDurationMs } from "../core/duration.ts";
import type { Box, ProbeResult } from "./box.ts";

export interface ReadinessContext {
  deps: Deps;
  out: Output;
  signal: AbortSignal;
  box: Box;
  leaseId: string;
  ip: string;
  /** The box was ready before: probe over the lease's ControlMaster (the first round only). */
  warm?: boolean;
  /** Checked every progress round (10 s): throws when the provider says the boot failed. */
  stillBooting?: () => Promise<void>;
}

const PROGRESS_EVERY_MS = 10_000;
/** How long one bare TCP connect of the watch between rounds may take (a black-holed SYN waits it out). */
const WATCH_CONNECT_MS = 1_000;

/** The box never answered in time; acquire retries this once with a fresh lease. */
export class BootstrapTimeoutError extends CrabboxError {
  constructor(
    message: string,
    hint = "retry, or raise --bootstrap-timeout if boots are slow in this location",
  ) {
    super("timeout", message, { hint });
  }
}

/** Rounds: every 250 ms for the first 2 s, 1 s until 30 s (fast boots), 5 s until 2 min, then 10 s. */
export function roundDelayMs(elapsedMs: number): number {
  if (elapsedMs < 2_000) return 250;
  if (elapsedMs < 30_000) return 1_000;
  if (elapsedMs < 120_000) return 5_000;
  return 10_000;
}

/**
 * Between rounds, a primary port that was closed is watched with a bare TCP connect this often: the
 * moment the user-data's sshd accepts, the next round starts, instead of up to a round's delay later
 * (5 s between 30 s and 2 min, where most real boots end).
 */
export function watchDelayMs(elapsedMs: number): number {
  return elapsedMs < 30_000 ? 100 : 500;
}

function describePorts(states: Map<number, ProbeResult>): string {
  return [...states].map(([port, state]) => `${port}:${state}`).join(",");
}

/** Returns the port that answered. */
export async function waitForReady(ctx: ReadinessContext, deadlineMs: number): Promise<number> {
  const { deps, out, box } = ctx;
  const started = deps.clock.now();
  let lastProgress = started;
  const states = new Map<number, ProbeResult>(box.ports.map((p) => [p, "closed"]));
  const waitingFor = `waiting for ssh on ${ctx.ip} (bootstrap)`;
  out.phase("ssh", waitingFor);
  for (let round = 0;; round++) {
    ctx.signal.throwIfAborted();
    let preempted = false;
    for (const port of box.ports) {
      // A warm box's first round rides its master; a new box's primary port (opened by the user-data, so
      // the box is all but ready) starts the master every later channel reuses: one handshake, not two.
      const multiplex = ctx.warm === true ? round === 0 : port === box.ports[0];
      const state = port !== box.ports[0] && states.get(box.ports[0]) === "closed"
        ? await probeUnlessPrimaryOpens(ctx, port, started)
        : await box.probe(port, { multiplex });
      if (state === null) {
        preempted = true;
        break;
      }
      states.set(port, state);
      if (state === "hostkey") {
        throw new CrabboxError("remote", `host key mismatch for ${ctx.leaseId} at ${ctx.ip}:${port}`, {
          hint:
            `nothing was sent to a box presenting a key other than the one crabbox pinned; start a new lease (crabbox stop ${ctx.leaseId} removes this one if it remains)`,
        });
      }
      if (state === "ok") {
        if (port !== box.ports[0]) {
          out.progress(`using ssh port ${port} for ${ctx.leaseId} (${box.ports[0]} not reachable)`);
        }
        box.usePort(port);
        return port;
      }
    }
    // The primary port opened during a fallback's probe: its round starts now.
    if (preempted) continue;
    const now = deps.clock.now();
    const elapsed = now - started;
    if (now >= deadlineMs) {
      throw new BootstrapTimeoutError(
        `timed out after ${formatDurationMs(elapsed)} waiting for ${ctx.leaseId} to become ready (ports=${
          describePorts(states)
        })`,
      );
    }
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      await ctx.stillBooting?.();
      out.waiting(
        waitingFor,
        elapsed,
        `remaining=${formatDurationMs(deadlineMs - now)} ports=${describePorts(states)}`,
      );
    }
    const pause = Math.min(roundDelayMs(elapsed), Math.max(0, deadlineMs - now));
    if (states.get(box.ports[0]) === "closed") await untilPrimaryAccepts(ctx, started, now + pause);
    else await deps.clock.sleep(pause, ctx.signal);
  }
}

/** Sleeps until `until`, or less: until the box's primary port accepts a TCP connection. */
async function untilPrimaryAccepts(ctx: ReadinessContext, started: number, until: number): Promise<void> {
  const { deps, box } = ctx;
  for (;;) {
    const now = deps.clock.now();
    if (now >= until) return;
    await deps.clock.sleep(Math.min(watchDelayMs(now - started), until - now), ctx.signal);
    const left = until - deps.clock.now();
    if (left <= 0) return;
    if (await box.accepts(box.ports[0], Math.min(WATCH_CONNECT_MS, left))) return;
    ctx.signal.throwIfAborted();
  }
}

/**
 * A fallback port's probe (a whole ssh handshake) while the primary port is closed, with the primary
 * watched meanwhile as between rounds: when it starts accepting, the probe is cut short (null), since
 * the primary is preferred whatever the fallback would have said.
 */
async function probeUnlessPrimaryOpens(
  ctx: ReadinessContext,
  port: number,
  started: number,
): Promise<ProbeResult | null> {
  const { deps, box } = ctx;
  // Only the ssh part is watched over: a closed fallback answers at once.
  if (!(await box.accepts(port, 5_000))) return "closed";
  const probed = new AbortController();
  const opened = new AbortController();
  const probing = box.probe(port, { multiplex: false, signal: opened.signal, accepted: true });
  const watch = (async () => {
    while (!probed.signal.aborted) {
      const slept = await deps.clock.sleep(watchDelayMs(deps.clock.now() - started), probed.signal)
        .then(() => true, () => false);
      if (!slept) return;
      // A connect still in flight when the probe ends is left to its own timeout, never waited for.
      const ended = new Promise<false>((resolve) =>
        probed.signal.addEventListener("abort", () => resolve(false))
      );
      if (await Promise.race([box.accepts(box.ports[0], WATCH_CONNECT_MS), ended])) return opened.abort();
    }
  })();
  try {
    const state = await probing;
    return opened.signal.aborted ? null : state;
  } finally {
    probed.abort();
    await watch;
  }
}
