/** The readiness loop as a use case, on a stepped clock with a box stub: no ssh, no sleeps. */
import assert from "node:assert/strict";
import { BootstrapTimeoutError, roundDelayMs, waitForReady } from "../../lease/readiness.ts";
import { ipPollDelayMs } from "../../lease/acquire.ts";
import type { Box, ProbeResult } from "../../lease/box.ts";
import type { Deps } from "../../core/deps.ts";
import { Output } from "../../core/output.ts";
import { Redactor } from "../../core/redact.ts";
import { CrabboxError } from "../../core/errors.ts";
import { CapturedIo, ManualClock } from "../cmd/_fakes.ts";

function boxAnswering(answers: ProbeResult[]): Box & { probes: number } {
  const stub = {
    probes: 0,
    ports: [2222],
    usePort() {},
    probe() {
      return Promise.resolve(answers[Math.min(stub.probes++, answers.length - 1)]);
    },
  };
  return stub as unknown as Box & { probes: number };
}

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
  const clock = new ManualClock();
  const box = boxAnswering(["closed", "closed", "not-ready(cloud-init)", "ok"]);
  const { ctx } = context(box, clock);
  assert.equal(await waitForReady(ctx, clock.now() + 60_000), 2222);
  assert.deepEqual(clock.sleeps, [250, 250, 250]);
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
