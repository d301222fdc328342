/**
 * Checkpoints on the harness (issue 13): a file written before `checkpoint create` is on the box that
 * `checkpoint fork` makes, whose host key is its own and pinned; prune and the sweep delete expired
 * checkpoints and nothing else; every call passes the official document.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { git, sandbox } from "./_cli.ts";

const DAY_MS = 86_400_000;

Deno.test("checkpoint create, fork, list, prune, sweep, delete", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const fake = harness.fake;
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${harness.endpoint}${path}`, {
      method,
      headers: { authorization: `Bearer ${harness.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const leaseDir = (lease: string) => `${box.home}/.config/crabbox/leases/${lease}`;
  let source = "", fork = "", checkpoint = "", owner = "";
  let forkServer = 0;
  try {
    await t.step("a box with a file in its workdir and a cache in its home", async () => {
      const warm = await box.crabbox(["warmup", "--class", "tiny", "--json"]);
      assert.equal(warm.code, 0, warm.stderr);
      const lease = JSON.parse(warm.stdout).leases[0];
      source = lease.id;
      const run = await box.crabbox([
        "run",
        "--id",
        source,
        "--",
        "sh",
        "-c",
        "echo from-source > marker.txt && mkdir -p $HOME/.cache/dep && echo cached > $HOME/.cache/dep/blob",
      ]);
      assert.equal(run.code, 0, run.stderr);
    });

    await t.step("checkpoint create snapshots it under the box lock, with its labels", async () => {
      const bad = await box.crabbox(["checkpoint", "create", source, "--ttl", "2y"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--ttl 2y: must be a duration between 1h and 90d/);
      const created = await box.crabbox(["checkpoint", "create", source, "--name", "deps", "--json"]);
      assert.equal(created.code, 0, created.stderr);
      const view = JSON.parse(created.stdout);
      checkpoint = view.id;
      assert.match(checkpoint, /^chk_[0-9a-f]{12}$/);
      assert.equal(view.status, "available");
      assert.equal(view.sourceLease, source);
      assert.equal(view.name, "deps");
      assert.ok(view.sizeGb > 0);
      const image = [...fake.images.images.values()][0];
      owner = image.labels.owner;
      assert.deepEqual(Object.keys(image.labels).sort(), [
        "checkpoint",
        "class",
        "crabbox",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "name",
        "owner",
        "repo",
        "server_type",
        "source_lease",
      ]);
      assert.equal(Number(image.labels.expires_at) - Number(image.labels.created_at), 7 * 86400);
      const taken = await box.crabbox(["checkpoint", "create", source, "--name", "deps"]);
      assert.equal(taken.code, 2);
      assert.match(taken.stderr, new RegExp(`--name deps: checkpoint ${checkpoint} already has that name`));
      assert.equal(fake.images.images.size, 1, "a refused create makes nothing");
    });

    await t.step(
      "Ctrl-C while Hetzner copies exits 130 and leaves no image, and the box lock free",
      async () => {
        fake.images.snapshotMs = 60_000;
        try {
          const running = box.spawn(["checkpoint", "create", source, "--name", "interrupted"]);
          await running.waitForStderr("Hetzner is copying the disk");
          running.child.kill("SIGINT");
          const result = await running.done;
          assert.equal(result.code, 130, result.stderr);
          assert.match(result.stderr, /deleted the unfinished snapshot image \d+/);
        } finally {
          fake.images.snapshotMs = 1500;
        }
        assert.equal(fake.images.images.size, 1, "only the finished checkpoint");
        const lock = await box.crabbox(["run", "--id", source, "--no-sync", "--", "true"]);
        assert.equal(lock.code, 0, lock.stderr);
      },
    );

    await t.step(
      "checkpoint fork boots a new lease with the workdir, the cache and its own host key",
      async () => {
        const forked = await box.crabbox(["checkpoint", "fork", "deps", "--class", "tiny", "--json"]);
        assert.equal(forked.code, 0, forked.stderr);
        const result = JSON.parse(forked.stdout);
        assert.equal(result.checkpoint, checkpoint);
        fork = result.leases[0].id;
        forkServer = result.leases[0].serverId;
        assert.notEqual(fork, source);
        assert.equal(fake.servers.get(forkServer)!.labels.checkpoint, checkpoint);
        const run = await box.crabbox([
          "run",
          "--id",
          fork,
          "--no-sync",
          "--",
          "sh",
          "-c",
          "cat marker.txt $HOME/.cache/dep/blob; ls /work/crabbox",
        ]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^from-source\ncached\n/);
        assert.doesNotMatch(run.stdout, new RegExp(source), "the source's lease dir is gone");
        assert.match(run.stdout, new RegExp(`^${fork}$`, "m"));

        const pinned = (lease: string) => Deno.readTextFile(`${leaseDir(lease)}/host_ed25519.pub`);
        const onBox = async (id: number) =>
          await Deno.readTextFile(
            `${
              (await harness.admin.state()).servers.find((s) => s.id === id)!.dir
            }/etc/ssh_host_ed25519_key.pub`,
          );
        const [sourceKey, forkKey] = [
          (await pinned(source)).split(" ")[1],
          (await pinned(fork)).split(" ")[1],
        ];
        assert.notEqual(forkKey, sourceKey, "the fork has its own host key");
        assert.equal((await onBox(forkServer)).split(" ")[1], forkKey, "the box presents the pinned key");
        assert.match(
          await Deno.readTextFile(`${leaseDir(fork)}/known_hosts`),
          new RegExp(forkKey.replace(/[+/]/g, "\\$&")),
        );
        const authorized = await harness.admin.exec(forkServer, [
          "cat",
          "/home/crabbox/.ssh/authorized_keys",
        ]);
        const sourcePub = (await Deno.readTextFile(`${leaseDir(source)}/id_ed25519.pub`)).split(" ")[1];
        assert.doesNotMatch(
          authorized.stdout,
          new RegExp(sourcePub.replace(/[+/]/g, "\\$&")),
          "the source's key is gone",
        );
      },
    );

    await t.step("a job with checkpoint: runs on a fresh fork, released after", async () => {
      const config = "jobs:\n  hydrated:\n    checkpoint: deps\n    class: tiny\n    noSync: true\n" +
        "    command: cat marker.txt\n";
      await Deno.writeTextFile(`${box.repo}/.crabbox.yaml`, config);
      await git(box.repo, "add", ".crabbox.yaml");
      await git(box.repo, "commit", "-qm", "a job on the checkpoint");
      const plan = await box.crabbox(["job", "run", "hydrated", "--dry-run"]);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, /^crabbox warmup .* --from-checkpoint deps$/m);
      const before = fake.servers.size;
      const job = await box.crabbox(["job", "run", "hydrated"]);
      assert.equal(job.code, 0, job.stderr);
      assert.match(job.stdout, /^from-source$/m);
      assert.equal(fake.servers.size, before, "the job's fork is released");
    });

    await t.step("list shows the checkpoint, its size and a fresh last_used_at", async () => {
      const list = await box.crabbox(["checkpoint", "list", "--json"]);
      assert.equal(list.code, 0, list.stderr);
      const report = JSON.parse(list.stdout);
      assert.equal(report.count, 1);
      assert.ok(report.sizeGb > 0);
      assert.ok(report.checkpoints[0].lastUsedAt >= report.checkpoints[0].createdAt);
      const boxes = await box.crabbox(["list"]);
      assert.match(boxes.stderr, /^crabbox: 1 checkpoint, [\d.]+ GB \(crabbox checkpoint list\)$/m);
    });

    await t.step("prune and the sweep delete expired checkpoints and nothing else", async () => {
      const { now } = await harness.admin.clock({ advanceMs: 8 * DAY_MS });
      const nowSecs = Math.floor(now / 1000);
      const labels = (id: string, extra: Record<string, string>) => ({
        crabbox: "true",
        created_by: "crabbox",
        checkpoint: id,
        repo: "webapp",
        source_lease: fork,
        created_at: String(nowSecs),
        last_used_at: String(nowSecs),
        ...extra,
      });
      // Planted through the API like any client would; Hetzner takes a moment to make each one.
      const plant = async (labels: Record<string, string>) => {
        const { image } = await api("POST", `/servers/${forkServer}/actions/create_image`, {
          type: "snapshot",
          labels,
        });
        for (let poll = 0; (await api("GET", `/images/${image.id}`)).image.status !== "available"; poll++) {
          assert.ok(poll < 100, `image ${image.id} never became available`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return image.id as number;
      };
      const foreign = await plant({});
      const fresh = await plant(
        labels("chk_aaaaaaaaaaaa", { owner, expires_at: String(nowSecs + 7 * 86400) }),
      );
      const expired = await plant(
        labels("chk_bbbbbbbbbbbb", { owner: "bob", expires_at: String(nowSecs - 60) }),
      );
      const mine = [...fake.images.images.values()].find((i) => i.labels.checkpoint === checkpoint)!.id;

      const dry = await box.crabbox(["checkpoint", "prune", "--unused-for", "30d", "--dry-run", "--json"]);
      assert.equal(dry.code, 0, dry.stderr);
      const verdicts = Object.fromEntries(
        JSON.parse(dry.stdout).checkpoints.map((c: { imageId: number; reason: string; result: string }) => [
          c.imageId,
          `${c.result}:${c.reason}`,
        ]),
      );
      assert.deepEqual(verdicts, {
        [mine]: "would_delete:expired",
        [fresh]: "skipped:in_use",
        [expired]: "skipped:other_owner",
      });
      assert.equal(fake.images.images.size, 4, "a dry run deletes nothing");
      const prune = await box.crabbox(["checkpoint", "prune", "--unused-for", "30d"]);
      assert.equal(prune.code, 0, prune.stderr);
      assert.match(prune.stdout, new RegExp(`^deleted ${checkpoint} name=deps reason=expired `, "m"));
      assert.deepEqual([...fake.images.images.keys()].sort(), [foreign, fresh, expired].sort());

      for (const lease of [source, fork]) assert.equal((await box.crabbox(["stop", lease])).code, 0);
      const sweep = await box.crabbox(["sweep", "--json"]);
      assert.equal(sweep.code, 0, sweep.stderr);
      const swept = JSON.parse(sweep.stdout).checkpoints;
      assert.deepEqual(
        swept.map((c: { imageId: number; result: string }) => [c.imageId, c.result]).sort(),
        [
          [fresh, "skipped"],
          [expired, "deleted"],
        ].sort(),
      );
      assert.deepEqual([...fake.images.images.keys()].sort(), [foreign, fresh].sort());

      const unknown = await box.crabbox(["checkpoint", "delete", "chk_000000000000"]);
      assert.equal(unknown.code, 4);
      assert.match(unknown.stderr, /checkpoint not found: chk_000000000000/);
      const deleted = await box.crabbox(["checkpoint", "delete", "chk_aaaaaaaaaaaa"]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(deleted.stdout, `deleted chk_aaaaaaaaaaaa image=${fresh}\n`);
      await api("DELETE", `/images/${foreign}`);
    });
    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
