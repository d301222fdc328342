/**
 * End to end on a real box: warmup --no-wait then status --wait; a dry-run plan's `crabbox run` and
 * `crabbox stop` lines run exactly as printed (JUnit, artifacts, a download); --result-json with a missing
 * --require-artifact (exit 7); run --sync-only under policy.jobsOnly; a failed run's bundle under
 * --keep-on-failure, whose stop line cleans up.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { git, sandbox } from "./_cli.ts";

const CONFIG = `jobs:
  report:
    command: >-
      mkdir -p out &&
      printf '<testsuite tests="3" failures="1" errors="0" skipped="0"/>' > out/junit.xml &&
      printf '{"covered":1}' > out/coverage.json &&
      printf '<h1>report</h1>' > out/report.html
    workdir: src
    junit: [out/*.xml]
    artifacts: [out/coverage.json]
    requiredArtifacts: [out/report.html]
    downloads: [out/report.html=reports/report.html]
`;

/** The words bash sees in a printed line, the placeholder replaced by the lease. */
async function printedArgv(line: string, lease: string): Promise<string[]> {
  const out = await new Deno.Command("bash", {
    args: ["-c", `eval "set -- $1"; printf '%s\\0' "$@"`, "words", line],
    stdout: "piped",
  }).output();
  assert.ok(out.success, line);
  const words = new TextDecoder().decode(out.stdout).split("\0").slice(0, -1);
  assert.equal(words[0], "crabbox", line);
  return words.slice(1).map((w) => (w === "<lease>" ? lease : w));
}

