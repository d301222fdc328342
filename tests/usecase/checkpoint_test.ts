/** checkpoint create on a FakeBox: lock, flush, snapshot, wait; every failure gives the lock back. */
import assert from "node:assert/strict";
import { createCheckpoint } from "../../lease/checkpoint.ts";
import { CrabboxError } from "../../core/errors.ts";
import { apiError, existingLease, leaseShape, type World, world } from "./_world.ts";

const LEASE = "cbx_0000000000ee";

function request(w: World, extra: Partial<Parameters<typeof createCheckpoint>[1]> = {}) {
  return createCheckpoint({ deps: w.deps, api: w.api, out: w.out, signal: w.signal }, {
    lease: LEASE,
    ttlSecs: 7 * 86400,
    owner: "alice",
    repo: "webapp",
    shape: leaseShape(),
    lockTimeoutMs: 10_000,
    ...extra,
  });
}

/** Snapshots stay `creating` for the first `polls` GETs, as Hetzner's take a while. */
function slowSnapshots(w: World, polls: number): void {
  const get = w.api.getImage.bind(w.api);
  let seen = 0;
  w.api.getImage = async (id: number) => {
    const image = await get(id);
    return image && { ...image, status: ++seen > polls ? "available" : "creating" };
  };
}

Deno.test("checkpoint create: box lock, env files dropped and disk synced, then the labelled snapshot", async () => {
  const w = await world();
  try {
    const server = await existingLease(w, LEASE, { repo: "webapp", class: "standard", server_type: "ccx23" });
    w.box.answers.checkpoint_flush = () => ({ code: 0, stdout: "FLUSHED\n" });
    slowSnapshots(w, 3);
    const view = await request(w, { name: "deps" });
    assert.equal(view.status, "available");
    assert.equal(view.sourceLease, LEASE);
    assert.equal(view.name, "deps");
    const order = w.box.log.filter((entry) => ["lock", "checkpoint_flush"].includes(entry));
    assert.deepEqual(order, ["lock", "checkpoint_flush"], "flushed under the lock");
    assert.deepEqual(w.box.calls("checkpoint_flush")[0].args, ["/work/crabbox"]);
    assert.equal(w.box.held, 0, "the lock is given back");
    const [image] = w.api.images.values();
    assert.equal(image.createdFrom?.id, server.id);
    assert.equal(image.labels.checkpoint, view.id);
    assert.equal(image.labels.server_type, "ccx23");
    assert.deepEqual(w.clock.sleeps, [1000, 1000, 1000], "polled until available");
    assert.ok(w.api.calls.indexOf("createSnapshot") < w.api.calls.lastIndexOf("getImage"));
  } finally {
    await w.cleanup();
  }
});

Deno.test("checkpoint create: a flush that fails snapshots nothing and gives the lock back", async () => {
  const w = await world();
  try {
    await existingLease(w, LEASE);
    w.box.answers.checkpoint_flush = () => ({ code: 74, stderr: "sync: I/O error" });
    await assert.rejects(request(w), (error) => {
      assert.ok(error instanceof CrabboxError);
      assert.equal(error.kind, "remote");
      assert.match(
        error.message,
        /could not flush the disk of cbx_0000000000ee \(exit 74\): sync: I\/O error/,
      );
      return true;
    });
    assert.equal(w.api.calls.includes("createSnapshot"), false);
    assert.equal(w.box.held, 0);
  } finally {
    await w.cleanup();
  }
});

Deno.test("checkpoint create: Ctrl-C while Hetzner copies deletes the half-made image", async () => {
  const w = await world();
  try {
    await existingLease(w, LEASE);
    w.box.answers.checkpoint_flush = () => ({ code: 0, stdout: "FLUSHED\n" });
    const controller = new AbortController();
    const get = w.api.getImage.bind(w.api);
    w.api.getImage = async (id: number) => {
      controller.abort(new CrabboxError("interrupted", "interrupted"));
      const image = await get(id);
      return image && { ...image, status: "creating" };
    };
    const created = createCheckpoint({ deps: w.deps, api: w.api, out: w.out, signal: controller.signal }, {
      lease: LEASE,
      ttlSecs: 86400,
      owner: "alice",
      repo: "webapp",
      shape: leaseShape(),
      lockTimeoutMs: 10_000,
    });
    await assert.rejects(created, /interrupted/);
    assert.equal(w.api.images.size, 0, "no checkpoint is left behind");
    assert.match(w.io.stderr, /deleted the unfinished snapshot image \d+/);
    assert.equal(w.box.held, 0);
  } finally {
    await w.cleanup();
  }
});

Deno.test("checkpoint create: a box busy past the lock timeout is not snapshotted (exit 5)", async () => {
  const w = await world();
  try {
    await existingLease(w, LEASE);
    w.box.locks = [{ busy: { runId: "run_other", owner: "bob" } }];
    await assert.rejects(request(w), (error) => error instanceof CrabboxError && error.exitCode === 5);
    assert.equal(w.api.calls.includes("createSnapshot"), false);
    assert.deepEqual(w.box.calls("checkpoint_flush"), []);
  } finally {
    await w.cleanup();
  }
});

Deno.test("checkpoint create: a snapshot whose answer was lost is found by its label, not made twice", async () => {
  const w = await world();
  try {
    await existingLease(w, LEASE);
    w.box.answers.checkpoint_flush = () => ({ code: 0, stdout: "FLUSHED\n" });
    const create = w.api.createSnapshot.bind(w.api);
    w.api.createSnapshot = async (serverId, body) => {
      await create(serverId, body);
      throw apiError("POST", `/servers/${serverId}/actions/create_image`, 503, "unavailable");
    };
    const view = await request(w);
    assert.equal(w.api.images.size, 1);
    assert.equal([...w.api.images.values()][0].labels.checkpoint, view.id);
    assert.equal(w.api.calls.filter((call) => call === "createSnapshot").length, 1, "sent once");
  } finally {
    await w.cleanup();
  }
});
