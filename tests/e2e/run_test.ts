/**
 * End to end: the real CLI against the harness (fake Hetzner behind Prism, real sshd boxes, real
 * ssh/rsync/git). Every request and response is checked against Hetzner's OpenAPI document.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { sandbox } from "./_cli.ts";

Deno.test("crabbox run, warmup, run --id, list, status, stop on real boxes", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const state = () => ({ servers: harness.fake.servers.size, keys: harness.fake.keys.size });
  try {
    await t.step("one-shot run streams output, passes exit 7 through, leaves nothing", async () => {
      const result = await box.crabbox(["run", "--class", "tiny", "--", "sh", "-c", "echo hi; exit 7"]);
      assert.equal(result.code, 7, result.stderr);
      assert.equal(result.stdout, "hi\n");
      assert.match(result.stderr, /^crabbox: lease cbx_[0-9a-f]{12} slug=\S+ \(new\) class=tiny/m);
      assert.match(result.stderr, /^crabbox: command exited 7 after /m);
      assert.match(result.stderr, /^crabbox: released cbx_/m);
      assert.match(result.stderr, /^crabbox: summary lease=cbx_\S+ acquire=\S+ .* exit=7$/m);
      assert.deepEqual(state(), { servers: 0, keys: 0 });
    });

    let slug = "";
    let leaseId = "";
    await t.step("warmup prints the leased and ready lines", async () => {
      const result = await box.crabbox(["warmup", "--class", "tiny"]);
      assert.equal(result.code, 0, result.stderr);
      const leased = result.stdout.match(
        /^leased (cbx_[0-9a-f]{12}) slug=(\S+) server=\d+ type=ccx13 location=fsn1 ip=10\.77\.\d+\.2 keep=false idle_timeout=30m expires=\S+Z$/m,
      );
      assert.ok(leased, result.stdout);
      [, leaseId, slug] = leased;
      assert.match(result.stdout, /^ready ssh=crabbox@10\.77\.\d+\.2:2222 workroot=\/work\/crabbox$/m);
      assert.deepEqual(state(), { servers: 1, keys: 1 });
      const labels = [...harness.fake.servers.values()][0].labels;
      assert.equal(labels.state, "ready");
      assert.equal(labels.lease, leaseId);
    });

    await t.step("ssh --print gives the pinned ssh command line", async () => {
      const result = await box.crabbox(["ssh", slug, "--print"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /^ssh -t -F none -i \S+\/id_ed25519 .*-o HostKeyAlias=cbx_[0-9a-f]{12} .*-p 2222 crabbox@10\.77\.\d+\.2 /,
      );
    });

    await t.step("run --id shows the synced dirty tree through git status", async () => {
      const result = await box.crabbox(["run", "--id", slug, "--", "git", "status", "--short"]);
      assert.equal(result.code, 0, result.stderr);
      // The box has the local commit (no origin: it came in a bundle), so only the local edit shows.
      assert.equal(result.stdout, " M README.md\n");
      assert.match(
        result.stderr,
        new RegExp(`^crabbox: lease ${leaseId} slug=${slug} \\(existing, state=ready\\)`, "m"),
      );
      assert.match(result.stderr, /^crabbox: kept cbx_\S+ \(idle expiry \S+Z, ttl cap \S+Z\)$/m);
      assert.equal(state().servers, 1);
    });

    // Counts are behaviour: every request is a round trip against Hetzner's 3,600 an hour (issue 10, P4).
    await t.step("API requests: a warm run --id and a one-shot run", async () => {
      const during = async (args: string[]) => {
        const before = (await harness.admin.log()).length;
        const result = await box.crabbox(args);
        assert.equal(result.code, 0, result.stderr);
        return (await harness.admin.log()).slice(before).map((r) =>
          `${r.method} ${r.path.replace(/\d+/g, "N")}`
        );
      };
      // The previous run's labels, remembered in lease.json moments ago, stand in for the resolve GET;
      // then one PUT for the hold (running) and one back to ready, each merged onto the last answer.
      assert.deepEqual(await during(["run", "--id", leaseId, "--", "true"]), [
        "PUT /servers/N",
        "PUT /servers/N",
      ]);
      const oneShot = await during(["run", "--class", "tiny", "--", "true"]);
      // Besides the IP polls (GET /servers/N, GET /actions, as many as the boot takes): one PUT for the
      // hold, and no `released` label on a server that is deleted anyway.
      const requests = oneShot.filter((r) =>
        !r.startsWith("GET /servers/N") && !r.startsWith("GET /actions")
      );
      assert.deepEqual(requests.slice(0, 4), [
        "GET /servers",
        "POST /ssh_keys",
        "POST /servers",
        "PUT /servers/N",
      ]);
      // The release sends both deletes at once: they arrive in either order.
      assert.deepEqual(requests.slice(4).sort(), ["DELETE /servers/N", "DELETE /ssh_keys/N"]);
    });

    await t.step("remote exit codes 0, 1, 42 and 255 pass through verbatim", async () => {
      for (const code of [0, 1, 42, 255]) {
        const result = await box.crabbox([
          "run",
          "--id",
          leaseId,
          "--no-sync",
          "--",
          "sh",
          "-c",
          `exit ${code}`,
        ]);
        assert.equal(result.code, code, result.stderr);
        assert.match(result.stderr, new RegExp(`^crabbox: command exited ${code} after`, "m"));
      }
    });

    await t.step("--timeout stops the command and exits 5", async () => {
      const result = await box.crabbox([
        "run",
        "--id",
        leaseId,
        "--no-sync",
        "--timeout",
        "1s",
        "--",
        "sleep",
        "30",
      ]);
      assert.equal(result.code, 5, result.stderr);
      assert.match(result.stderr, /^crabbox: error: command exceeded timeout 1\.0s$/m);
      const labels = [...harness.fake.servers.values()][0].labels;
      assert.equal(labels.state, "ready", "the box went back to ready after the timeout");
    });

    await t.step("list --json and status --json describe the lease", async () => {
      const list = await box.crabbox(["list", "--json"]);
      assert.equal(list.code, 0, list.stderr);
      const [lease] = JSON.parse(list.stdout);
      assert.equal(lease.id, leaseId);
      assert.equal(lease.slug, slug);
      assert.equal(lease.state, "ready");
      assert.equal(lease.serverType, "ccx13");
      assert.match(lease.ipv4, /^10\.77\.\d+\.2$/);
      assert.match(lease.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const status = await box.crabbox(["status", slug, "--json"]);
      assert.equal(status.code, 0, status.stderr);
      const view = JSON.parse(status.stdout);
      assert.equal(view.id, leaseId);
      assert.equal(view.ready, true);
      assert.equal(view.readyCheck, "ok");
      assert.equal(view.sshPort, 2222);
      const table = await box.crabbox(["list"]);
      assert.match(
        table.stdout,
        /^LEASE +SLUG +STATE +KEEP +TYPE +LOC +IPV4 +OWNER +EXPIRES +AGE +WHY +PRICE\/H +COST$/m,
      );
    });

    await t.step("stop deletes server and key; a second stop exits 0", async () => {
      const first = await box.crabbox(["stop", slug]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(
        first.stdout,
        new RegExp(`^released ${leaseId} server=\\d+ name=crabbox-${slug}-[0-9a-f]{8}$`, "m"),
      );
      assert.deepEqual(state(), { servers: 0, keys: 0 });
      const second = await box.crabbox(["stop", slug]);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stdout, `already gone ${leaseId}\n`);
      const byId = await box.crabbox(["stop", leaseId, "--json"]);
      assert.equal(byId.code, 0);
      assert.equal(JSON.parse(byId.stdout).result, "already_gone");
    });

    await t.step("Ctrl-C during the command exits 130 and leaves nothing", async () => {
      const running = box.spawn(["run", "--class", "tiny", "--", "sh", "-c", "echo started; sleep 60"]);
      await running.waitForStdout("started");
      running.child.kill("SIGINT");
      const result = await running.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /^crabbox: released cbx_/m);
      assert.deepEqual(state(), { servers: 0, keys: 0 });
    });

    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
