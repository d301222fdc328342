/**
 * The box lock (SPEC §8): a dedicated SSH channel holds flock on <workRoot>/.crabbox/lock for as long
 * as its stdin stays open. A busy box is retried every 2 s with a progress line every 10 s, up to the
 * lock timeout (exit 5).
 */
import type { ChildHandle, Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import { CrabboxError, timeoutError } from "../core/errors.ts";
import { formatClock } from "../core/format.ts";
import { formatDurationMs } from "../core/duration.ts";
import { lockScript } from "../ssh/scripts.ts";
import type { Box } from "./box.ts";

export interface HeldLock {
  release(): Promise<void>;
  /** The repo's sync state read under the lock (readSyncStateScript's output), when it was asked for. */
  syncState?: string;
  /** Another run held the box at the first try: the lock came only after it let go. */
  waited?: boolean;
}

export interface LockOwner {
  runId: string;
  owner: string;
  host: string;
  pid: number;
  since: string;
}

type Attempt = { kind: "locked"; lock: HeldLock } | { kind: "busy"; holder: Partial<LockOwner> | null };

/** The lock channel failed (not busy): the box may be unreachable or not ready. */
export class LockChannelError extends CrabboxError {}

/** One non-blocking try; with `syncStateOf` (a repo) the lock answer carries that repo's sync state. */
export async function tryLock(box: Box, owner: LockOwner, syncStateOf?: string): Promise<Attempt> {
  const child = box.spawnPiped(
    lockScript({ workRoot: box.workRoot, ownerJson: JSON.stringify(owner), syncStateOf }),
  );
  const reader = child.stdout!.pipeThrough(new TextDecoderStream()).getReader();
  const complete = (text: string) =>
    text.startsWith("LOCKED\n") && syncStateOf !== undefined ? /(^|\n)END\n/.test(text) : text.includes("\n");
  let text = "";
  while (!complete(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  const line = text.split("\n")[0];
  if (line === "LOCKED" && complete(text)) {
    const lock = holder(child);
    if (syncStateOf !== undefined) {
      lock.syncState = text.slice("LOCKED\n".length).replace(/(^|\n)END\n$/, "$1");
    }
    return { kind: "locked", lock };
  }
  const status = await child.status;
  await child.stdin?.close().catch(() => {});
  if (line.startsWith("BUSY")) {
    let parsed: Partial<LockOwner> | null = null;
    try {
      parsed = JSON.parse(line.slice(5));
    } catch {
      parsed = null;
    }
    return { kind: "busy", holder: parsed };
  }
  const stderr = child.stderr ? await new Response(child.stderr).text().catch(() => "") : "";
  throw new LockChannelError(
    "remote",
    `could not take the box lock on ${box.leaseId} (exit ${status.code}): ${stderr.trim()}`,
    {
      hint: `check the box with: crabbox status ${box.leaseId}`,
    },
  );
}

function holder(child: ChildHandle): HeldLock {
  // Drain what is left so the channel never blocks on a full pipe.
  void child.stdout?.pipeTo(new WritableStream()).catch(() => {});
  void child.stderr?.pipeTo(new WritableStream()).catch(() => {});
  return {
    async release() {
      await child.stdin?.close().catch(() => {});
      await child.status;
    },
  };
}

/** Waits for the lock up to timeoutMs, saying who holds it. */
export async function acquireBoxLock(
  ctx: { deps: Deps; out: Output; signal: AbortSignal },
  box: Box,
  owner: LockOwner,
  timeoutMs: number,
  syncStateOf?: string,
): Promise<HeldLock> {
  const { deps, out } = ctx;
  const started = deps.clock.now();
  out.phase("lock", `taking the box lock on ${box.leaseId}`);
  let lastProgress: number | null = null;
  for (let waited = false;; waited = true) {
    const attempt = await tryLock(box, owner, syncStateOf);
    if (attempt.kind === "locked") return Object.assign(attempt.lock, { waited });
    const elapsed = deps.clock.now() - started;
    const who = attempt.holder
      ? `${attempt.holder.runId ?? "?"} (${attempt.holder.owner ?? "?"}, since ${
        attempt.holder.since ? formatClock(Date.parse(attempt.holder.since)) : "?"
      })`
      : "another run";
    if (elapsed >= timeoutMs) {
      throw timeoutError(
        `timed out after ${
          formatDurationMs(timeoutMs)
        } waiting for the box lock on ${box.leaseId} held by ${who}`,
        `wait for that run to finish, raise --lock-timeout, or use another box`,
      );
    }
    if (lastProgress === null || deps.clock.now() - lastProgress >= 10_000) {
      lastProgress = deps.clock.now();
      out.waiting(
        `waiting for box lock on ${box.leaseId} held by ${who}`,
        elapsed,
        `timeout=${formatDurationMs(timeoutMs)}`,
      );
    }
    await deps.clock.sleep(2_000, ctx.signal);
  }
}
