/**
 * The failure bundle: a failed `run`/`job run` leaves `<results dir>/failure-<run>.json` (README, "When
 * a run fails") saying which phase failed, the lease, the timings, the exit code, the last lines of the
 * command's output and — while the box still exists — the exact `crabbox ssh`/`crabbox stop` lines to
 * continue. The output is kept in a bounded ring buffer as it streams (never all of it), and everything
 * taken from the run is redacted. Building the document is pure; the write goes through Deps.fs.
 */
import { join } from "node:path";
import type { Deps } from "../core/deps.ts";
import type { CrabboxError } from "../core/errors.ts";
import type { Output } from "../core/output.ts";
import type { Server } from "../providers/hetzner/port.ts";
import { formatIso } from "../core/format.ts";

import { type Phase, RUN_PHASES } from "./run_summary.ts";

export const TAIL_BYTES = 64 * 1024;
export const TAIL_LINES = 50;
const MAX_LINE_CHARS = 2000;

/** The last `capacity` bytes written to it, in a fixed buffer: memory stays bounded however long the run. */
export class OutputTail {
  readonly #buffer: Uint8Array;
  /** Where the next byte goes. */
  #end = 0;
  #size = 0;
  /** Bytes ever pushed (more than the capacity means the head was dropped). */
  total = 0;

  constructor(readonly capacity = TAIL_BYTES) {
    this.#buffer = new Uint8Array(capacity);
  }

  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    const bytes = chunk.length > this.capacity ? chunk.subarray(chunk.length - this.capacity) : chunk;
    const first = Math.min(bytes.length, this.capacity - this.#end);
    this.#buffer.set(bytes.subarray(0, first), this.#end);
    this.#buffer.set(bytes.subarray(first), 0);
    this.#end = (this.#end + bytes.length) % this.capacity;
    this.#size = Math.min(this.capacity, this.#size + bytes.length);
  }

  bytes(): Uint8Array {
    const start = (this.#end - this.#size + this.capacity) % this.capacity;
    if (start + this.#size <= this.capacity) return this.#buffer.slice(start, start + this.#size);
    const out = new Uint8Array(this.#size);
    out.set(this.#buffer.subarray(start));
    out.set(this.#buffer.subarray(0, this.#end), this.capacity - start);
    return out;
  }

  /** The last `count` lines; a line cut by the buffer's start is dropped, overlong lines are shortened. */
  lines(count = TAIL_LINES): string[] {
    const lines = new TextDecoder().decode(this.bytes()).split("\n").map((line) => line.replace(/\r$/, ""));
    if (this.total > this.capacity) lines.shift();
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-count).map((line) =>
      line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line
    );
  }
}

export interface FailureFacts {
  runId: string;
  /** The job's name, or null for `crabbox run`. */
  job: string | null;
  phase: Phase;
  exitCode: number;
  /** The remote command ran to this status (else the code is crabbox's own). */
  commandRan: boolean;
  error: CrabboxError | null;
  argv: string[];
  /** Null when the run failed before it had a box. */
  lease: {
    id: string;
    slug: string | null;
    serverId: number;
    serverName: string;
    ipv4: string | null;
    fresh: boolean;
  } | null;
  /** The server was not deleted (kept by the stop policy, or its release failed). */
  boxRemains: boolean;
  phases: Partial<Record<Phase, number>>;
  startedMs: number;
  finishedMs: number;
  tail: OutputTail;
}

/** The bundle document; `redact` removes the token and forwarded values from all that came from the run. */
export function buildFailureBundle(facts: FailureFacts, redact: (text: string) => string) {
  const lease = facts.lease;
  return {
    schema: "crabbox.failure/v1",
    runId: facts.runId,
    job: facts.job,
    phase: facts.phase,
    exitCode: facts.exitCode,
    exitSource: facts.commandRan && !facts.error ? "remote" : "crabbox",
    error: facts.error
      ? {
        kind: facts.error.kind,
        message: redact(facts.error.message),
        hint: redact(facts.error.hint ?? "") || null,
      }
      : null,
    command: facts.argv.map(redact),
    lease: lease ? { ...lease, boxRemains: facts.boxRemains } : null,
    startedAt: formatIso(facts.startedMs),
    finishedAt: formatIso(facts.finishedMs),
    durationMs: facts.finishedMs - facts.startedMs,
    phases: RUN_PHASES.map((name) => ({ name, durationMs: facts.phases[name] ?? 0 })),
    output: {
      bytes: facts.tail.total,
      lastLines: facts.tail.lines().map(redact),
    },
    continue: lease && facts.boxRemains ? continueLines(lease.id) : [],
  };
}

export type FailureBundle = ReturnType<typeof buildFailureBundle>;

/** The lease as a failure bundle names it. */
export function leaseFacts(server: Server, leaseId: string, fresh: boolean): FailureFacts["lease"] {
  return {
    id: leaseId,
    slug: server.labels.slug ?? null,
    serverId: server.id,
    serverName: server.name,
    ipv4: server.ipv4,
    fresh,
  };
}

/** What to type next while the box still exists. */
export function continueLines(leaseId: string): string[] {
  return [`crabbox ssh ${leaseId}`, `crabbox stop ${leaseId}`];
}

export function failureBundlePath(resultsDir: string, runId: string): string {
  return join(resultsDir, `failure-${runId}.json`);
}

/** Writes the bundle (0600, atomically) under the results dir (0700) and returns its path. */
export async function writeFailureBundle(
  deps: Pick<Deps, "fs">,
  resultsDir: string,
  bundle: FailureBundle,
): Promise<string> {
  const path = failureBundlePath(resultsDir, bundle.runId);
  await deps.fs.mkdir(resultsDir, { recursive: true, mode: 0o700 });
  await deps.fs.writeTextFile(path, JSON.stringify(bundle, null, 2) + "\n", { mode: 0o600 });
  return path;
}

/**
 * Writes the bundle and names it in one progress line. A bundle that cannot be written is a warning:
 * it never changes the run's exit code.
 */
export async function leaveFailureBundle(
  deps: Pick<Deps, "fs">,
  out: Output,
  resultsDir: string,
  facts: FailureFacts,
): Promise<void> {
  try {
    const path = await writeFailureBundle(deps, resultsDir, buildFailureBundle(facts, (t) => out.redact(t)));
    out.progress(`failure bundle: ${path}`);
  } catch (error) {
    out.warn(`could not write the failure bundle: ${(error as Error).message}`);
  }
}
