/**
 * The sweep against the harness: decisions by labels and Hetzner time, request counts over 1,000
 * servers, the automatic sweep, and crash safety after SIGKILL.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { ownedLabels as owned, sandbox } from "./_cli.ts";

const hex = (i: number) => i.toString(16).padStart(12, "0");

Deno.test("sweep: decisions, 1,000 servers, automatic sweep, SIGKILL leftovers", async (t) => {
  const harness = await startHarness();
  const fake = harness.fake;
  const box = await sandbox(harness);
  const nowSecs = () => Math.floor(fake.now() / 1000);
  // Paper servers have no sshd: a step starts from an empty project whatever the last one left.
  const clear = () =>
    [...fake.servers.values()].filter((s) => s.paper).forEach((s) => fake.servers.delete(s.id));
  try {
    await t.step(
      "dry-run reports every decision with its reason; the real run deletes only those",
      async () => {
        clear();
        const past = String(nowSecs() - 600),
          future = String(nowSecs() + 600),
          old = String(nowSecs() - 7200);
        const rows: [string, Record<string, string>, string][] = [
          ["cbx_" + hex(1), { expires_at: past }, "expired"],
          ["cbx_" + hex(2), { expires_at: future }, "not_expired"],
          ["cbx_" + hex(3), { state: "released", expires_at: future }, "terminal_state"],
          ["cbx_" + hex(4), { state: "running", expires_at: past }, "in_grace"],
          ["cbx_" + hex(5), { state: "running", expires_at: old }, "expired_past_grace"],
          ["cbx_" + hex(6), { keep: "true", expires_at: past }, "keep_within_ttl"],
          ["cbx_" + hex(7), {}, "missing_expires_at"],
        ];
        for (const [lease, extra] of rows) fake.addPaperServers(1, () => owned(lease, extra));
        fake.addPaperServers(1, () => ({ crabbox: "true", slug: "handmade" }));
        const dry = await box.crabbox(["sweep", "--dry-run", "--json"]);
        assert.equal(dry.code, 0, dry.stderr);
        const report = JSON.parse(dry.stdout);
        for (const [lease, , reason] of rows) {
          assert.equal(
            report.servers.find((s: { lease: string }) => s.lease === lease).reason,
            reason,
            lease,
          );
        }
        assert.equal(
          report.servers.find((s: { lease: string | null }) => s.lease === null).reason,
          "not_canonical",
        );
        assert.equal(fake.servers.size, 8, "a dry run deletes nothing");
        const real = await box.crabbox(["sweep"]);
        assert.equal(real.code, 0, real.stderr);
        assert.match(
          real.stdout,
          /^deleted server \d+ paper-\d+ lease=cbx_000000000001 state=ready reason=expired \(10m\d*s? ago\)$/m,
        );
        assert.match(
          real.stdout,
          /^sweep: servers deleted=3 skipped=5 failed=0; ssh keys deleted=0; local lease dirs pruned=0$/m,
        );
        const left = [...fake.servers.values()].map((s) => s.labels.lease ?? "foreign").sort();
        assert.deepEqual(left, [
          "cbx_" + hex(2),
          "cbx_" + hex(4),
          "cbx_" + hex(6),
          "cbx_" + hex(7),
          "foreign",
        ]);
      },
    );

    await t.step("Hetzner's clock decides, not the local one (server clock 2h ahead)", async () => {
      clear();
      fake.addPaperServers(1, () => owned("cbx_" + hex(8), { expires_at: String(nowSecs() + 3600) }));
      const before = await box.crabbox(["sweep", "--json"]);
      assert.equal(JSON.parse(before.stdout).summary.deleted, 0);
      fake.skewMs = 2 * 3600_000;
      const after = await box.crabbox(["sweep", "--json"]);
      fake.skewMs = 0;
      assert.equal(JSON.parse(after.stdout).summary.deleted, 1);
      assert.equal(fake.servers.size, 0);
    });

    await t.step("1,000 servers: 20 list pages, one re-list of the expired, one delete each", async () => {
      clear();
      const expired = String(nowSecs() - 60), alive = String(nowSecs() + 3600);
      fake.addPaperServers(
        1000,
        (i) => owned("cbx_" + hex(1000 + i), { expires_at: i % 100 === 0 ? expired : alive }),
      );
      const start = fake.log.length;
      const result = await box.crabbox(["sweep", "--json", "--no-keys", "--no-local"]);
      assert.equal(result.code, 0, result.stderr);
      const log = fake.log.slice(start);
      const lists = log.filter((r) => r.method === "GET" && r.path === "/servers").length;
      const deletes = log.filter((r) => r.method === "DELETE" && r.path.startsWith("/servers/")).length;
      console.log(
        `sweep over 1,000 servers: ${lists} list requests, ${deletes} deletes, ${log.length} requests in all`,
      );
      // 20 pages, then the 10 expired re-listed by lease in one request (not one GET each).
      assert.equal(lists, Math.ceil(1000 / 50) + 1);
      assert.equal(log.filter((r) => r.method === "GET" && r.path.startsWith("/servers/")).length, 0);
      assert.equal(log.filter((r) => r.path === "/ssh_keys").length, 1, "their keys in one listing");
      assert.equal(deletes, 10);
      assert.equal(JSON.parse(result.stdout).summary.deleted, 10);
    });

    await t.step(
      "the automatic sweep runs beside a command, prints one line, at most every 5 minutes",
      async () => {
        clear();
        fake.addPaperServers(1, () => owned("cbx_" + hex(9), { expires_at: String(nowSecs() - 60) }));
        const env = { CRABBOX_NO_SWEEP: "" };
        const first = await box.crabbox(["list"], { env });
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stderr, /^crabbox: sweep deleted 1 expired server \(paper-\d+\)$/m);
        fake.addPaperServers(1, () => owned("cbx_" + hex(10), { expires_at: String(nowSecs() - 60) }));
        const second = await box.crabbox(["list", "--json"], { env });
        assert.doesNotMatch(second.stderr, /sweep deleted/);
        assert.equal(fake.servers.size, 1);
        const off = await box.crabbox(["list", "--no-sweep"], { env: { CRABBOX_NO_SWEEP: "" } });
        assert.doesNotMatch(off.stderr, /sweep deleted/);
      },
    );

    await t.step(
      "SIGKILL while waiting for SSH: the labels let a later sweep remove server and key",
      async () => {
        clear();
        fake.knobs.sshNeverReady = true;
        const running = box.spawn(["warmup", "--class", "tiny"]);
        await running.waitForStderr("crabbox: created server");
        running.child.kill("SIGKILL");
        await running.done;
        fake.knobs.sshNeverReady = false;
        assert.equal(fake.servers.size, 1);
        assert.equal(fake.keys.size, 1);
        const [server] = fake.servers.values();
        assert.equal(server.labels.state, "provisioning");
        const early = await box.crabbox(["sweep", "--json"]);
        assert.equal(JSON.parse(early.stdout).summary.deleted, 0, "still inside its create deadline");
        fake.skewMs = (30 + 61) * 60_000; // past the 30-minute create deadline and the 1h grace
        const late = await box.crabbox(["sweep"]);
        fake.skewMs = 0;
        assert.equal(late.code, 0, late.stderr);
        assert.match(late.stdout, /reason=expired_past_grace/);
        assert.equal(fake.servers.size, 0);
        assert.equal(fake.keys.size, 0);
        assert.match(late.stdout, /local lease dirs pruned=1$/m);
      },
    );

    await t.step("SIGKILL during create and during the command: a later sweep leaves nothing", async () => {
      clear();
      const during = box.spawn(["run", "--class", "tiny", "--", "sh", "-c", "echo started; sleep 60"]);
      await during.waitForStdout("started");
      during.child.kill("SIGKILL");
      await during.done;
      const early = box.spawn(["run", "--class", "tiny", "--", "true"]);
      await early.waitForStderr("crabbox: lease cbx_");
      early.child.kill("SIGKILL");
      await early.done;
      // Killed during the sync and during the release as well.
      await Deno.writeTextFile(`${box.repo}/big.bin`, "x".repeat(8 * 1024 * 1024));
      const syncing = box.spawn(["run", "--class", "tiny", "--", "true"]);
      await syncing.waitForStderr("crabbox: sync ");
      syncing.child.kill("SIGKILL");
      await syncing.done;
      await Deno.remove(`${box.repo}/big.bin`);
      const releasing = box.spawn(["run", "--class", "tiny", "--no-sync", "--", "true"]);
      await releasing.waitForStderr("crabbox: command exited 0");
      releasing.child.kill("SIGKILL");
      await releasing.done;
      assert.ok(fake.servers.size >= 1, "the killed runs left boxes");
      const running = [...fake.servers.values()].find((s) => s.labels.state === "running");
      assert.ok(running, "the box killed mid-command is labelled running");
      fake.skewMs = 2 * 3600_000; // past idle expiry, the 1h grace and the 1h key age
      const late = await box.crabbox(["sweep", "--json"]);
      fake.skewMs = 0;
      assert.equal(late.code, 0, late.stderr);
      assert.equal(fake.servers.size, 0);
      assert.equal(fake.keys.size, 0);
    });

    assert.deepEqual(harness.violations(), []);
  } finally {
    clear();
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
