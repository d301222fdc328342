/**
 * Ponds on the harness (docs/ponds.md): two members of pond pr-42 reach each other as <slug>.cbx over
 * their private IPs, `pond peers` lists both, a slug clash creates nothing, `pond release` leaves no
 * server, key or network, and a first member killed mid-create leaves only what the sweep removes.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { sandbox } from "./_cli.ts";

const TCP_BANNER = (host: string) =>
  `exec 3<>/dev/tcp/${host}/2222 && head -c 8 <&3 && echo " via $(getent hosts ${host} | cut -f1 -d' ')"`;

/** Polls harness state (never a fixed sleep): the condition, or a failure after 30 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("ponds: private network, <slug>.cbx, peers, release, sweep", async (t) => {
  const harness = await startHarness();
  const fake = harness.fake;
  const box = await sandbox(harness);
  const hostsOf = async (slug: string) => {
    const server = [...fake.servers.values()].find((s) => s.labels.slug === slug)!;
    return (await server.box!.exec(["cat", "/etc/hosts"])).stdout;
  };
  try {
    const leases: Record<string, { id: string; serverId: number }> = {};
    await t.step("the first member creates the pond's network; the second adopts it", async () => {
      for (const slug of ["db", "api"]) {
        const r = await box.crabbox([
          "warmup",
          "--class",
          "tiny",
          "--pond",
          "PR 42",
          "--slug",
          slug,
          "--json",
        ]);
        assert.equal(r.code, 0, r.stderr);
        const [lease] = JSON.parse(r.stdout).leases;
        leases[slug] = { id: lease.id, serverId: lease.serverId };
        assert.equal(lease.labels.pond, "pr-42", "the name is normalized as the Go CLI does");
        assert.match(
          r.stderr,
          new RegExp(`^crabbox: pond pr-42: ${slug}\\.cbx = 10\\.\\d+\\.\\d+\\.\\d+ on network`, "m"),
        );
      }
      const networks = [...fake.networks.networks.values()];
      assert.equal(networks.length, 1, "one network for the pond");
      assert.deepEqual(networks[0].labels, {
        crabbox: "true",
        created_by: "crabbox",
        pond: "pr-42",
        owner: networks[0].labels.owner,
      });
      assert.match(networks[0].ipRange, /^10\.90\.\d+\.0\/24$/, "a /24 of pond.ipRange");
      assert.deepEqual([...networks[0].servers].sort(), [leases.db.serverId, leases.api.serverId].sort());
    });

    await t.step("members reach each other as <slug>.cbx over their private IPs", async () => {
      for (const [from, to] of [["api", "db"], ["db", "api"]]) {
        const r = await box.crabbox([
          "run",
          "--id",
          from,
          "--no-sync",
          "--",
          "bash",
          "-c",
          TCP_BANNER(`${to}.cbx`),
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^SSH-2\.0- via 10\.90\.\d+\.\d+$/m, `${from} → ${to}.cbx`);
      }
      assert.match(await hostsOf("db"), /^10\.90\.\d+\.\d+\tapi\.cbx\t# pond=pr-42$/m);
    });

    await t.step("a slug taken in the pond is a usage error and creates nothing", async () => {
      const before = { servers: fake.servers.size, keys: fake.keys.size, networks: fake.networks.size };
      const r = await box.crabbox(["warmup", "--class", "tiny", "--pond", "pr-42", "--slug", "db"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^crabbox: error: --slug db is already taken in pond pr-42 \(lease cbx_/m);
      assert.deepEqual(
        { servers: fake.servers.size, keys: fake.keys.size, networks: fake.networks.size },
        before,
      );
    });

    await t.step("pond peers, pond list and list --pond describe both members", async () => {
      const peers = await box.crabbox(["pond", "peers", "pr-42", "--json"]);
      assert.equal(peers.code, 0, peers.stderr);
      const doc = JSON.parse(peers.stdout);
      const network = [...fake.networks.networks.values()][0];
      assert.deepEqual(doc.network, { id: network.id, ipRange: network.ipRange });
      assert.deepEqual(doc.members.map((m: { slug: string }) => m.slug).sort(), ["api", "db"]);
      for (const member of doc.members) {
        assert.deepEqual(Object.keys(member).sort(), [
          "endpoint",
          "leaseId",
          "privateIp",
          "publicIp",
          "serverId",
          "slug",
          "state",
          "transport",
        ]);
        assert.equal(member.transport, "private");
        assert.equal(member.endpoint, `${member.slug}.cbx`);
        assert.match(member.privateIp, /^10\.90\.\d+\.\d+$/);
        assert.match(member.publicIp, /^10\.77\.\d+\.2$/);
      }
      const list = await box.crabbox(["pond", "list", "--json"]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(JSON.parse(list.stdout).ponds, [
        { pond: "pr-42", network: doc.network, members: 2, slugs: ["api", "db"] },
      ]);
      const listed = await box.crabbox(["list", "--pond", "pr-42", "--json"]);
      assert.equal(JSON.parse(listed.stdout).length, 2, listed.stderr);
      const other = await box.crabbox(["list", "--pond", "pr-43", "--json"]);
      assert.deepEqual(JSON.parse(other.stdout), []);
    });

    await t.step("the sweep never deletes a network with members", async () => {
      const r = await box.crabbox(["sweep", "--dry-run", "--grace", "0s", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const [network] = JSON.parse(r.stdout).networks;
      assert.equal(network.reason, "has_members");
      assert.equal(network.result, "skipped");
    });

    await t.step("a member leaving drops out of the others' /etc/hosts", async () => {
      const r = await box.crabbox(["stop", leases.api.id]);
      assert.equal(r.code, 0, r.stderr);
      const hosts = await hostsOf("db");
      assert.doesNotMatch(hosts, /api\.cbx/);
      assert.match(hosts, /\tdb\.cbx\t/);
      assert.equal(fake.networks.size, 1, "the network stays while a member is left");
    });

    await t.step("pond release stops every member and deletes the network; again is a no-op", async () => {
      const dry = await box.crabbox(["pond", "release", "pr-42", "--dry-run", "--json"]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.deepEqual(JSON.parse(dry.stdout).members.map((m: { result: string }) => m.result), [
        "would_release",
      ]);
      assert.equal(fake.servers.size, 1, "a dry run deletes nothing");
      const r = await box.crabbox(["pond", "release", "pr-42", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.deepEqual(report.members.map((m: { slug: string; result: string }) => [m.slug, m.result]), [[
        "db",
        "released",
      ]]);
      assert.deepEqual(report.networks.map((n: { result: string }) => n.result), ["deleted"]);
      assert.deepEqual({ servers: fake.servers.size, keys: fake.keys.size, networks: fake.networks.size }, {
        servers: 0,
        keys: 0,
        networks: 0,
      });
      const again = await box.crabbox(["pond", "release", "pr-42", "--json"]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout), { pond: "pr-42", dryRun: false, members: [], networks: [] });
      const peers = await box.crabbox(["pond", "peers", "pr-42"]);
      assert.equal(peers.code, 4, peers.stderr);
      assert.match(peers.stderr, /^crabbox: error: pond pr-42 not found$/m);
    });

    await t.step(
      "a job's pond: key joins its box; its release leaves the empty network to pond release",
      async () => {
        await Deno.writeTextFile(
          `${box.repo}/.crabbox.yaml`,
          "jobs:\n  hosts:\n    command: cat /etc/hosts\n    class: tiny\n    pond: PR_44\n",
        );
        const r = await box.crabbox(["job", "run", "hosts"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^10\.90\.\d+\.2\t[a-z]+-[a-z]+\.cbx\t# pond=pr-44$/m);
        assert.equal(fake.servers.size, 0, "the job's box went by its stop policy");
        assert.deepEqual([...fake.networks.networks.values()].map((n) => n.labels.pond), ["pr-44"]);
        const release = await box.crabbox(["pond", "release", "pr-44"]);
        assert.equal(release.code, 0, release.stderr);
        assert.match(release.stdout, /^deleted network=\d+ 10\.90\.\d+\.0\/24$/m);
        assert.equal(fake.networks.size, 0);
        await Deno.remove(`${box.repo}/.crabbox.yaml`);
      },
    );

    await t.step("a first member killed mid-create leaves only what the sweep removes", async () => {
      // The server's POST hangs, so the kill lands after the network and the key exist.
      fake.faults.push({ method: "POST", path: "/servers", delayMs: 8_000, remaining: 1 });
      const running = box.spawn(["warmup", "--class", "tiny", "--pond", "pr-43", "--slug", "db"]);
      await running.waitForStderr("created network");
      await until(() => fake.keys.size === 1, "the lease's key exists");
      running.child.kill("SIGKILL");
      await running.done;
      assert.equal(fake.servers.size, 0);
      assert.equal(fake.networks.size, 1, "the network outlives the kill");
      const early = await box.crabbox(["sweep", "--json"]);
      assert.equal(early.code, 0, early.stderr);
      assert.deepEqual(JSON.parse(early.stdout).networks.map((n: { reason: string }) => n.reason), [
        "in_grace",
      ]);
      assert.equal(fake.networks.size, 1, "within the grace a first member may still be coming");
      fake.skewMs = 2 * 3600_000;
      const late = await box.crabbox(["sweep", "--json"]);
      assert.equal(late.code, 0, late.stderr);
      const report = JSON.parse(late.stdout);
      assert.deepEqual(report.networks.map((n: { reason: string; result: string }) => [n.reason, n.result]), [
        [
          "no_members",
          "deleted",
        ],
      ]);
      assert.equal(report.sshKeys.length, 1, "the orphaned key goes too");
      assert.deepEqual({ servers: fake.servers.size, keys: fake.keys.size, networks: fake.networks.size }, {
        servers: 0,
        keys: 0,
        networks: 0,
      });
    });

    await t.step("two CLIs racing for a pond's first member end with one network", async () => {
      fake.skewMs = 0;
      const [x, y] = await Promise.all(
        ["a", "b"].map((slug) =>
          box.crabbox(["warmup", "--class", "tiny", "--pond", "pr-45", "--slug", slug])
        ),
      );
      assert.equal(x.code, 0, x.stderr);
      assert.equal(y.code, 0, y.stderr);
      const networks = [...fake.networks.networks.values()];
      assert.equal(networks.length, 1, "one network");
      assert.equal(networks[0].servers.size, 2, "both members on it");
      const release = await box.crabbox(["pond", "release", "pr-45", "--json"]);
      assert.equal(release.code, 0, release.stderr);
      assert.deepEqual([fake.servers.size, fake.keys.size, fake.networks.size], [0, 0, 0]);
    });

    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
