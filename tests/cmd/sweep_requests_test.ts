/**
 * The sweep's requests grow with pages, not servers (issue 10, P5): the expired are re-listed by lease in
 * one request (a heartbeat that landed meanwhile still saves its box), their keys come from one listing,
 * and no server is fetched on its own.
 */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";

const NOW_SECS = Date.parse("2026-05-01T12:00:00Z") / 1000;
const labels = (lease: string, expiresAt: number) => ({
  crabbox: "true",
  created_by: "crabbox",
  provider: "hetzner",
  lease,
  slug: `s-${lease.slice(-4)}`,
  keep: "false",
  state: "ready",
  expires_at: String(expiresAt),
});
const keyName = (lease: string) => `crabbox-${lease.replace("_", "-")}`;

Deno.test("sweep: the expired re-listed in one request, their keys from one listing, no per-server GET", async () => {
  const cli = await fakeCli();
  try {
    const [gone, saved, alive] = ["cbx_aaaaaaaaaaaa", "cbx_bbbbbbbbbbbb", "cbx_cccccccccccc"];
    cli.hetzner.addServer({ id: 1, labels: labels(gone, NOW_SECS - 600) });
    cli.hetzner.addServer({ id: 2, labels: labels(saved, NOW_SECS - 600) });
    cli.hetzner.addServer({ id: 3, labels: labels(alive, NOW_SECS + 600) });
    for (const [id, lease] of [[11, gone], [12, saved], [13, alive]] as const) {
      cli.hetzner.keys.set(id, {
        id,
        name: keyName(lease),
        fingerprint: "00",
        publicKey: "ssh-ed25519 AAAA",
        createdMs: NOW_SECS * 1000 - 7200_000,
        labels: { crabbox: "true", created_by: "crabbox", lease },
      });
    }
    // A heartbeat lands on `saved` between the listing and the re-list.
    const list = cli.hetzner.listServers.bind(cli.hetzner);
    let lists = 0;
    cli.hetzner.listServers = (query) => {
      if (++lists === 2) cli.hetzner.servers.get(2)!.labels.expires_at = String(NOW_SECS + 600);
      return list(query);
    };
    const result = await cli.run("sweep", "--json", "--no-local");
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(
      report.servers.map((s: { lease: string; result: string }) => [s.lease, s.result]),
      [[gone, "deleted"], [saved, "skipped"], [alive, "skipped"]],
    );
    assert.deepEqual(report.sshKeys.map((k: { name: string }) => k.name), [keyName(gone)]);
    assert.deepEqual([...cli.hetzner.servers.keys()], [2, 3]);
    assert.deepEqual([...cli.hetzner.keys.keys()], [12, 13]);
    assert.deepEqual(cli.hetzner.calls, [
      "listServers",
      "listServers",
      "listSshKeys",
      "deleteSshKey",
      "deleteServer",
      // The other crabbox resources: one listing each (ponds, allowlists, checkpoints).
      "listNetworks",
      "listFirewalls",
      "listImages",
    ]);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("sweep --no-keys: the expired boxes' keys still go first, from one listing by lease", async () => {
  const cli = await fakeCli();
  try {
    const lease = "cbx_dddddddddddd";
    cli.hetzner.addServer({ id: 4, labels: labels(lease, NOW_SECS - 600) });
    cli.hetzner.keys.set(14, {
      id: 14,
      name: keyName(lease),
      fingerprint: "00",
      publicKey: "ssh-ed25519 AAAA",
      createdMs: NOW_SECS * 1000,
      labels: { crabbox: "true", created_by: "crabbox", lease },
    });
    const result = await cli.run("sweep", "--json", "--no-keys", "--no-local");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(cli.hetzner.servers.size, 0);
    assert.equal(cli.hetzner.keys.size, 0);
    assert.deepEqual(cli.hetzner.calls, [
      "listServers",
      "listServers",
      "listSshKeys",
      "deleteSshKey",
      "deleteServer",
      // The other crabbox resources: one listing each (ponds, allowlists, checkpoints).
      "listNetworks",
      "listFirewalls",
      "listImages",
    ]);
  } finally {
    await cli.cleanup();
  }
});
