/** The ActionWaiter on a manual clock and a scripted GET /actions/{id}: pacing, fail-fast, deadline. */
import assert from "node:assert/strict";
import {
  ActionFailedError,
  ActionWaiter,
  type WatchedAction,
} from "../../providers/hetzner/action_waiter.ts";
import type { Action } from "../../providers/hetzner/port.ts";
import { timeoutError } from "../../core/errors.ts";
import { ManualClock } from "../cmd/_fakes.ts";

const create: WatchedAction = { id: 7, command: "create_server", hint: "retry elsewhere" };

/** Answers GET /actions/7 from the list in turn (the last one repeats). */
function actionsApi(statuses: (Action["status"] | null)[]) {
  const asked: number[] = [];
  return {
    asked,
    getAction(id: number): Promise<Action | null> {
      asked.push(id);
      const status = statuses.length > 1 ? statuses.shift()! : statuses[0];
      if (status === null) return Promise.resolve(null);
      const error = status === "error" ? { code: "action_failed", message: "no capacity left" } : null;
      return Promise.resolve({ id, status, error });
    },
  };
}

/** A poll that answers null `misses` times, then "ready". */
function readyAfter(misses: number) {
  let polls = 0;
  return { poll: () => Promise.resolve(++polls > misses ? "ready" : null), polls: () => polls };
}

const plan = (clock: ManualClock, poll: () => Promise<string | null>) => ({
  poll,
  delayMs: (n: number) => n < 3 ? 1000 : 3000,
  actionEvery: 2,
  deadlineMs: clock.nowMs + 60_000,
  onTimeout: () => timeoutError("timed out waiting", "retry"),
});

Deno.test("check: running and success pass, a vanished action passes, error throws the typed failure", async () => {
  for (const status of ["running", "success", null] as const) {
    await new ActionWaiter(actionsApi([status]), new ManualClock()).check(create);
  }
  const failed = new ActionWaiter(actionsApi(["error"]), new ManualClock()).check(create);
  await assert.rejects(failed, (error: unknown) => {
    assert.ok(error instanceof ActionFailedError);
    assert.equal(error.message, "create_server action failed: no capacity left");
    assert.equal(error.kind, "provider");
    assert.equal(error.hint, "retry elsewhere");
    return true;
  });
});

Deno.test("pollWhileRunning: first poll at once, then the plan's pauses; the action every other poll", async () => {
  const clock = new ManualClock();
  const api = actionsApi(["running"]);
  const target = readyAfter(4);
  const value = await new ActionWaiter(api, clock).pollWhileRunning(create, plan(clock, target.poll));
  assert.equal(value, "ready");
  assert.equal(target.polls(), 5);
  assert.deepEqual(clock.sleeps, [1000, 1000, 3000, 3000]);
  assert.deepEqual(api.asked, [7, 7], "after polls 2 and 4");
});

Deno.test("pollWhileRunning: a failed action stops the wait before the value comes", async () => {
  const clock = new ManualClock();
  const target = readyAfter(10);
  const waiter = new ActionWaiter(actionsApi(["running", "error"]), clock);
  await assert.rejects(waiter.pollWhileRunning(create, plan(clock, target.poll)), ActionFailedError);
  assert.equal(target.polls(), 4, "the second look at the action, after poll 4");
});

Deno.test("pollWhileRunning: past the deadline the plan's timeout error; without an action none is looked up", async () => {
  const clock = new ManualClock();
  const api = actionsApi(["running"]);
  const never = () => Promise.resolve(null);
  await assert.rejects(
    new ActionWaiter(api, clock).pollWhileRunning(null, plan(clock, never)),
    /timed out waiting/,
  );
  assert.deepEqual(api.asked, []);
  assert.ok(clock.sleeps.reduce((a, b) => a + b, 0) >= 60_000);
});

Deno.test("pollWhileRunning: an aborted signal ends the pause with its reason", async () => {
  const clock = new ManualClock();
  const abort = new AbortController();
  abort.abort(new Error("interrupted"));
  const waiter = new ActionWaiter(actionsApi(["running"]), clock);
  const never = () => Promise.resolve(null);
  await assert.rejects(
    waiter.pollWhileRunning(create, { ...plan(clock, never), signal: abort.signal }),
    /interrupted/,
  );
});
