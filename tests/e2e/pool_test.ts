/** Warm pools: six concurrent `run --pool` on two pool boxes never share a box; extras provision. */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { sandbox } from "./_cli.ts";

Deno.test("warmup --pool, concurrent run --pool, pool list, pool drain", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const fake = harness.fake;
  try {
    await t.step("warmup --pool --count 2 creates two ready pool boxes", async () => {
      const warm = await box.crabbox(["warmup", "--class", "tiny", "--pool", "ci", "--count", "2"]);
      assert.equal(warm.code, 0, warm.stderr);
      assert.equal(warm.stdout.match(/^leased cbx_\S+ .* pool=ci$/gm)?.length, 2);
      assert.deepEqual([...fake.servers.values()].map((s) => [s.labels.pool, s.labels.state]), [[
        "ci",
        "ready",
      ], ["ci", "ready"]]);
    });

    await t.step("six concurrent run --pool: no box is claimed twice, extra runs provision", async () => {
      const guard =
        "mkdir /work/crabbox/.crabbox/claim || exit 99; hostname; sleep 0.5; rmdir /work/crabbox/.crabbox/claim";
      const results = await Promise.all(
        Array.from(
          { length: 6 },
          () => box.crabbox(["run", "--pool", "ci", "--no-sync", "--", "sh", "-c", guard]),
        ),
      );
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      const claimed = results.filter((r) => /claimed pool box/.test(r.stderr)).length;
      const provisioned = results.filter((r) => /no idle box in pool ci; provisioning/.test(r.stderr)).length;
      assert.equal(claimed + provisioned, 6);
      assert.ok(claimed >= 2, `both warm boxes were used (claimed=${claimed})`);
      assert.equal(fake.servers.size, 2 + provisioned, "provisioned boxes join the pool");
      for (const server of fake.servers.values()) {
        assert.equal(server.labels.pool, "ci");
        assert.equal(server.labels.state, "ready");
      }
    });

    await t.step("pool list shows the pool with a BUSY column; drain releases idle boxes", async () => {
      const list = await box.crabbox(["pool", "list", "--pool", "ci"]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^LEASE .* EXPIRES +AGE +WHY +BUSY +PRICE\/H +COST$/m);
      assert.equal(list.stdout.trim().split("\n").length, fake.servers.size + 1);
      const count = fake.servers.size;
      const drain = await box.crabbox(["pool", "drain", "--pool", "ci", "--json"]);
      assert.equal(drain.code, 0, drain.stderr);
      const report = JSON.parse(drain.stdout);
      assert.equal(report.released.length, count);
      assert.deepEqual(report.skipped, []);
      assert.equal(fake.servers.size, 0);
      assert.equal(fake.keys.size, 0);
    });
    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
