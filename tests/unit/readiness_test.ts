/** The readiness loop as a use case, on a stepped clock with a box stub: no ssh, no sleeps. */
import assert from "node:assert/strict";
import { BootstrapTimeoutError, roundDelayMs, waitForReady, watchDelayMs } from "../../lease/readiness.ts";
import { ipPollDelayMs } from "../../lease/acquire.ts";
import type { Box, ProbeResult } from "../../lease/box.ts";
import type { Deps } from "../../core/deps.ts";
import { Output } from "../../core/output.ts";
import { Redactor } from "../../core/redact.ts";
import { CrabboxError } from "../../core/errors.ts";
import { CapturedIo, ManualClock } from "../cmd/_fakes.ts";

/** A box answering probes in turn (the last repeats); its port starts accepting at `acceptsAt` (clock ms). */
function boxAnswering(
  answers: ProbeResult[],
  clock?: ManualClock,
  acceptsAt = Infinity,
): Box & { probes: number; probedAt: number[] } {
  const stub = {
    probes: 0,
    probedAt: [] as number[],
    ports: [2222],
    usePort() {},
    probe() {
      if (clock) stub.probedAt.push(clock.nowMs - START);
      return Promise.resolve(answers[Math.min(stub.probes++, answers.length - 1)]);
    },
    accepts: () => Promise.resolve((clock?.nowMs ?? START) - START >= acceptsAt),
  };
  return stub as unknown as Box & { probes: number; probedAt: number[] };
}

const START = Date.parse("2026-05-01T12:00:00Z");

function context(box: Box, clock: ManualClock, stillBooting?: () => Promise<void>) {
  const io = new CapturedIo();
  return {
    io,
    ctx: {
      deps: { clock } as unknown as Deps,
      out: new Output(io, new Redactor(), { quiet: false, debug: false, json: false }),
      signal: new AbortController().signal,
      box,
      leaseId: "cbx_0123456789ab",
      ip: "10.0.0.2",
      stillBooting,
    },
  };
}

Deno.test("readiness: the port that answers, after rounds of 250 ms", async () => {
  const clock = new ManualClock(START);
  // The port accepts from 600 ms on, but what runs behind it is not ready until the fourth round.
  const box = boxAnswering(["closed", "closed", "not-ready(cloud-init)", "ok"], clock, 600);
  const { ctx } = context(box, clock);
  assert.equal(await waitForReady(ctx, clock.now() + 60_000), 2222);
  assert.deepEqual(box.probedAt, [0, 250, 500, 750]);
});

Deno.test("readiness: a closed port that starts accepting starts the next round at once", async () => {
  const clock = new ManualClock(START);
  const box = boxAnswering(["closed", "ok"], clock, 150);
  const { ctx } = context(box, clock);
  assert.equal(await waitForReady(ctx, clock.now() + 60_000), 2222);
  assert.deepEqual(box.probedAt, [0, 200], "watched every 100 ms: the second round does not wait out 250 ms");
});

Deno.test("readiness: the watch between rounds slows down once the boot is long", () => {
  for (const [elapsed, delay] of [[0, 100], [29_999, 100], [30_000, 500], [20 * 60_000, 500]]) {
    assert.equal(watchDelayMs(elapsed), delay, `watch at ${elapsed}`);
  }
});

Deno.test("readiness and IP polls back off: quick at first, then the SPEC's pace", () => {
  const rounds: [number, number][] = [
    [0, 250],
    [1_999, 250],
    [2_000, 1_000],
    [29_999, 1_000],
    [
      30_000,
      5_000,
    ],
    [119_999, 5_000],
    [120_000, 10_000],
  ];
  for (const [elapsed, delay] of rounds) assert.equal(roundDelayMs(elapsed), delay, `round at ${elapsed}`);
  const polls = [[1, 100], [2, 200], [3, 400], [4, 800], [5, 1_000], [9, 1_000], [10, 3_000], [40, 3_000]];
  for (const [poll, delay] of polls) assert.equal(ipPollDelayMs(poll), delay, `poll ${poll}`);
});

Deno.test("readiness: a boot the provider reports failed ends the wait at the next progress round", async () => {
  const clock = new ManualClock();
  const box = boxAnswering(["closed"]);
  let checks = 0;
  const failed = new CrabboxError("provider", "create_server action failed: boot error");
  const { ctx } = context(box, clock, () => {
    checks++;
    return checks >= 2 ? Promise.reject(failed) : Promise.resolve();
  });
  await assert.rejects(waitForReady(ctx, clock.now() + 20 * 60_000), (error) => error === failed);
  assert.equal(checks, 2);
  assert.ok(clock.nowMs - Date.parse("2026-05-01T12:00:00Z") < 30_000, "not the 20-minute budget");
});

Deno.test("readiness: a box that never answers times out at the deadline, without claiming a deletion", async () => {
  const clock = new ManualClock();
  const { ctx } = context(boxAnswering(["closed"]), clock);
  await assert.rejects(waitForReady(ctx, clock.now() + 5_000), (error) => {
    assert.ok(error instanceof BootstrapTimeoutError);
    assert.match(
      error.message,
      /^timed out after \S+ waiting for cbx_0123456789ab to become ready \(ports=2222:closed\)$/,
    );
    return true;
  });
});

Deno.test("readiness: the primary port opening during a fallback's ssh probe cuts that probe short", async () => {
  const clock = new ManualClock(START);
  const calls: string[] = [];
  let cut = false;
  // Guards the test alone: a loop that never cut the probe would otherwise wait forever.
  let guard: ReturnType<typeof setTimeout> | undefined;
  const stub = {
    ports: [2222, 22],
    usePort() {},
    probe(port: number, options: { signal?: AbortSignal } = {}): Promise<ProbeResult> {
      calls.push(`probe ${port} at ${clock.nowMs - START}`);
      if (port === 2222) return Promise.resolve(calls.length === 1 ? "closed" : "ok");
      // The fallback's handshake lasts until it is cut (ssh killed: exit 255, "closed").
      return new Promise((resolve) => {
        options.signal?.addEventListener("abort", () => (cut = true, resolve("closed")), { once: true });
        guard = setTimeout(() => resolve("auth"), 5_000);
      });
    },
    // 22 (the image's sshd) accepts from the start; 2222 (the user-data's) from 300 ms.
    accepts: (port: number) => Promise.resolve(port === 22 || clock.nowMs - START >= 300),
  };
  const { ctx } = context(stub as unknown as Box, clock);
  try {
    assert.equal(await waitForReady(ctx, clock.now() + 60_000), 2222);
  } finally {
    clearTimeout(guard);
  }
  assert.ok(cut, "the fallback's probe was cut short");
  assert.deepEqual(
    calls,
    ["probe 2222 at 0", "probe 22 at 0", "probe 2222 at 300"],
    "no round delay after it",
  );
});
