/** waitForReady through a real Box on a FakeBox: port fallback, refused keys, the bootstrap deadline. */
import assert from "node:assert/strict";
import { BootstrapTimeoutError, waitForReady } from "../../lease/readiness.ts";
import { boxFor } from "../../lease/pool.ts";
import { existingLease, leaseShape, type World, world } from "./_world.ts";

const LEASE = "cbx_0000000000bb";

async function ready(w: World, ports: number[], budgetMs: number) {
  const server = await existingLease(w, LEASE);
  const box = boxFor(w.deps, w.out, server, leaseShape({ sshPorts: ports }), null);
  const port = await waitForReady(
    { deps: w.deps, out: w.out, signal: w.signal, box, leaseId: LEASE, ip: box.host },
    w.clock.now() + budgetMs,
  );
  return { port, box };
}

Deno.test("readiness: when ssh.port stays closed, a fallback port that answers is used and said", async () => {
  const w = await world();
  try {
    let fallbackProbes = 0;
    w.box.probes = (port) => port === 2222 ? "closed" : fallbackProbes++ ? "ok" : "not-ready(cloud-init)";
    const { port, box } = await ready(w, [2222, 22], 60_000);
    assert.equal(port, 22);
    assert.equal(box.port, 22, "later channels use it");
    // Between the rounds and during the fallback's probes alike, 2222 is watched: no blind round delay.
    assert.ok(w.clock.sleeps.every((ms) => ms <= 100), `sleeps ${w.clock.sleeps}`);
    assert.ok(w.clock.sleeps.includes(50), "the watch ends with the round's pause");
    assert.match(w.io.stderr, new RegExp(`using ssh port 22 for ${LEASE} \\(2222 not reachable\\)`));
  } finally {
    await w.cleanup();
  }
});

Deno.test("readiness: a refused key keeps trying until the deadline, which names every port's state", async () => {
  const w = await world();
  try {
    w.box.probes = (port) => port === 2222 ? "auth" : "closed";
    await assert.rejects(ready(w, [2222, 22], 15_000), (error) => {
      assert.ok(error instanceof BootstrapTimeoutError);
      assert.match(error.message, /\(ports=2222:auth,22:closed\)$/);
      return true;
    });
    assert.match(w.io.stderr, /waiting for ssh on 203\.0\.113\.7 \(bootstrap\) .* ports=2222:auth,22:closed/);
  } finally {
    await w.cleanup();
  }
});
