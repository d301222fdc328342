/**
 * End to end: ssh.allowCidrs / --allow-cidr against the harness, whose fake enforces Hetzner Firewalls
 * with nft inside each box's namespace. The harness client reaches a box from 10.77.N.1, so
 * 203.0.113.0/24 shuts it out and 10.77.0.0/16 lets it in.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { sandbox } from "./_cli.ts";
import { isoTime } from "../harness/fake_json.ts";

/** A TCP connect from the host (the harness client's side) to the box; false on refusal or silence. */
async function reachable(host: string, port: number): Promise<boolean> {
  const attempt = Deno.connect({ hostname: host, port }).then((conn) => {
    conn.close();
    return true;
  }, () => false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 3000));
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("ssh.allowCidrs: a Hetzner Firewall admits ssh only from the allowlist, and goes with the last box", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const firewalls = () => [...harness.fake.firewalls.firewalls.values()];
  try {
    await Deno.mkdir(`${box.home}/.config/crabbox`, { recursive: true });
    await Deno.writeTextFile(
      `${box.home}/.config/crabbox/config.yaml`,
      "ssh:\n  allowCidrs: [203.0.113.0/24]\nlease:\n  createAttempts: 1\n",
    );

    await t.step(
      "outside the range: the box drops the client, crabbox says why, nothing remains",
      async () => {
        const result = await box.crabbox(["warmup", "--class", "tiny", "--bootstrap-timeout", "6s"]);
        assert.equal(result.code, 5, result.stderr);
        assert.match(
          result.stderr,
          /^crabbox: firewall \d+ crabbox-ssh-\S+ admits ssh from 203\.0\.113\.0\/24$/m,
        );
        assert.match(
          result.stderr,
          /timed out after \S+ waiting for cbx_\S+ to become ready \(ports=2222:closed,22:closed\); a firewall admits ssh \(ports 2222,22\) only from ssh\.allowCidrs 203\.0\.113\.0\/24 \(user \S+config\.yaml:2\)/,
        );
        assert.match(
          result.stderr,
          /crabbox cannot see your public address: check that it lies inside one of those ranges/,
        );
        assert.equal(harness.fake.servers.size, 0);
        assert.equal(harness.fake.keys.size, 0);
        assert.deepEqual(firewalls(), [], "the rollback deletes the firewall its box no longer uses");
      },
    );

    await t.step("the rule is real: sshd listens, yet the client's connection never lands", async () => {
      const warm = await box.crabbox(["warmup", "--class", "tiny", "--no-wait"]);
      assert.equal(warm.code, 0, warm.stderr);
      const [server] = harness.fake.servers.values();
      const [firewall] = firewalls();
      assert.deepEqual([...firewall.servers], [server.id]);
      assert.equal(firewall.labels.crabbox, "true");
      assert.equal(firewall.labels.created_by, "crabbox");
      assert.equal(firewall.labels.owner, server.labels.owner);
      assert.match(firewall.labels.allow, /^[0-9a-f]{12}$/);
      assert.deepEqual(
        firewall.rules.map((r) => [r.direction, r.protocol, r.port, r.source_ips]),
        [["in", "tcp", "22", ["203.0.113.0/24"]], ["in", "tcp", "2222", ["203.0.113.0/24"]]],
      );
      // Wait for sshd inside the namespace (bounded), then knock from outside.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ss = await server.box!.exec(["ss", "-ltn"]);
        if (/:2222\b/.test(ss.stdout)) break;
        assert.ok(Date.now() < deadline, `sshd never listened on 2222: ${ss.stdout}${ss.stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const inside = await server.box!.exec(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/2222 && echo open"]);
      assert.match(inside.stdout, /open/, "sshd answers inside the box");
      assert.equal(await reachable(server.box!.ip, 2222), false, "the client is outside 203.0.113.0/24");
      assert.equal(await reachable(server.box!.ip, 22), false);
      const ssh = await box.crabbox(["ssh", server.labels.lease]);
      assert.equal(ssh.code, 5, ssh.stderr);
      assert.match(
        ssh.stderr,
        /^crabbox: error: ssh to cbx_\S+ \(10\.77\.\d+\.2:2222\) got no answer; a firewall admits ssh \(ports 2222,22\) only from ssh\.allowCidrs 203\.0\.113\.0\/24 \(firewall \d+ crabbox-ssh-\S+\)$/m,
      );
      assert.match(ssh.stderr, /^crabbox: hint: crabbox cannot see your public address/m);
      const stop = await box.crabbox(["stop", server.labels.lease]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.deepEqual(firewalls(), [], "stopping the last box deletes its firewall");
    });

    await t.step(
      "inside the range: one firewall for two boxes, ssh works, gone after the last box",
      async () => {
        const flags = ["--class", "tiny", "--allow-cidr", "10.77.0.0/16"];
        const first = await box.crabbox(["warmup", ...flags]);
        assert.equal(first.code, 0, first.stderr);
        const second = await box.crabbox(["warmup", ...flags]);
        assert.equal(second.code, 0, second.stderr);
        assert.equal(firewalls().length, 1, "once per owner and CIDR set, found again by label");
        assert.equal(firewalls()[0].servers.size, 2);
        const refused = await fetch(`${harness.endpoint}/firewalls/${firewalls()[0].id}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${harness.token}` },
        });
        assert.equal(refused.status, 422, "Hetzner refuses to delete an applied firewall");
        assert.equal((await refused.json()).error.code, "resource_in_use");
        const [a, b] = [...harness.fake.servers.values()].map((s) => s.labels.lease);
        const run = await box.crabbox(["run", "--id", a, "--", "echo", "through"]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stdout, "through\n");
        const stopA = await box.crabbox(["stop", a]);
        assert.equal(stopA.code, 0, stopA.stderr);
        assert.equal(firewalls().length, 1, "the other box still uses it");
        const stopB = await box.crabbox(["stop", b]);
        assert.equal(stopB.code, 0, stopB.stderr);
        assert.deepEqual(firewalls(), []);
      },
    );

    await t.step(
      "pond members behind the allowlist still reach each other over the private network",
      async () => {
        for (const slug of ["db", "api"]) {
          const r = await box.crabbox([
            "warmup",
            "--class",
            "tiny",
            "--allow-cidr",
            "10.77.0.0/16",
            "--pond",
            "fw",
            "--slug",
            slug,
          ]);
          assert.equal(r.code, 0, r.stderr);
        }
        const [firewall] = firewalls();
        assert.equal(firewall.servers.size, 2, "both members are behind the allowlist");
        const [network] = harness.fake.networks.networks.values();
        assert.ok(
          !firewall.rules.some((r) => r.source_ips.includes(network.ipRange)),
          "the pond's subnet is not in the rules",
        );
        // Hetzner's firewalls filter only the public interface: api → db.cbx goes over the private veth.
        // Bounded: a dropped SYN (the old all-interface rule) would otherwise wait for TCP's own timeout.
        const probe =
          "exec 3<>/dev/tcp/db.cbx/2222 && head -c 8 <&3 && echo \" via $(getent hosts db.cbx | cut -f1 -d' ')\"";
        const r = await box.crabbox([
          "run",
          "--id",
          "api",
          "--no-sync",
          "--",
          "timeout",
          "10",
          "bash",
          "-c",
          probe,
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^SSH-2\.0- via 10\.90\.\d+\.\d+$/m);
        const release = await box.crabbox(["pond", "release", "fw"]);
        assert.equal(release.code, 0, release.stderr);
        assert.equal(harness.fake.servers.size, 0);
        assert.equal(harness.fake.networks.size, 0);
        assert.deepEqual(firewalls(), [], "the members' firewall goes with the last of them");
      },
    );

    await t.step(
      "the sweep deletes an unused crabbox firewall past the grace, never one in use",
      async () => {
        const warm = await box.crabbox([
          "warmup",
          "--class",
          "tiny",
          "--no-wait",
          "--allow-cidr",
          "10.77.0.0/16",
        ]);
        assert.equal(warm.code, 0, warm.stderr);
        // A firewall whose creator died before its server existed, two hours ago.
        const planted = await fetch(`${harness.endpoint}/firewalls`, {
          method: "POST",
          headers: { authorization: `Bearer ${harness.token}`, "content-type": "application/json" },
          body: JSON.stringify({
            name: "crabbox-ssh-orphan",
            labels: { crabbox: "true", created_by: "crabbox", owner: "someone", allow: "0123456789ab" },
            rules: [{ direction: "in", protocol: "tcp", port: "22", source_ips: ["198.51.100.0/24"] }],
          }),
        });
        assert.equal(planted.status, 201, await planted.text());
        const orphan = firewalls().find((f) => f.name === "crabbox-ssh-orphan")!;
        orphan.createdMs -= 2 * 3600_000;
        orphan.created = isoTime(orphan.createdMs);
        const sweep = await box.crabbox(["sweep", "--json"]);
        assert.equal(sweep.code, 0, sweep.stderr);
        const report = JSON.parse(sweep.stdout);
        assert.deepEqual(report.firewalls, [{
          id: orphan.id,
          name: "crabbox-ssh-orphan",
          reason: "unused",
          result: "deleted",
          error: null,
        }]);
        assert.equal(firewalls().length, 1, "the applied one stays");
        const [server] = harness.fake.servers.values();
        assert.equal((await box.crabbox(["stop", server.labels.lease])).code, 0);
        assert.deepEqual(firewalls(), []);
      },
    );

    assert.deepEqual(harness.violations(), []);
  } finally {
    const leaks = await harness.stop();
    await box.cleanup();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
