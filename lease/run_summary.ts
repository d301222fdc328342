/**
 * The run's phases and its summary line (SPEC §2.5). Time is split by a phase clock: every moment
 * belongs to the phase entered last, so the phases add up to the total by construction, and the
 * line is rounded so that its printed phases add up to its printed total too.
 */
import { formatDurationMs } from "../core/duration.ts";

/** Milliseconds per phase. `sync` includes the manifest built before the lease. */
export interface Phases {
  acquire: number;
  bootstrap: number;
  lock: number;
  sync: number;
  command: number;
  collect: number;
  release: number;
}

export type Phase = keyof Phases;

/** The phase names in order (SPEC §11.5); a failure names the one it happened in. */
export const RUN_PHASES = ["acquire", "bootstrap", "lock", "sync", "command", "collect", "release"] as const;

export const noPhases = (): Phases => ({
  acquire: 0,
  bootstrap: 0,
  lock: 0,
  sync: 0,
  command: 0,
  collect: 0,
  release: 0,
});

export class PhaseClock {
  readonly phases: Phases = noPhases();
  readonly startedMs: number;
  readonly #now: () => number;
  #current: Phase;
  #since: number;

  /** Starts at startedMs (which may lie before now: work done before the use case) in phase `first`. */
  constructor(now: () => number, startedMs: number, first: Phase) {
    this.#now = now;
    this.startedMs = startedMs;
    this.#current = first;
    this.#since = startedMs;
  }

  /** The phase the run is in now (the one a failure is reported in). */
  get current(): Phase {
    return this.#current;
  }

  /** Ends the current phase's span here; the time from now on counts for `phase`. */
  enter(phase: Phase): void {
    const now = this.#now();
    this.phases[this.#current] += now - this.#since;
    this.#current = phase;
    this.#since = now;
  }

  /** Moves up to `ms` already counted for `from` to `to` (a step that timed its own parts). */
  move(from: Phase, to: Phase, ms: number): void {
    this.enter(this.#current); // the open span counts first
    const moved = Math.max(0, Math.min(ms, this.phases[from]));
    this.phases[from] -= moved;
    this.phases[to] += moved;
  }

  /** Closes the current span; returns the total since startedMs (the sum of the phases). */
  stop(): number {
    this.enter(this.#current);
    return this.#since - this.startedMs;
  }
}

/** The phases the line shows; collection is part of `command` there (the result file keeps it apart). */
const SHOWN = ["acquire", "bootstrap", "lock", "sync", "command", "release"] as const;

/**
 * Rounds phases (which add up to totalMs, as PhaseClock's do) to tenths of a second that add up to
 * the rounded total: each is rounded down, then the largest remainders get the tenths left over.
 */
export function apportionTenths(values: number[], totalMs: number): number[] {
  const exact = values.map((ms) => Math.max(0, ms) / 100);
  const tenths = exact.map(Math.floor);
  let left = Math.round(totalMs / 100) - tenths.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((value, i) => ({ i, rest: value - tenths[i] })).sort((a, b) =>
    b.rest - a.rest
  );
  for (const { i } of byRemainder) {
    if (left-- <= 0) break;
    tenths[i]++;
  }
  return tenths;
}

/** `summary lease=cbx_… acquire=6.0s bootstrap=… lock=… sync=… command=… release=… total=… exit=0` */
/** `tail` comes after the total: cost=…, exit=N (the caller may colour it). */
export function summaryLine(leaseId: string, phases: Phases, totalMs: number, tail: string[]): string {
  const shown = SHOWN.map((name) => name === "command" ? phases.command + phases.collect : phases[name]);
  const tenths = apportionTenths(shown, totalMs);
  const fields = SHOWN.map((name, i) => `${name}=${formatDurationMs(tenths[i] * 100)}`);
  const total = formatDurationMs(Math.round(totalMs / 100) * 100);
  return `summary lease=${leaseId} ${fields.join(" ")} total=${total} ${tail.join(" ")}`;
}
