/** acquire and release with ssh.allowCidrs on a FakeBox and the in-memory Hetzner. */
import assert from "node:assert/strict";
import { acquireLease } from "../../lease/acquire.ts";
import { releaseServer } from "../../lease/release.ts";
import { BootstrapTimeoutError } from "../../lease/readiness.ts";
import { sshBlockedError } from "../../lease/firewall.ts";
import { apiError, existingLease, leaseShape, runInWorld, type World, world } from "./_world.ts";

const shape = leaseShape({
  allowCidrs: ["203.0.113.0/24"],
  allowCidrsSource: "flag --allow-cidr",
  sshPorts: [2222, 22],
});
/** Distinct lease ids (the world's random is fixed): a rollback looks its lease up by label. */
const randomIds = (w: World) => {
  (w.deps as { random: World["deps"]["random"] }).random = {
    bytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
  };
};
/** alice's firewall that lets only 198.51.100.0/24 reach port 2222. */
const aliceFirewall = (w: World) =>
  w.api.createFirewall({
    name: "crabbox-ssh-alice-0123456789ab",
    labels: { crabbox: "true", created_by: "crabbox", owner: "alice", allow: "0123456789ab" },
    rules: [{
      direction: "in",
      protocol: "tcp",
      port: "2222",
      sourceIps: ["198.51.100.0/24"],
      description: null,
    }],
  });
const acquire = (w: World, s = shape) =>
  acquireLease({ deps: w.deps, api: w.api, out: w.out, signal: w.signal, repoRoot: null }, s);

Deno.test("acquire with an allowlist: one firewall per owner and set, applied at create, gone with the last box", async () => {
  const w = await world();
  try {
    randomIds(w);
    const first = await acquire(w);
    const second = await acquire(w);
    assert.equal(w.api.firewalls.size, 1, "the second lease found the first one's firewall by label");
    const [firewall] = w.api.firewalls.values();
    assert.equal(firewall.labels.owner, "alice");
    assert.deepEqual(first.server.firewallIds, [firewall.id]);
    assert.deepEqual(second.server.firewallIds, [firewall.id]);
    assert.deepEqual(firewall.rules.map((r) => r.port), ["22", "2222"]);
    assert.equal(w.api.calls.filter((c) => c === "createFirewall").length, 1);

    await releaseServer(w.deps, w.api, first.server, w.signal);
    assert.equal(w.api.firewalls.size, 1, "the second box still uses it");
    await releaseServer(w.deps, w.api, second.server, w.signal);
    assert.equal(w.api.firewalls.size, 0);
  } finally {
    await w.cleanup();
  }
});

Deno.test("acquire without an allowlist touches no firewall", async () => {
  const w = await world();
  try {
    const lease = await acquire(w, leaseShape());
    assert.equal(lease.server.firewallIds, undefined);
    assert.deepEqual(w.api.calls.filter((c) => c.includes("Firewall")), []);
  } finally {
    await w.cleanup();
  }
});

Deno.test("a box the allowlist shuts out: the timeout names the allowlist and what to check; the rollback takes the firewall", async () => {
  const w = await world();
  try {
    w.box.probes = ["closed"];
    const error = await acquire(w, { ...shape, bootstrapTimeoutSecs: 20, createAttempts: 1 }).then(
      () => assert.fail("acquired"),
      (e) => e,
    );
    assert.ok(error instanceof BootstrapTimeoutError);
    assert.match(
      error.message,
      /\(ports=2222:closed,22:closed\); a firewall admits ssh \(ports 2222,22\) only from ssh\.allowCidrs 203\.0\.113\.0\/24 \(flag --allow-cidr\)$/,
    );
    assert.match(
      error.hint!,
      /^crabbox cannot see your public address: check that it lies inside one of those ranges/,
    );
    assert.equal(w.api.servers.size, 0);
    assert.equal(w.api.firewalls.size, 0);
  } finally {
    await w.cleanup();
  }
});

Deno.test("a failed POST /servers rolls back the firewall it made; one another box uses stays", async () => {
  const w = await world();
  try {
    w.api.failures.set("createServer", apiError("POST", "/servers", 422, "invalid_input"));
    await assert.rejects(acquire(w, { ...shape, locations: ["fsn1"] }));
    assert.equal(w.api.firewalls.size, 0);

    randomIds(w);
    const kept = await acquire(w);
    w.api.failures.set("createServer", apiError("POST", "/servers", 422, "invalid_input"));
    await assert.rejects(acquire(w, { ...shape, locations: ["fsn1"] }));
    assert.equal(w.api.firewalls.size, 1);
    assert.deepEqual([...w.api.firewalls.keys()], kept.server.firewallIds);
  } finally {
    await w.cleanup();
  }
});

Deno.test("run --id on a box behind a crabbox firewall that stopped answering: the timeout names its ranges", async () => {
  const w = await world();
  try {
    const firewall = await aliceFirewall(w);
    const server = await existingLease(w, "cbx_00000000beef");
    w.api.servers.get(server.id)!.firewallIds = [firewall.id];
    w.box.probes = ["closed"];
    const error = await runInWorld(w, {
      argv: ["true"],
      env: { forward: {}, allow: [] },
      id: "cbx_00000000beef",
    })
      .then(() => assert.fail("ran"), (e) => e);
    assert.ok(error instanceof BootstrapTimeoutError, String(error));
    assert.match(
      error.message,
      new RegExp(
        `only from ssh\\.allowCidrs 198\\.51\\.100\\.0/24 \\(firewall ${firewall.id} crabbox-ssh-alice-0123456789ab\\)$`,
      ),
    );
    assert.match(error.hint!, /crabbox cannot see your public address/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("crabbox ssh failing (255) behind a crabbox firewall: the error names its ranges, only when the port is shut", async () => {
  const w = await world();
  try {
    const firewall = await aliceFirewall(w);
    const target = {
      leaseId: "cbx_00000000beef",
      host: "192.0.2.10",
      port: 2222,
      ports: [2222, 22],
      firewallIds: [firewall.id],
    };
    w.box.probes = ["closed"];
    const error = await sshBlockedError(w.deps.net, w.api, target);
    assert.ok(error, "a shut port behind a firewall");
    assert.equal(error.exitCode, 5);
    assert.match(
      error.message,
      new RegExp(
        `^ssh to cbx_00000000beef \\(192\\.0\\.2\\.10:2222\\) got no answer; a firewall admits ssh \\(ports 2222,22\\) only from ssh\\.allowCidrs 198\\.51\\.100\\.0/24 \\(firewall ${firewall.id} crabbox-ssh-alice-0123456789ab\\)$`,
      ),
    );
    assert.match(error.hint!, /crabbox cannot see your public address/);
    assert.equal(await sshBlockedError(w.deps.net, w.api, { ...target, firewallIds: [] }), null);
    w.box.probes = ["ok"];
    assert.equal(await sshBlockedError(w.deps.net, w.api, target), null, "the port answers: ssh's own error");
  } finally {
    await w.cleanup();
  }
});
