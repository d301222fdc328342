/** claimPoolBox on a FakeBox: the lock decides, labels must still agree, busy boxes are passed over. */
import assert from "node:assert/strict";
import { claimPoolBox } from "../../lease/pool.ts";
import { existingLease, leaseShape, type World, world } from "./_world.ts";

const claim = (w: World) =>
  claimPoolBox({ deps: w.deps, api: w.api, out: w.out, signal: w.signal }, {
    pool: "agents",
    shape: leaseShape(),
    runId: "run_claim",
    owner: "alice",
  });

Deno.test("pool: the ready box is locked, then labelled leased by this run", async () => {
  const w = await world();
  try {
    const server = await existingLease(w, "cbx_0000000000d1", { pool: "agents" });
    const claimed = await claim(w);
    assert.equal(claimed?.leaseId, "cbx_0000000000d1");
    assert.equal(w.box.held, 1, "the claim holds the lock");
    const labels = w.api.servers.get(server.id)!.labels;
    assert.deepEqual([labels.state, labels.run], ["leased", "run_claim"]);
    assert.match(w.io.stderr, /claimed pool box cbx_0000000000d1 slug=slug-00d1 \(pool agents\)/);
    await claimed!.lock.release();
  } finally {
    await w.cleanup();
  }
});

Deno.test("pool: a busy box and a broken one are passed over; the next candidate is claimed", async () => {
  const w = await world();
  try {
    const nowSecs = Math.floor(w.clock.nowMs / 1000);
    // Ready boxes are tried most recently touched first.
    await existingLease(w, "cbx_0000000000d1", { pool: "agents", last_touched_at: String(nowSecs) });
    await existingLease(w, "cbx_0000000000d2", { pool: "agents", last_touched_at: String(nowSecs - 60) });
    await existingLease(w, "cbx_0000000000d3", { pool: "agents", last_touched_at: String(nowSecs - 120) });
    w.box.locks = [{ busy: { runId: "run_other" } }, { broken: "Connection closed" }, "free"];
    const claimed = await claim(w);
    assert.equal(claimed?.leaseId, "cbx_0000000000d3");
    assert.equal(w.box.log.filter((entry) => entry === "lock").length, 3);
    await claimed!.lock.release();
  } finally {
    await w.cleanup();
  }
});

Deno.test("pool: nothing claimable (all busy, or not this machine's key) gives null and touches nothing", async () => {
  const w = await world();
  try {
    const busy = await existingLease(w, "cbx_0000000000d1", { pool: "agents" });
    const foreign = await existingLease(w, "cbx_0000000000d2", { pool: "agents" });
    await Deno.remove(`${w.deps.env.get("XDG_CONFIG_HOME")}/crabbox/leases/cbx_0000000000d2`, {
      recursive: true,
    });
    w.box.locks = [{ busy: { runId: "run_other" } }];
    assert.equal(await claim(w), null);
    assert.equal(w.box.log.filter((entry) => entry === "lock").length, 1, "the foreign box is never tried");
    assert.equal(w.api.servers.get(busy.id)!.labels.state, "ready");
    assert.equal(w.api.servers.get(foreign.id)!.labels.state, "ready");
    assert.equal(w.api.calls.includes("replaceServerLabels"), false);
  } finally {
    await w.cleanup();
  }
});
