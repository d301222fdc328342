/** The box lock through a real Box on a FakeBox: wait for a busy box, time out naming the holder. */
import assert from "node:assert/strict";
import { acquireBoxLock, type LockOwner } from "../../lease/box_lock.ts";
import { boxFor } from "../../lease/pool.ts";
import { CrabboxError } from "../../core/errors.ts";
import { existingLease, leaseShape, type World, world } from "./_world.ts";

const LEASE = "cbx_0000000000cc";
const me: LockOwner = {
  runId: "run_mine",
  owner: "alice",
  host: "laptop",
  pid: 4242,
  since: "2026-05-01T12:00:00Z",
};
const holder = { runId: "run_other", owner: "bob", host: "ci", pid: 77, since: "2026-05-01T11:58:00Z" };

async function lock(w: World, timeoutMs: number) {
  const box = boxFor(w.deps, w.out, await existingLease(w, LEASE), leaseShape(), 2222);
  return await acquireBoxLock({ deps: w.deps, out: w.out, signal: w.signal }, box, me, timeoutMs);
}

Deno.test("box lock: a busy box is retried every 2 s, named once, then held until released", async () => {
  const w = await world();
  try {
    w.box.locks = [{ busy: holder }, { busy: holder }, "free"];
    const held = await lock(w, 60_000);
    assert.equal(w.box.held, 1);
    assert.deepEqual(w.clock.sleeps, [2000, 2000]);
    const waits = w.io.stderr.match(
      /waiting for box lock on cbx_0000000000cc held by run_other \(bob, since 11:58:00Z\)/g,
    );
    assert.equal(waits?.length, 1, "one progress line per 10 s");
    assert.deepEqual(JSON.parse(w.box.calls("lock")[0].args[1]), me, "the owner it leaves for others to see");
    await held.release();
    assert.equal(w.box.held, 0);
  } finally {
    await w.cleanup();
  }
});

Deno.test("box lock: past the lock timeout it fails with exit 5, naming who holds it", async () => {
  const w = await world();
  try {
    w.box.locks = [{ busy: holder }];
    await assert.rejects(lock(w, 10_000), (error) => {
      assert.ok(error instanceof CrabboxError);
      assert.equal(error.exitCode, 5);
      assert.match(
        error.message,
        /^timed out after 10.0s waiting for the box lock on cbx_0000000000cc held by run_other \(bob, /,
      );
      return true;
    });
  } finally {
    await w.cleanup();
  }
});

Deno.test("box lock: a channel that neither locks nor says busy is a remote error with ssh's words", async () => {
  const w = await world();
  try {
    w.box.locks = [{ broken: "ssh: connect to host 203.0.113.7 port 2222: Connection refused" }];
    await assert.rejects(
      lock(w, 60_000),
      /could not take the box lock on cbx_0000000000cc \(exit 255\): ssh: connect/,
    );
    assert.deepEqual(w.clock.sleeps, [], "not retried as busy");
  } finally {
    await w.cleanup();
  }
});
