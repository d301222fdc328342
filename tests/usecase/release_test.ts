/** releaseServer on the in-memory Hetzner: key and server go together, and a failure of one spares the other. */
import assert from "node:assert/strict";
import { releaseServer } from "../../lease/release.ts";
import { leaseDir } from "../../lease/store.ts";
import { apiError, existingLease, type World, world } from "./_world.ts";

const LEASE = "cbx_0000000000cc";
const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

async function leaseWithKey(w: World) {
  const server = await existingLease(w, LEASE);
  const key = await w.api.createSshKey({
    name: "crabbox-cbx-0000000000cc",
    publicKey: "ssh-ed25519 AAAA",
    labels: { crabbox: "true", created_by: "crabbox", lease: LEASE },
  });
  w.api.calls.length = 0;
  return { server, key };
}

Deno.test("release: both deletes are sent before either answers; the lease dir goes after them", async () => {
  const w = await world();
  try {
    const { server, key } = await leaseWithKey(w);
    const deleteSshKey = w.api.deleteSshKey.bind(w.api);
    let serverDeleteSentFirst = false;
    w.api.deleteSshKey = async (id) => {
      await null; // the key's answer comes later than the call: was the server's delete sent meanwhile?
      serverDeleteSentFirst = w.api.calls.includes("deleteServer");
      return await deleteSshKey(id);
    };
    const result = await releaseServer(w.deps, w.api, server, undefined, {
      sshKeyId: key.id,
      labelOnlyIfDeleteFails: true,
    });
    assert.deepEqual(result, { serverDeleted: "deleted", sshKeyDeleted: true });
    assert.ok(serverDeleteSentFirst, "the server's delete does not wait for the key's answer");
    assert.deepEqual([w.api.servers.size, w.api.keys.size], [0, 0]);
    assert.equal(await exists(leaseDir(w.deps, LEASE)), false);
  } finally {
    await w.cleanup();
  }
});

Deno.test("release: a key that cannot be deleted is the error, and the server is deleted all the same", async () => {
  const w = await world();
  try {
    const { server, key } = await leaseWithKey(w);
    const failure = apiError("DELETE", `/ssh_keys/${key.id}`, 503, "unavailable");
    w.api.failures.set("deleteSshKey", failure);
    await assert.rejects(
      releaseServer(w.deps, w.api, server, undefined, { sshKeyId: key.id, labelOnlyIfDeleteFails: true }),
      (error) => error === failure,
    );
    assert.equal(w.api.servers.size, 0, "the box (what costs money) is gone");
    assert.equal(
      w.api.keys.get(key.id)?.labels.lease,
      LEASE,
      "the key keeps the labels the sweep finds it by",
    );
  } finally {
    await w.cleanup();
  }
});

Deno.test("release: a server that cannot be deleted is labelled released, and its key still goes", async () => {
  const w = await world();
  try {
    const { server, key } = await leaseWithKey(w);
    const failure = apiError("DELETE", `/servers/${server.id}`, 503, "unavailable");
    w.api.failures.set("deleteServer", failure);
    await assert.rejects(
      releaseServer(w.deps, w.api, server, undefined, { sshKeyId: key.id, labelOnlyIfDeleteFails: true }),
      (error) => error === failure,
    );
    assert.equal(w.api.servers.get(server.id)?.labels.state, "released", "on its way out, for the sweep");
    assert.equal(w.api.keys.size, 0);
    assert.equal(await exists(leaseDir(w.deps, LEASE)), true, "kept while the server remains");
  } finally {
    await w.cleanup();
  }
});
