/**
 * How runs end when their reader or their terminal goes away, as agents and people really use them:
 * `| head`, a closed terminal (SIGHUP), SIGTERM, a second signal, a holder killed with -9. Each case
 * leaves nothing behind that a stop policy would not, and prints no stack trace.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { type CliResult, MAIN, PERMISSIONS, type Sandbox, sandbox } from "./_cli.ts";

const NO_TRACE = /Uncaught|error: Uncaught|^\s+at .*:\d+:\d+/m;

/**
 * Runs crabbox in a real shell pipeline into `head -n1`: its stdout, or (with stdout to /dev/null)
 * its stderr. The pipeline's status for crabbox comes back on fd 4.
 */
async function pipedIntoHead(
  box: Sandbox,
  args: string[],
  stream: "stdout" | "stderr" = "stdout",
): Promise<CliResult & { head: string }> {
  const crabbox = `"$0" run --quiet ${PERMISSIONS.join(" ")} "$1" "\${@:2}"`;
  const pipeline = stream === "stdout"
    ? `${crabbox} | head -n1`
    : `{ ${crabbox} 2>&1 1>/dev/null | head -n1; } 2>/dev/null`;
  const script = `${pipeline}\necho "pipestatus=\${PIPESTATUS[0]}" >&2`;
  const out = await new Deno.Command("bash", {
    args: ["-c", script, Deno.execPath(), MAIN, ...args],
    cwd: box.repo,
    env: box.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stderr = dec.decode(out.stderr);
  const status = stderr.match(/^pipestatus=(\d+)$/m);
  assert.ok(status, stderr);
  return { code: Number(status[1]), stdout: dec.decode(out.stdout), stderr, head: dec.decode(out.stdout) };
}

function leaseOf(stderr: string): string {
  const lease = stderr.match(/^crabbox: lease (cbx_[0-9a-f]{12}) /m)?.[1];
  assert.ok(lease, stderr);
  return lease;
}

Deno.test("closed pipes and signals release by the stop policy and exit like the signal", async (t) => {
  const harness = await startHarness();
  const fake = harness.fake;
  const boxes: Sandbox[] = [];
  const fresh = async () => {
    const box = await sandbox(harness);
    boxes.push(box);
    return box;
  };
  const nothingLeft = () =>
    assert.deepEqual({ servers: fake.servers.size, keys: fake.keys.size }, { servers: 0, keys: 0 });
  const labelsOf = (leaseId: string) =>
    [...fake.servers.values()].find((s) => s.labels.lease === leaseId)?.labels;
  const warm = async (box: Sandbox) => {
    const result = await box.crabbox(["warmup", "--class", "tiny"]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.match(/^leased (cbx_[0-9a-f]{12}) slug=(\S+)/m)![1];
  };
  try {
    await t.step("run -- seq 1 300000 | head -n1: exit 141, one line, server and key deleted", async () => {
      const box = await fresh();
      const result = await pipedIntoHead(box, ["run", "--class", "tiny", "--", "seq", "1", "300000"]);
      assert.equal(result.head, "1\n");
      assert.equal(result.code, 141, result.stderr);
      assert.doesNotMatch(result.stderr, NO_TRACE);
      assert.match(result.stderr, /^crabbox: released cbx_/m);
      assert.match(result.stderr, /^crabbox: summary lease=\S+ .* exit=141$/m);
      nothingLeft();
    });

    await t.step("run --id X … | head -n1 leaves X ready and unlocked; stop needs no --force", async () => {
      const box = await fresh();
      const leaseId = await warm(box);
      const result = await pipedIntoHead(box, ["run", "--id", leaseId, "--", "seq", "1", "300000"]);
      assert.equal(result.head, "1\n");
      assert.equal(result.code, 141, result.stderr);
      assert.doesNotMatch(result.stderr, NO_TRACE);
      assert.equal(labelsOf(leaseId)?.state, "ready");
      const again = await box.crabbox(["run", "--id", leaseId, "--lock-timeout", "5s", "--", "true"]);
      assert.equal(again.code, 0, again.stderr);
      const stop = await box.crabbox(["stop", leaseId]);
      assert.equal(stop.code, 0, stop.stderr);
      nothingLeft();
    });

    await t.step("run … 2>&1 >/dev/null | head -n1 (stderr closed): exit 141, nothing left", async () => {
      const box = await fresh();
      const result = await pipedIntoHead(
        box,
        ["run", "--class", "tiny", "--", "seq", "1", "300000"],
        "stderr",
      );
      assert.match(result.head, /^crabbox: lease cbx_/);
      assert.equal(result.code, 141, result.stderr);
      nothingLeft();
    });

    await t.step("run --help | head -1 exits 0, silently", async () => {
      const box = await fresh();
      const result = await pipedIntoHead(box, ["run", "--help"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.head, /^Usage: crabbox/);
      assert.doesNotMatch(result.stderr, /^crabbox: /m, "a closed pipe is silent, as SIGPIPE is");
    });

    for (const [signal, code] of [["SIGHUP", 129], ["SIGTERM", 143]] as const) {
      await t.step(`${signal} during the command exits ${code} and leaves nothing`, async () => {
        const box = await fresh();
        const running = box.spawn(["run", "--class", "tiny", "--", "sh", "-c", "echo started; sleep 60"]);
        await running.waitForStdout("started");
        running.child.kill(signal);
        const result = await running.done;
        assert.equal(result.code, code, result.stderr);
        assert.doesNotMatch(result.stderr, NO_TRACE);
        assert.match(result.stderr, /^crabbox: released cbx_/m);
        assert.match(result.stderr, new RegExp(`^crabbox: summary lease=\\S+ .* exit=${code}$`, "m"));
        const bundle = JSON.parse(
          await Deno.readTextFile(result.stderr.match(/^crabbox: failure bundle: (\S+)$/m)![1]),
        );
        assert.deepEqual(
          [bundle.phase, bundle.exitCode, bundle.exitSource, bundle.error.kind, bundle.continue],
          ["command", code, "crabbox", "interrupted", []],
          "the signal's code is crabbox's own; the box is gone",
        );
        assert.deepEqual(bundle.output.lastLines, ["started"]);
        nothingLeft();
      });
    }

    await t.step(
      "a second SIGTERM exits at once; the printed recovery command works as printed",
      async () => {
        const box = await fresh();
        const running = box.spawn([
          "run",
          "--class",
          "tiny",
          "--",
          "sh",
          "-c",
          "trap '' TERM; echo started; sleep 60",
        ]);
        await running.waitForStdout("started");
        running.child.kill("SIGTERM");
        await running.waitForStderr("interrupted");
        running.child.kill("SIGTERM");
        const result = await running.done;
        assert.equal(result.code, 143, result.stderr);
        const recovery = result.stderr.match(/or run: (crabbox stop cbx_[0-9a-f]{12})$/m);
        assert.ok(recovery, result.stderr);
        assert.equal(fake.servers.size, 1, "the second signal left the box");
        const stop = await box.crabbox(recovery[1].split(" ").slice(1));
        assert.equal(stop.code, 0, stop.stderr);
        assert.match(stop.stdout, /^released cbx_/m);
        nothingLeft();
      },
    );

    await t.step("stop needs no --force once the holder is dead, and refuses while it lives", async () => {
      const box = await fresh();
      const leaseId = await warm(box);
      const holder = box.spawn(["run", "--id", leaseId, "--", "sh", "-c", "echo started; sleep 60"]);
      await holder.waitForStdout("started");
      const busy = await box.crabbox(["stop", leaseId]);
      assert.equal(busy.code, 2, busy.stderr);
      assert.match(
        busy.stderr,
        /^crabbox: error: lease cbx_\S+ is running by run_\S+ and its box lock is held by run_/m,
      );
      assert.match(busy.stderr, /^crabbox: hint: pass --force/m);
      holder.child.kill("SIGKILL");
      await holder.done;
      assert.equal(labelsOf(leaseId)?.state, "running");
      const stop = await box.crabbox(["stop", leaseId]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stderr, /nobody holds its box lock/);
      nothingLeft();
    });

    await t.step("a pool box whose holder died is reclaimed by the next run --pool", async () => {
      const box = await fresh();
      const fill = await box.crabbox(["warmup", "--class", "tiny", "--pool", "agents", "--count", "1"]);
      assert.equal(fill.code, 0, fill.stderr);
      const holder = box.spawn(["run", "--pool", "agents", "--", "sh", "-c", "echo started; sleep 60"]);
      await holder.waitForStdout("started");
      holder.child.kill("SIGKILL");
      await holder.done;
      // Two missed heartbeats later (5 min each for a 30m idle timeout), by Hetzner's clock.
      fake.skewMs = 11 * 60_000;
      try {
        const claim = await box.crabbox(["run", "--pool", "agents", "--", "echo", "reclaimed"]);
        assert.equal(claim.code, 0, claim.stderr);
        assert.equal(claim.stdout, "reclaimed\n");
        assert.match(
          claim.stderr,
          /^crabbox: reclaimed pool box cbx_\S+ slug=\S+ \(pool agents; run_\S+ is gone\)$/m,
        );
        assert.equal(fake.servers.size, 1, "no second box was provisioned");
      } finally {
        fake.skewMs = 0;
      }
      const drain = await box.crabbox(["pool", "drain", "--pool", "agents"]);
      assert.equal(drain.code, 0, drain.stderr);
      nothingLeft();
    });

    await t.step("a lease killed between create and its IP can be made ready later", async () => {
      const box = await fresh();
      fake.nextKnobs.push({ tIp: 2_000 });
      const warmup = box.spawn(["warmup", "--class", "tiny"]);
      await warmup.waitForStderr("created server");
      warmup.child.kill("SIGKILL");
      const killed = await warmup.done;
      const leaseId = leaseOf(killed.stderr);
      const status = await box.crabbox(["status", leaseId, "--wait", "--wait-timeout", "1m"]);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(labelsOf(leaseId)?.state, "ready");
      const run = await box.crabbox(["run", "--id", leaseId, "--", "echo", "usable"]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "usable\n");
      const stop = await box.crabbox(["stop", leaseId]);
      assert.equal(stop.code, 0, stop.stderr);
      nothingLeft();
    });

    await t.step("a control-socket directory that is not ours stops run before any API call", async () => {
      const box = await fresh();
      const dir = `${box.env.XDG_RUNTIME_DIR}/crabbox`;
      for (
        const [mode, uid, message] of [[0o755, 0, /has mode 755; it must be 700/], [
          0o700,
          65534,
          /is owned by uid 65534/,
        ]] as const
      ) {
        await Deno.mkdir(dir, { recursive: true });
        await Deno.chmod(dir, mode);
        await Deno.chown(dir, uid, uid);
        const before = fake.log.length;
        const result = await box.crabbox(["run", "--class", "tiny", "--", "true"]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(
          result.stderr,
          new RegExp(`^crabbox: error: ssh control-socket directory ${dir} ${message.source}`, "m"),
        );
        assert.equal(fake.log.length, before, "no API request was made");
        await Deno.remove(dir);
      }
      nothingLeft();
    });

    assert.deepEqual(harness.violations(), []);
  } finally {
    for (const box of boxes) await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
