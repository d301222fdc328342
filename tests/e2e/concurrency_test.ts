/** Two boxes, eight concurrent `run --id`: the box lock keeps every run's sync and command together. */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { git, sandbox } from "./_cli.ts";

Deno.test("8 concurrent run --id on 2 boxes never interleave; a busy box times out with the holder named", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  try {
    const leases: string[] = [];
    for (let i = 0; i < 2; i++) {
      const warm = await box.crabbox(["warmup", "--class", "tiny"]);
      assert.equal(warm.code, 0, warm.stderr);
      leases.push(warm.stdout.match(/^leased (cbx_\S+)/m)![1]);
    }
    // Eight clones of the same repo (same remote workdir per box), each with its own marker.
    const clones: string[] = [];
    for (let i = 0; i < 8; i++) {
      const dir = `${box.home}/clone${i}/webapp`;
      await Deno.mkdir(`${box.home}/clone${i}`);
      await git(box.home, "clone", "-q", box.repo, dir);
      // Distinct sizes: rsync's quick check (size + mtime) would skip equal-size files written in the
      // same second; the fingerprint work of the sync issue settles that case.
      await Deno.writeTextFile(`${dir}/marker.txt`, `run-${i}${"!".repeat(i)}\n`);
      clones.push(dir);
    }

    await t.step("each run sees exactly its own tree before and after a pause", async () => {
      const results = await Promise.all(clones.map((dir, i) =>
        box.crabbox(
          ["run", "--id", leases[i % 2], "--", "sh", "-c", "cat marker.txt; sleep 0.3; cat marker.txt"],
          { cwd: dir },
        )
      ));
      results.forEach((result, i) => {
        assert.equal(result.code, 0, result.stderr);
        const marker = `run-${i}${"!".repeat(i)}`;
        assert.equal(result.stdout, `${marker}\n${marker}\n`, `run ${i} saw another run's tree`);
      });
      const waited = results.filter((r) =>
        /waiting for box lock on cbx_\S+ held by run_[0-9a-f]{12}/.test(r.stderr)
      );
      assert.ok(waited.length >= 2, "at least the later runs on each box waited for the lock");
      for (const server of harness.fake.servers.values()) assert.equal(server.labels.state, "ready");
    });

    await t.step("--lock-timeout ends the wait with exit 5 and names the holder", async () => {
      const holder = box.spawn([
        "run",
        "--id",
        leases[0],
        "--no-sync",
        "--",
        "sh",
        "-c",
        "echo holding; sleep 8",
      ]);
      await holder.waitForStdout("holding");
      const waiter = await box.crabbox([
        "run",
        "--id",
        leases[0],
        "--no-sync",
        "--lock-timeout",
        "1s",
        "--",
        "true",
      ]);
      assert.equal(waiter.code, 5, waiter.stderr);
      assert.match(
        waiter.stderr,
        /timed out after 1\.0s waiting for the box lock on cbx_\S+ held by run_[0-9a-f]{12} \(root_\S+, since/,
      );
      holder.child.kill("SIGINT");
      assert.equal((await holder.done).code, 130);
      const labels = [...harness.fake.servers.values()].find((s) => s.labels.lease === leases[0])!.labels;
      assert.equal(labels.state, "ready", "the waiter never touched the holder's state");
    });

    for (const lease of leases) assert.equal((await box.crabbox(["stop", lease])).code, 0);
    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
