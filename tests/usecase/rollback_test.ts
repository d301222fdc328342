/** rollback on the in-memory Hetzner: everything removed, or what remains labelled and said. */
import assert from "node:assert/strict";
import { rollback, type RollbackTarget } from "../../lease/rollback.ts";
import { leaseDir } from "../../lease/store.ts";
import { apiError, existingLease, type World, world } from "./_world.ts";

const LEASE = "cbx_0000000000aa";
const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

const rollBack = (w: World, target: Partial<RollbackTarget>) =>
  rollback({ deps: w.deps, api: w.api, out: w.out }, {
    leaseId: LEASE,
    serverId: null,
    serverName: "crabbox-unknown",
    keyId: null,
    ...target,
  });

async function withKey(w: World) {
  return await w.api.createSshKey({
    name: "crabbox-cbx-0000000000aa",
    publicKey: "ssh-ed25519 AAAA",
    labels: { crabbox: "true" },
  });
}

Deno.test("rollback: server, then key, then the local lease dir", async () => {
  const w = await world();
  try {
    const server = await existingLease(w, LEASE, { state: "provisioning" });
    const key = await withKey(w);
    await rollBack(w, { serverId: server.id, serverName: server.name, keyId: key.id });
    assert.deepEqual([w.api.servers.size, w.api.keys.size], [0, 0]);
    assert.equal(await exists(leaseDir(w.deps, LEASE)), false);
    assert.match(w.io.stderr, new RegExp(`rolled back ${LEASE}: server ${server.id} deleted`));
  } finally {
    await w.cleanup();
  }
});

Deno.test("rollback: a create cut short before its answer finds the server by its lease label", async () => {
  const w = await world();
  try {
    await existingLease(w, LEASE, { state: "provisioning" });
    await rollBack(w, { createAttempted: true });
    assert.equal(w.api.servers.size, 0);
    assert.equal(await exists(leaseDir(w.deps, LEASE)), false);
  } finally {
    await w.cleanup();
  }
});

Deno.test("rollback: a server that cannot be deleted is labelled failed, named, and its key still goes", async () => {
  const w = await world();
  try {
    const server = await existingLease(w, LEASE, { state: "provisioning" });
    const key = await withKey(w);
    w.api.failures.set("deleteServer", apiError("DELETE", `/servers/${server.id}`, 503, "unavailable"));
    await rollBack(w, { serverId: server.id, serverName: server.name, keyId: key.id });
    assert.equal(w.api.servers.get(server.id)?.labels.state, "failed", "the sweep takes it");
    assert.equal(w.api.keys.size, 0);
    assert.equal(await exists(leaseDir(w.deps, LEASE)), true, "its key is kept while the server remains");
    assert.match(
      w.io.stderr,
      /warning: could not delete server \d+: hetzner DELETE \/servers\/\d+: 503 unavailable/,
    );
    assert.match(w.io.stderr, new RegExp(`may remain; .* crabbox stop ${LEASE}`));
  } finally {
    await w.cleanup();
  }
});

Deno.test("rollback: the lookup after a failed create fails too: it says a server may remain, deletes nothing", async () => {
  const w = await world();
  try {
    await existingLease(w, LEASE, { state: "provisioning" });
    w.api.failures.set("listServers", apiError("GET", "/servers", 503, "unavailable"));
    await rollBack(w, { createAttempted: true });
    assert.equal(w.api.servers.size, 1);
    assert.match(w.io.stderr, new RegExp(`a server for ${LEASE} may remain`));
  } finally {
    await w.cleanup();
  }
});