Deno.test("warmup --no-wait, a plan's printed run line, --result-json, --sync-only on a real box", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const fake = harness.fake;
  const labels = () => [...fake.servers.values()][0].labels;
  try {
    await Deno.writeTextFile(`${box.repo}/.crabbox.yaml`, CONFIG);
    await git(box.repo, "add", ".crabbox.yaml");
    await git(box.repo, "commit", "-qm", "jobs");

    let lease = "";
    await t.step("warmup --no-wait leaves the box provisioning; status --wait makes it ready", async () => {
      const warm = await box.crabbox(["warmup", "--class", "tiny", "--no-wait"]);
      assert.equal(warm.code, 0, warm.stderr);
      const leased = warm.stdout.match(
        /^leased (cbx_[0-9a-f]{12}) slug=\S+ server=\d+ type=ccx13 .*ip=10\.77\./m,
      );
      assert.ok(leased, warm.stdout);
      lease = leased[1];
      assert.doesNotMatch(warm.stdout, /^ready /m, "no ready line without waiting");
      assert.doesNotMatch(warm.stderr, /^crabbox: ready ssh=/m, "ssh was not waited for");
      assert.match(
        warm.stderr,
        new RegExp(
          `^crabbox: not waiting for ssh: ${lease} is provisioning; crabbox status ${lease} --wait`,
          "m",
        ),
      );
      assert.equal(labels().state, "provisioning");
      const status = await box.crabbox(["status", lease, "--wait", "--json"]);
      assert.equal(status.code, 0, status.stderr);
      const view = JSON.parse(status.stdout);
      assert.deepEqual([view.state, view.ready, view.readyCheck], ["ready", true, "ok"]);
      assert.equal(labels().state, "ready");
    });

    let plan = "";
    await t.step(
      "the dry-run plan's run line runs as printed: JUnit, artifacts and the download",
      async () => {
        const dry = await box.crabbox(["job", "run", "report", "--dry-run"], { env: { HCLOUD_TOKEN: "" } });
        assert.equal(dry.code, 0, dry.stderr);
        plan = dry.stdout;
        const line = plan.split("\n").find((l) => l.startsWith("crabbox run "))!;
        assert.match(
          line,
          /--junit 'out\/\*\.xml' --artifact out\/coverage\.json --require-artifact out\/report\.html --download out\/report\.html=reports\/report\.html/,
        );
        const result = await box.crabbox(await printedArgv(line, lease));
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /^crabbox: test results files=1 tests=3 failures=1 errors=0 skipped=0$/m);
        assert.match(
          result.stderr,
          /^crabbox: downloaded out\/report\.html -> reports\/report\.html \(15 bytes\)$/m,
        );
        const results = `${box.repo}/.crabbox-results/run`;
        assert.match(await Deno.readTextFile(`${results}/junit/out/junit.xml`), /tests="3"/);
        assert.equal(await Deno.readTextFile(`${results}/artifacts/out/coverage.json`), '{"covered":1}');
        assert.equal(await Deno.readTextFile(`${box.repo}/reports/report.html`), "<h1>report</h1>");
        assert.equal(labels().state, "ready", "an --id box goes back to ready");
      },
    );

    await t.step(
      "--result-json writes the job-result document; a missing --require-artifact exits 7",
      async () => {
        const result = await box.crabbox([
          "run",
          "--id",
          lease,
          "--no-sync",
          "--require-artifact",
          "nothing/*.bin",
          "--result-json",
          "out/result.json",
          "--",
          "true",
        ]);
        assert.equal(result.code, 7, result.stderr);
        assert.match(result.stderr, /^crabbox: error: required artifact missing: nothing\/\*\.bin$/m);
        assert.match(
          result.stderr,
          /^crabbox: hint: the command must produce them under its workdir; see out\/result\.json$/m,
        );
        const doc = JSON.parse(await Deno.readTextFile(`${box.repo}/out/result.json`));
        assert.equal((await Deno.stat(`${box.repo}/out/result.json`)).mode! & 0o777, 0o600);
        assert.deepEqual(
          [doc.schema, doc.job, doc.status, doc.exitCode, doc.exitSource, doc.lease.id, doc.lease.fresh],
          ["crabbox.job-result/v1", null, "error", 7, "crabbox", lease, false],
        );
        assert.deepEqual(doc.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`), [
          "acquire:ok",
          "bootstrap:skipped",
          "lock:ok",
          "sync:skipped",
          "command:ok",
          "collect:ok",
          "release:ok",
        ]);
        assert.equal(doc.error.kind, "remote");
        const named = result.stderr.match(/^crabbox: failure bundle: (\S+)$/m);
        assert.ok(named, result.stderr);
        const bundle = JSON.parse(await Deno.readTextFile(named[1]));
        assert.deepEqual([bundle.phase, bundle.exitCode, bundle.lease.id], ["collect", 7, lease]);
        assert.deepEqual(
          bundle.continue,
          [`crabbox ssh ${lease}`, `crabbox stop ${lease}`],
          "an --id box stays",
        );
      },
    );

    await t.step("run --sync-only under policy.jobsOnly syncs, runs nothing, exits 0", async () => {
      await Deno.writeTextFile(`${box.repo}/.crabbox.yaml`, `policy:\n  jobsOnly: true\n${CONFIG}`);
      await Deno.writeTextFile(`${box.repo}/src/new.txt`, "fresh\n");
      const refused = await box.crabbox(["run", "--id", lease, "--", "true"]);
      assert.equal(refused.code, 2, "a command is still refused under jobsOnly");
      const result = await box.crabbox(["run", "--id", lease, "--sync-only", "--result-json", "sync.json"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^crabbox: sync only: no command run$/m);
      assert.doesNotMatch(result.stderr, /^crabbox: running /m);
      const doc = JSON.parse(await Deno.readTextFile(`${box.repo}/sync.json`));
      assert.deepEqual([doc.status, doc.exitCode, doc.exitSource], ["passed", 0, "crabbox"]);
      assert.equal(doc.phases.find((p: { name: string }) => p.name === "command").status, "skipped");
      assert.equal(doc.sync.skipped, false);
      assert.ok(doc.sync.files > 0);
      // The synced tree has the new file: the next command sees it.
      await Deno.writeTextFile(`${box.repo}/.crabbox.yaml`, CONFIG);
      const cat = await box.crabbox(["run", "--id", lease, "--no-sync", "--", "cat", "src/new.txt"]);
      assert.equal(cat.stdout, "fresh\n", cat.stderr);
      assert.equal(labels().state, "ready");
    });

    await t.step("the plan's stop line runs as printed and leaves nothing", async () => {
      // Exactly as printed, trailing comment and all: the shell drops the comment.
      const line = plan.split("\n").find((l) => l.startsWith("crabbox stop "))!;
      const result = await box.crabbox(await printedArgv(line, lease));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^released ${lease} `, "m"));
      assert.deepEqual([fake.servers.size, fake.keys.size], [0, 0]);
    });

    await t.step(
      "--keep-on-failure: the failure bundle names the command phase and its stop line works",
      async () => {
        const failed = await box.crabbox([
          "run",
          "--class",
          "tiny",
          "--keep-on-failure",
          "--",
          "sh",
          "-c",
          "echo boom; exit 3",
        ]);
        assert.equal(failed.code, 3, failed.stderr);
        assert.equal(failed.stdout, "boom\n");
        const named = failed.stderr.match(/^crabbox: failure bundle: (\S+)$/m);
        assert.ok(named, failed.stderr);
        assert.match(
          named[1],
          new RegExp(`^${box.repo}/\\.crabbox-results/failure-run_[0-9a-f]{12}\\.json$`),
        );
        const bundle = JSON.parse(await Deno.readTextFile(named[1]));
        assert.deepEqual(
          [bundle.phase, bundle.exitCode, bundle.exitSource, bundle.lease.fresh, bundle.lease.boxRemains],
          ["command", 3, "remote", true, true],
        );
        assert.deepEqual(bundle.output.lastLines, ["boom"]);
        assert.equal(fake.servers.size, 1, "the box is kept");
        assert.equal(labels().state, "ready");
        const stopLine = bundle.continue.find((l: string) => l.startsWith("crabbox stop "));
        assert.equal(stopLine, `crabbox stop ${bundle.lease.id}`);
        const stopped = await box.crabbox(await printedArgv(stopLine, bundle.lease.id));
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.deepEqual([fake.servers.size, fake.keys.size], [0, 0]);
      },
    );

    assert.deepEqual(harness.violations(), []);
  } finally {
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
