/**
 * `provider: ssh` against a static host: a harness sshd namespace started without the fake API. The
 * same run, lock and job paths as on Hetzner; stop frees the lease and leaves the host and its files.
 */
import assert from "node:assert/strict";
import type { Harness } from "../harness/harness.ts";
import { startStaticHost, type StaticHost } from "../harness/static_host.ts";
import { git, type Sandbox, sandbox } from "./_cli.ts";

/** No API: the endpoint is a closed port and there is no token. */
const NO_API = { endpoint: "http://127.0.0.1:9", token: "" } as unknown as Harness;
const WORK_ROOT = "/work/static";

async function staticSandbox(host: StaticHost, options: { knownHost: boolean }): Promise<Sandbox> {
  const box = await sandbox(NO_API);
  await Deno.mkdir(`${box.home}/.config/crabbox`, { recursive: true });
  await Deno.writeTextFile(
    `${box.home}/.config/crabbox/config.yaml`,
    `provider: ssh
static:
  host: ${host.ip}
  user: ${host.user}
  port: "${host.port}"
  workRoot: ${WORK_ROOT}
ssh:
  key: ${host.keyFile}
sweep:
  minInterval: 0s
`,
  );
  if (options.knownHost) {
    await Deno.mkdir(`${box.home}/.ssh`, { mode: 0o700 });
    await Deno.writeTextFile(`${box.home}/.ssh/known_hosts`, `${host.ip} ${host.hostKey}\n`);
  }
  return box;
}

/** Pids whose argv[0] is name, across every pid namespace below ours. */
async function processesNamed(name: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const argv0 = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).then(
      (t) => t.split("\0")[0],
      () => "",
    );
    if (argv0 === name) pids.push(Number(entry.name));
  }
  return pids;
}

/** Polls a condition (bounded), for a start that has no event to wait on. */
async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const leaseIdOf = (stdout: string) => stdout.match(/^leased (cbx_[0-9a-f]{12})/m)![1];

