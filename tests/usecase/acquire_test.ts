/** acquireLease on a FakeBox and the in-memory Hetzner: the ready lease, and every failure rolled back. */
import assert from "node:assert/strict";
import { acquireLease } from "../../lease/acquire.ts";
import { leasePaths, leasesDir } from "../../lease/store.ts";
import { BootstrapTimeoutError } from "../../lease/readiness.ts";
import { ActionFailedError } from "../../providers/hetzner/action_waiter.ts";
import { apiError, leaseShape, type World, world } from "./_world.ts";

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);
const acquire = (w: World, shape = leaseShape()) =>
  acquireLease({ deps: w.deps, api: w.api, out: w.out, signal: w.signal, repoRoot: null }, shape);

async function leaseDirs(w: World): Promise<string[]> {
  if (!(await exists(leasesDir(w.deps)))) return [];
  return [...Deno.readDirSync(leasesDir(w.deps))].map((entry) => entry.name);
}

Deno.test("acquire: keys, labelled key and server, pinned host key, ready on the first probe", async () => {
  const w = await world();
  try {
    const lease = await acquire(w);
    assert.match(lease.leaseId, /^cbx_[0-9a-f]{12}$/);
    assert.deepEqual(w.box.log, ["keygen", "keygen", "probe"]);
    assert.deepEqual(
      w.api.calls,
      ["listServers", "createSshKey", "createServer"],
      "the IP came with the create answer: no polls",
    );
    const [server] = w.api.servers.values();
    assert.equal(server.labels.lease, lease.leaseId);
    assert.equal(server.labels.state, "provisioning");
    assert.equal(server.labels.server_type, "ccx33", "the class's first type");
    const paths = leasePaths(w.deps, lease.leaseId);
    assert.equal(await exists(paths.hostKey), false, "the host private key left with the box");
    assert.match(await Deno.readTextFile(paths.knownHosts), new RegExp(`^${lease.leaseId} ssh-ed25519 `));
    const record = JSON.parse(await Deno.readTextFile(paths.record));
    assert.deepEqual([record.serverId, record.ipv4, record.sshPort], [server.id, "203.0.113.7", 2222]);
    assert.match(w.io.stderr, /ready ssh=crabbox@203\.0\.113\.7:2222 bootstrap=/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("acquire: capacity in the first location moves to the next one", async () => {
  const w = await world();
  try {
    w.api.failures.set("createServer", apiError("POST", "/servers", 412, "resource_unavailable"));
    await acquire(w);
    assert.deepEqual(w.api.calls.filter((call) => call === "createServer"), ["createServer", "createServer"]);
    assert.match(w.io.stderr, /ccx33 in fsn1 rejected \(resource_unavailable\); trying nbg1/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("acquire: a host key mismatch aborts at once and rolls everything back", async () => {
  const w = await world();
  try {
    w.box.probes = ["hostkey"];
    await assert.rejects(acquire(w), /host key mismatch for cbx_[0-9a-f]{12} at 203\.0\.113\.7:2222/);
    assert.equal(w.api.servers.size, 0, "server deleted");
    assert.equal(w.api.keys.size, 0, "key deleted");
    assert.deepEqual(await leaseDirs(w), [], "lease dir removed");
    assert.deepEqual(w.clock.sleeps, [], "no wait");
  } finally {
    await w.cleanup();
  }
});

Deno.test("acquire: a boot that never answers is retried once on a fresh lease, both rolled back", async () => {
  const w = await world();
  try {
    w.box.probes = ["closed"];
    await assert.rejects(acquire(w, leaseShape({ bootstrapTimeoutSecs: 20 })), BootstrapTimeoutError);
    assert.equal(w.api.calls.filter((call) => call === "createServer").length, 2);
    assert.equal(w.api.calls.filter((call) => call === "deleteServer").length, 2);
    assert.equal(w.api.servers.size, 0);
    assert.deepEqual(await leaseDirs(w), []);
    assert.match(w.io.stderr, /bootstrap timed out on cbx_[0-9a-f]{12}; retrying once with a fresh lease/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("acquire: a create action that fails during the boot ends the wait and rolls back", async () => {
  const w = await world();
  try {
    w.box.probes = ["closed"];
    w.api.action = { status: "error", error: { code: "server_error", message: "boot failed" } };
    const started = w.clock.now();
    await assert.rejects(acquire(w), (error) => {
      assert.ok(error instanceof ActionFailedError);
      assert.equal(error.message, "create_server action failed: boot failed");
      return true;
    });
    assert.ok(
      w.clock.now() - started <= 15_000,
      "at the first progress round, well inside the bootstrap budget",
    );
    assert.equal(w.api.servers.size, 0);
    assert.equal(w.api.keys.size, 0);
  } finally {
    await w.cleanup();
  }
});
