/** The readiness loop as a use case, on a stepped clock with a box stub: no ssh, no sleeps. */
import assert from "node:assert/strict";
import { BootstrapTimeoutError, waitForReady } from "../../lease/readiness.ts";
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

Deno.test("readiness: the port that answers, after rounds of 1 s", async () => {
  const clock = new ManualClock();
  const box = boxAnswering(["closed", "closed", "not-ready(cloud-init)", "ok"]);
  const { ctx } = context(box, clock);
  assert.equal(await waitForReady(ctx, clock.now() + 60_000), 2222);
  assert.deepEqual(clock.sleeps, [1000, 1000, 1000]);
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