Deno.test("provider ssh: run, run --id under the lock, a job, status, list and stop on a static host", async (t) => {
  const host = await startStaticHost();
  const box = await staticSandbox(host, { knownHost: true });
  const hostRoot = `${host.workDir}/static`;
  const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);
  try {
    // The host's own files, inside and next to crabbox's work root: never touched.
    await Deno.mkdir(hostRoot, { recursive: true });
    await Deno.writeTextFile(`${host.workDir}/mine.txt`, "the owner's\n");
    await Deno.writeTextFile(`${hostRoot}/notes.txt`, "also the owner's\n");

    await t.step(
      "an unknown host key is refused (exit 2, naming --accept-host-key); the flag pins it",
      async () => {
        const stranger = await staticSandbox(host, { knownHost: false });
        try {
          const refused = await stranger.crabbox(["list"]);
          assert.equal(refused.code, 2, refused.stderr);
          assert.match(refused.stderr, /host key of root@10\.77\.\d+\.2:22 is unknown/);
          assert.match(refused.stderr, /--accept-host-key/);
          assert.equal(await exists(`${hostRoot}/.crabbox`), false, "nothing was written on the host");
          const pinned = await stranger.crabbox(["--accept-host-key", "list"]);
          assert.equal(pinned.code, 0, pinned.stderr);
          assert.match(pinned.stderr, /pinned the host key of root@\S+ \(SHA256:\S+\) from ssh-keyscan/);
          const again = await stranger.crabbox(["list"]);
          assert.equal(again.code, 0, again.stderr);
          assert.doesNotMatch(again.stderr, /pinned/);
        } finally {
          await stranger.cleanup();
        }
      },
    );

    await t.step("run -- git status shows the synced tree; the one-shot lease is freed", async () => {
      const result = await box.crabbox(["run", "--", "git", "status", "--short"]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, " M README.md\n");
      assert.match(result.stderr, /^crabbox: released cbx_[0-9a-f]{12} /m);
      assert.equal(await exists(`${hostRoot}/.crabbox/lease.json`), false);
      const leftovers = [...Deno.readDirSync(hostRoot)].map((e) => e.name).sort();
      assert.deepEqual(leftovers, [".crabbox", "notes.txt"], "the lease workdir is gone");
    });

    await t.step(
      "Ctrl-C mid-command: exit 130, the remote process is killed, and the one-shot lease is freed",
      async () => {
        // The host's processes are visible from here (its pid namespace is a child of ours).
        const marker = `cbx-marker-${crypto.randomUUID().slice(0, 8)}`;
        const running = box.spawn(["run", "--", "bash", "-c", `echo started; exec -a ${marker} sleep 60`]);
        await running.waitForStdout("started");
        await waitFor(async () => (await processesNamed(marker)).length > 0, "the marker process to start");
        running.child.kill("SIGINT");
        const done = await running.done;
        assert.equal(done.code, 130, done.stderr);
        assert.deepEqual(await processesNamed(marker), [], "the remote command is gone when crabbox exits");
        assert.equal(
          await exists(`${hostRoot}/.crabbox/lease.json`),
          false,
          "nothing the sweep would have to free",
        );
      },
    );

    const warm = await box.crabbox(["warmup"]);
    assert.equal(warm.code, 0, warm.stderr);
    const lease = leaseIdOf(warm.stdout);

    await t.step(
      "the lease record says provider=ssh; messages name the static host, not a server",
      async () => {
        const record = JSON.parse(await Deno.readTextFile(`${hostRoot}/.crabbox/lease.json`));
        assert.equal(record.labels.provider, "ssh");
        assert.match(warm.stderr, /^crabbox: claimed static host root@\S+:22 for crabbox-\S+; stop with/m);
        assert.doesNotMatch(warm.stderr, /created server|Hetzner|price unknown/);
      },
    );

    await t.step(
      "warmup's and status's lines have no location (a host has none), and the host as ip",
      async () => {
        const ip = host.ip.replaceAll(".", "\\.");
        assert.match(
          warm.stdout,
          new RegExp(
            `^leased ${lease} slug=\\S+ server=\\d+ type=static ip=${ip} keep=false idle_timeout=`,
            "m",
          ),
        );
        const status = await box.crabbox(["status", lease]);
        assert.equal(status.code, 0, status.stderr);
        assert.match(
          status.stdout,
          new RegExp(
            `^${lease} slug=\\S+ state=ready keep=false type=static ssh=${host.user}@${ip}:${host.port} `,
            "m",
          ),
        );
        assert.doesNotMatch(warm.stdout + status.stdout, /location=/);
      },
    );

    await t.step("status and list show the lease on the host", async () => {
      const status = await box.crabbox(["--json", "status", lease]);
      assert.equal(status.code, 0, status.stderr);
      const view = JSON.parse(status.stdout);
      assert.equal(view.id, lease);
      assert.equal(view.ready, true, status.stdout);
      const list = await box.crabbox(["--json", "list"]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(JSON.parse(list.stdout).map((l: { id: string }) => l.id), [lease]);
    });

    await t.step(
      "doctor checks the host over ssh, without a token: key, tools, work root, its lease",
      async () => {
        const doctor = await box.crabbox(["doctor"]);
        assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
        assert.match(doctor.stdout, /^ok\s+static-config provider ssh: 1 host \(root@\S+:22\)/m);
        assert.match(
          doctor.stdout,
          /^ok\s+static-host\s+root@\S+:22: reachable over ssh, host key pinned \(SHA256:/m,
        );
        assert.match(doctor.stdout, /^ok\s+static-tools\s+root@\S+:22: bash, flock, rsync, git$/m);
        assert.match(
          doctor.stdout,
          new RegExp(`^ok\\s+static-root\\s+root@\\S+:22: ${WORK_ROOT} writable by root$`, "m"),
        );
        assert.match(
          doctor.stdout,
          new RegExp(
            `^ok\\s+static-lease\\s+root@\\S+:22: leased by ${lease} \\(slug \\S+, owner \\S+, state ready\\)`,
            "m",
          ),
        );
        assert.doesNotMatch(doctor.stdout, /HCLOUD_TOKEN/);
        const stranger = await staticSandbox(host, { knownHost: false });
        try {
          const unknown = await stranger.crabbox(["doctor"]);
          assert.equal(unknown.code, 1, unknown.stdout);
          assert.match(
            unknown.stdout,
            /^fail\s+static-host\s+root@\S+:22: host key unknown .*--accept-host-key/m,
          );
          assert.match(unknown.stdout, /^skip\s+static-lease\s+needs root@\S+'s host key$/m);
          assert.equal(
            await exists(`${stranger.home}/.config/crabbox/static/known_hosts`),
            false,
            "doctor pins nothing",
          );
        } finally {
          await stranger.cleanup();
        }
      },
    );

    await t.step("a second fresh lease on a leased host is refused, naming the holder", async () => {
      const second = await box.crabbox(["warmup"]);
      assert.equal(second.code, 8, second.stderr);
      assert.match(second.stderr, new RegExp(`every static host is leased \\(root@\\S+ by ${lease}\\)`));
    });

    await t.step("two concurrent run --id never interleave (the box lock)", async () => {
      const clones: string[] = [];
      for (let i = 0; i < 2; i++) {
        const dir = `${box.home}/clone${i}/webapp`;
        await Deno.mkdir(`${box.home}/clone${i}`);
        await git(box.home, "clone", "-q", box.repo, dir);
        await Deno.writeTextFile(`${dir}/marker.txt`, `run-${i}${"!".repeat(i)}\n`);
        clones.push(dir);
      }
      const results = await Promise.all(
        clones.map((dir) =>
          box.crabbox(["run", "--id", lease, "--", "sh", "-c", "cat marker.txt; sleep 0.5; cat marker.txt"], {
            cwd: dir,
          })
        ),
      );
      results.forEach((result, i) => {
        assert.equal(result.code, 0, result.stderr);
        const marker = `run-${i}${"!".repeat(i)}`;
        assert.equal(result.stdout, `${marker}\n${marker}\n`, `run ${i} saw another run's tree`);
      });
      assert.ok(
        results.some((r) => /waiting for box lock on cbx_\S+ held by run_[0-9a-f]{12}/.test(r.stderr)),
        "the later run waited for the lock",
      );
    });

    await t.step("a job brings back JUnit and artifacts", async () => {
      await Deno.writeTextFile(
        `${box.repo}/.crabbox.yaml`,
        `jobs:
  test:
    command: >-
      mkdir -p out &&
      printf '<testsuites tests="2" failures="0" errors="0" skipped="0"><testsuite tests="2"/></testsuites>' > out/junit.xml &&
      printf '{"proof":true}' > out/proof.json
    junit: [out/junit.xml]
    artifacts: [out/proof.json]
`,
      );
      const result = await box.crabbox(["job", "run", "test", "--id", lease]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^crabbox: test results files=1 tests=2 failures=0 errors=0 skipped=0$/m);
      const results = `${box.repo}/.crabbox-results`;
      assert.match(await Deno.readTextFile(`${results}/test/junit/out/junit.xml`), /<testsuites tests="2"/);
      assert.equal(await Deno.readTextFile(`${results}/test/artifacts/out/proof.json`), '{"proof":true}');
      assert.equal(JSON.parse(await Deno.readTextFile(`${results}/crabbox-test.json`)).status, "passed");
    });

    await t.step("stop frees the lease and its workdir; the host keeps running with its files", async () => {
      assert.equal(await exists(`${hostRoot}/${lease}`), true);
      const stop = await box.crabbox(["stop", lease]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(await exists(`${hostRoot}/${lease}`), false);
      assert.equal(await exists(`${hostRoot}/.crabbox/lease.json`), false);
      assert.equal(await host.reachable(), true, "the host itself is never stopped");
      assert.equal(await Deno.readTextFile(`${host.workDir}/mine.txt`), "the owner's\n");
      assert.equal(await Deno.readTextFile(`${hostRoot}/notes.txt`), "also the owner's\n");
      const list = await box.crabbox(["--json", "list"]);
      assert.deepEqual(JSON.parse(list.stdout), []);
      const gone = await box.crabbox(["status", lease]);
      assert.equal(gone.code, 4, gone.stderr);
    });

    await t.step(
      "an expired lease is freed by the next invocation's sweep, which deletes only crabbox's files",
      async () => {
        const warmup = await box.crabbox(["warmup"]);
        assert.equal(warmup.code, 0, warmup.stderr);
        const expired = leaseIdOf(warmup.stdout);
        await Deno.mkdir(`${hostRoot}/${expired}/webapp`, { recursive: true });
        // Time passes on the host's record: created and idle-expired long ago.
        const recordPath = `${hostRoot}/.crabbox/lease.json`;
        const record = JSON.parse(await Deno.readTextFile(recordPath));
        record.createdMs = 0;
        record.labels = { ...record.labels, expires_at: "1000000000", state: "ready" };
        await Deno.writeTextFile(recordPath, JSON.stringify(record));
        const list = await box.crabbox(["list"], { env: { CRABBOX_NO_SWEEP: "" } });
        assert.equal(list.code, 0, list.stderr);
        assert.match(list.stderr, /^crabbox: sweep freed 1 expired lease \(crabbox-\S+\)$/m);
        assert.equal(await exists(recordPath), false, "the lease record is freed");
        assert.equal(await exists(`${hostRoot}/${expired}`), false, "its workdir is gone");
        assert.equal(await Deno.readTextFile(`${hostRoot}/notes.txt`), "also the owner's\n");
        assert.equal(await Deno.readTextFile(`${host.workDir}/mine.txt`), "the owner's\n");
        assert.equal(await host.reachable(), true);
      },
    );
  } finally {
    await box.cleanup();
    await host.stop();
  }
});
