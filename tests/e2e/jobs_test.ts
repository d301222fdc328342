/** Named jobs: offline dry-run with contract checks, results and artifacts, stop policies, jobsOnly. */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { git, sandbox } from "./_cli.ts";

const CONFIG = `policy:
  jobsOnly: true
jobs:
  test:
    description: unit tests with a JUnit report
    command: >-
      mkdir -p out &&
      printf '<testsuites tests="4" failures="1" errors="0" skipped="1"><testsuite tests="4"/></testsuites>' > out/junit.xml &&
      printf '{"proof":true}' > out/proof.json
    junit: [out/junit.xml]
    artifacts: [out/proof.json]
  flaky:
    command: [sh, -c, "exit 3"]
    stop: success
  proof:
    command: "true"
    requiredArtifacts: [out/proof-*.json]
`;

Deno.test("job list, job run --dry-run offline, job run with results, stop policies, jobsOnly", async (t) => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const fake = harness.fake;
  const results = `${box.repo}/.crabbox-results`;
  try {
    await Deno.writeTextFile(`${box.repo}/.crabbox.yaml`, CONFIG);
    await git(box.repo, "add", ".crabbox.yaml");
    await git(box.repo, "commit", "-qm", "jobs");

    await t.step("job list names the jobs, offline", async () => {
      const list = await box.crabbox(["job", "list"], { env: { HCLOUD_TOKEN: "" } });
      assert.equal(list.code, 0, list.stderr);
      assert.equal(
        list.stdout,
        "flaky  stop=success  sh -c exit 3\nproof  stop=auto     true\ntest   stop=auto     unit tests with a JUnit report\n",
      );
    });

    await t.step("dry-run needs no token and no network; it writes the plan", async () => {
      const before = fake.log.length;
      const offline = { HCLOUD_TOKEN: "", HCLOUD_ENDPOINT: "http://127.0.0.1:9" };
      const result = await box.crabbox(["job", "run", "test", "--dry-run"], { env: offline });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^# job test \(dry-run: offline, no token used\)$/m);
      assert.match(
        result.stdout,
        /^crabbox warmup --profile default --class beast --ttl 1h30m --idle-timeout 30m$/m,
      );
      assert.match(
        result.stdout,
        /^crabbox stop '<lease>' {4}# stop=auto: always for a lease this job created$/m,
      );
      assert.match(result.stdout, /^ok {4}sync-excludes +secret\/runtime probes excluded \(13\/13\)$/m);
      assert.equal(fake.log.length, before, "no API request was made");
      const plan = JSON.parse(await Deno.readTextFile(`${results}/crabbox-test-plan.json`));
      assert.equal(plan.schema, "crabbox.job-plan/v1");
      assert.equal(plan.ok, true);
      assert.deepEqual(plan.steps.map((s: { name: string }) => s.name), ["warmup", "run", "stop"]);
    });

    await t.step("dry-run fails on a token in env.allow or a sync rule that lets .env through", async () => {
      await Deno.writeTextFile(`${box.repo}/.crabbox.yaml`, CONFIG + "env:\n  allow: [CI, GITHUB_TOKEN]\n");
      const token = await box.crabbox(["job", "run", "test", "--dry-run"], { env: { HCLOUD_TOKEN: "" } });
      assert.equal(token.code, 2);
      assert.match(
        token.stderr,
        /\.crabbox\.yaml:\d+:\d+: env\.allow names a secret-looking variable "GITHUB_TOKEN"/,
      );
      await Deno.writeTextFile(`${box.repo}/.crabbox.yaml`, CONFIG + "sync:\n  exclude: ['!.env']\n");
      const leak = await box.crabbox(["job", "run", "test", "--dry-run"], { env: { HCLOUD_TOKEN: "" } });
      assert.equal(leak.code, 2);
      assert.match(leak.stdout, /^fail {2}sync-excludes +would sync: \.env$/m);
      assert.equal(JSON.parse(await Deno.readTextFile(`${results}/crabbox-test-plan.json`)).ok, false);
      await Deno.writeTextFile(`${box.repo}/.crabbox.yaml`, CONFIG);
    });

    await t.step("policy.jobsOnly refuses arbitrary commands and names the jobs", async () => {
      const result = await box.crabbox(["run", "--", "ls"]);
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        /policy\.jobsOnly is set in \.crabbox\.yaml: use 'crabbox job list' and 'crabbox job run <name>'/,
      );
      assert.match(result.stderr, /configured jobs: flaky, proof, test/);
      const ssh = await box.crabbox(["ssh", "anything"]);
      assert.equal(ssh.code, 2);
      assert.match(ssh.stderr, /policy\.jobsOnly is set/);
      assert.equal(fake.servers.size, 0);
    });

    await t.step("a real job run brings back JUnit and artifacts and writes the result file", async () => {
      const result = await box.crabbox(["job", "run", "test", "--stop", "auto"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^crabbox: test results files=1 tests=4 failures=1 errors=0 skipped=1$/m);
      const junit = await Deno.readTextFile(`${results}/test/junit/out/junit.xml`);
      assert.match(junit, /<testsuites tests="4"/);
      assert.equal(await Deno.readTextFile(`${results}/test/artifacts/out/proof.json`), '{"proof":true}');
      assert.equal((await Deno.stat(`${results}/test/artifacts/out/proof.json`)).mode! & 0o777, 0o600);
      const report = JSON.parse(await Deno.readTextFile(`${results}/crabbox-test.json`));
      assert.equal(report.schema, "crabbox.job-result/v1");
      assert.equal(report.status, "passed");
      assert.equal(report.exitSource, "remote");
      assert.deepEqual(report.junit, { files: 1, tests: 4, failures: 1, errors: 0, skipped: 1 });
      assert.equal(report.artifacts[0].path, "out/proof.json");
      assert.match(report.artifacts[0].sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(report.phases.map((p: { name: string }) => p.name), [
        "acquire",
        "bootstrap",
        "lock",
        "sync",
        "command",
        "collect",
        "release",
      ]);
      assert.equal(report.lease.released, true, "stop=auto deletes a lease this job created");
      assert.equal(fake.servers.size, 0);
    });

    await t.step("a missing required artifact makes a passing command an error (exit 7)", async () => {
      const result = await box.crabbox(["job", "run", "proof"]);
      assert.equal(result.code, 7, result.stderr);
      assert.match(result.stderr, /^crabbox: error: required artifact missing: out\/proof-\*\.json$/m);
      const report = JSON.parse(await Deno.readTextFile(`${results}/crabbox-proof.json`));
      assert.deepEqual([report.status, report.exitCode, report.exitSource], ["error", 7, "crabbox"]);
      assert.equal(fake.servers.size, 0);
    });

    await t.step("stop=success keeps a failed fresh lease; --stop always deletes a reused one", async () => {
      const failed = await box.crabbox(["job", "run", "flaky"]);
      assert.equal(failed.code, 3, failed.stderr);
      assert.match(failed.stderr, /^crabbox: kept cbx_\S+ after failure/m);
      assert.equal(fake.servers.size, 1);
      const report = JSON.parse(await Deno.readTextFile(`${results}/crabbox-flaky.json`));
      assert.equal(report.status, "failed");
      assert.equal(report.lease.released, false);
      const again = await box.crabbox(["job", "run", "flaky", "--id", report.lease.id, "--stop", "always"]);
      assert.equal(again.code, 3, again.stderr);
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
