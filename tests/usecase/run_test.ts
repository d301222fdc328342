/** runCommandOnBox on a FakeBox: the order of a run's steps, its exit code, and release on every path. */
import assert from "node:assert/strict";
import { runCommandOnBox, type RunRequest } from "../../lease/run.ts";
import { CrabboxError, interruptedError } from "../../core/errors.ts";
import { existingLease, leaseShape, type World, world } from "./_world.ts";

function run(w: World, request: Partial<RunRequest> = {}, signal = w.signal) {
  return runCommandOnBox({
    deps: w.deps,
    api: w.api,
    out: w.out,
    signal,
    repoRoot: null,
    setSecondInterruptNote: () => {},
  }, {
    argv: ["make", "test"],
    shell: false,
    stop: "auto",
    shape: leaseShape(),
    sync: null,
    repo: "webapp",
    graceSecs: 600,
    lockTimeoutSecs: 60,
    owner: "alice",
    env: { forward: { API_TOKEN: "s3cret-value" }, allow: ["API_*"] },
    ...request,
  });
}

Deno.test("run: lock, workdir, env over stdin, command; its exit code passes through; the fresh box is released", async () => {
  const w = await world();
  try {
    w.box.exec = () => ({ code: 7, stdout: "hello from the box\n" });
    assert.equal(await run(w), 7);
    assert.equal(w.io.stdout, "hello from the box\n");
    assert.deepEqual(w.box.log.slice(3), ["lock", "make_workdir", "env_upload", "exec"]);
    const [upload] = w.box.calls("env_upload");
    assert.match(upload.stdin, /^export API_TOKEN='s3cret-value'$/m);
    const commandLines = w.box.scripts.flatMap((call) => call.args).join(" ");
    assert.doesNotMatch(commandLines, /s3cret/, "a value never travels as an argument");
    assert.equal(w.box.held, 0, "lock released");
    assert.equal(w.api.servers.size, 0, "stop=auto deletes a fresh lease");
    assert.match(w.io.stderr, /summary lease=cbx_[0-9a-f]{12} .* exit=7/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("run --id on a kept box: warm probe, command, then back to ready with the run label gone", async () => {
  const w = await world();
  try {
    const server = await existingLease(w, "cbx_00000000beef");
    assert.equal(await run(w, { id: "cbx_00000000beef" }), 0);
    const kept = w.api.servers.get(server.id)!;
    assert.equal(kept.labels.state, "ready");
    assert.equal(kept.labels.run, undefined);
    assert.deepEqual(w.box.log, ["probe", "lock", "make_workdir", "env_upload", "exec"]);
    assert.match(w.io.stderr, /kept cbx_00000000beef \(idle expiry/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("run: an env file that cannot be written fails the run before the command, and still releases", async () => {
  const w = await world();
  try {
    w.box.answers.env_upload = () => ({ code: 74 });
    await assert.rejects(run(w), (error) => {
      assert.ok(error instanceof CrabboxError);
      assert.match(error.message, /could not write the env file on cbx_[0-9a-f]{12} \(74\)/);
      return true;
    });
    assert.equal(w.box.log.includes("exec"), false, "the command never started");
    assert.equal(w.box.held, 0);
    assert.equal(w.api.servers.size, 0);
  } finally {
    await w.cleanup();
  }
});

Deno.test("run: preflight names the missing tools and the command does not start", async () => {
  const w = await world();
  try {
    w.box.answers.preflight = (call) => ({
      code: 0,
      stdout: call.args.slice(1).filter((t) => t !== "git").join("\n"),
    });
    await assert.rejects(run(w, { preflightTools: ["git", "jq", "node"] }), /missing on the box: jq, node/);
    assert.equal(w.box.log.includes("exec"), false);
  } finally {
    await w.cleanup();
  }
});

Deno.test("run: a connection lost mid-command is settled from the box's exit file", async () => {
  const w = await world();
  try {
    w.box.exec = () => ({ code: 255, stderr: "Connection to 203.0.113.7 closed by remote host.\n" });
    w.box.answers.read_exit = () => ({ code: 0, stdout: "lost 143\n" });
    await assert.rejects(run(w), /ssh connection lost during the command; the box stopped it \(lost 143\)/);
    assert.equal(w.api.servers.size, 0, "still released");

    const settled = await world();
    try {
      settled.box.exec = () => ({ code: 255 });
      settled.box.answers.read_exit = () => ({ code: 0, stdout: "3\n" });
      assert.equal(await run(settled), 3, "the recorded status, not ssh's 255");
    } finally {
      await settled.cleanup();
    }
  } finally {
    await w.cleanup();
  }
});

Deno.test("run: Ctrl-C during the command stops the remote group over a second channel and exits 130", async () => {
  const w = await world();
  try {
    const interrupt = new AbortController();
    w.box.exec = async ({ killed }) => {
      interrupt.abort(interruptedError("SIGINT"));
      return { code: 128 + (await killed === "TERM" ? 15 : 9) };
    };
    assert.equal(await run(w, {}, interrupt.signal), 130);
    assert.equal(w.box.calls("kill")[0].args[2], "TERM");
    assert.equal(w.box.held, 0);
    assert.equal(w.api.servers.size, 0, "a one-shot lease is released even when interrupted");
  } finally {
    await w.cleanup();
  }
});
