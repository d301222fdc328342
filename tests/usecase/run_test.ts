/** runCommandOnBox on a FakeBox: the order of a run's steps, its exit code, and release on every path. */
import assert from "node:assert/strict";
import { interruptedError } from "../../core/errors.ts";
import { dirname } from "node:path";
import { existingLease, leaseShape, runInWorld, type World, world } from "./_world.ts";
import { controlSocketPath } from "../../ssh/args.ts";

const run = runInWorld;

/**
 * A lease this machine just ran on, so the next run --id comes from the remembered copy; the calls,
 * box log and scripts of that first run are cleared.
 */
async function rememberedLease(
  w: World,
  leaseId: string,
  options: { labels?: Record<string, string>; request?: Parameters<typeof run>[1] } = {},
) {
  const server = await existingLease(w, leaseId, options.labels);
  assert.equal(await run(w, options.request ?? { id: leaseId }), 0);
  w.api.calls.length = 0;
  w.box.log.length = 0;
  w.box.scripts.length = 0;
  return server;
}

Deno.test("run: lock, workdir, command with the env on its stdin; its exit code passes through; the fresh box is released", async () => {
  const w = await world();
  try {
    w.box.exec = () => ({ code: 7, stdout: "hello from the box\n" });
    assert.equal(await run(w), 7);
    assert.equal(w.io.stdout, "hello from the box\n");
    assert.deepEqual(w.box.log.slice(3), ["lock", "make_workdir", "exec"]);
    const [exec] = w.box.calls("exec");
    assert.match(exec.stdin, /^export API_TOKEN='s3cret-value'$/m);
    assert.equal(
      Number(exec.args[3]),
      new TextEncoder().encode(exec.stdin).length,
      "exec reads exactly the env",
    );
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
    assert.deepEqual(w.box.log, ["probe", "lock", "make_workdir", "exec"]);
    assert.match(w.io.stderr, /kept cbx_00000000beef \(idle expiry/);
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

Deno.test("run: exit 74 or 97 is the command's own when the box recorded it, else the exec script's failure", async () => {
  for (
    const [code, failure] of [[
      74,
      /could not write the forwarded env file; the command did not start \(74\)/,
    ], [
      97,
      /could not enter the command's workdir; the command did not start \(97\)/,
    ]] as const
  ) {
    const w = await world();
    try {
      w.box.exec = () => ({ code });
      w.box.answers.read_exit = () => ({ code: 0, stdout: "dead\n" });
      await assert.rejects(run(w), failure);
      assert.equal(w.api.servers.size, 0, "still released");
    } finally {
      await w.cleanup();
    }
    const own = await world();
    try {
      own.box.exec = () => ({ code });
      own.box.answers.read_exit = () => ({ code: 0, stdout: `${code}\n` });
      assert.equal(await run(own), code, "the command's own exit passes through");
    } finally {
      await own.cleanup();
    }
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

Deno.test("run --id right after a run: the remembered labels stand in for the GET and the probe", async () => {
  const w = await world();
  try {
    const server = await rememberedLease(w, "cbx_00000000beef", { labels: { keep: "true" } });
    w.clock.nowMs += 10_000;
    assert.equal(await run(w, { id: "cbx_00000000beef" }), 0);
    assert.deepEqual(w.api.calls, ["replaceServerLabels", "replaceServerLabels"], "running, then ready");
    assert.deepEqual(w.box.log, ["lock", "make_workdir", "exec"], "straight to the lock");
    const kept = w.api.servers.get(server.id)!;
    assert.equal(kept.labels.state, "ready");
    assert.equal(kept.labels.keep, "true", "what the first run read is kept");

    // Older than a minute, the copy is not trusted: resolve and probe again.
    w.api.calls.length = 0;
    w.box.log.length = 0;
    w.clock.nowMs += 61_000;
    assert.equal(await run(w, { id: "cbx_00000000beef" }), 0);
    assert.equal(w.api.calls[0], "listServers");
    assert.equal(w.box.log[0], "probe");
  } finally {
    await w.cleanup();
  }
});

Deno.test("run --id with a remembered copy: a lock channel that fails resolves and probes, then locks", async () => {
  const w = await world();
  try {
    await rememberedLease(w, "cbx_00000000beef");
    w.box.locks = [{ broken: "ssh: connect to host 203.0.113.7 port 2222: Connection refused\n" }, "free"];
    assert.equal(await run(w, { id: "cbx_00000000beef" }), 0);
    assert.deepEqual(w.box.log.slice(0, 3), ["lock", "probe", "lock"]);
    assert.ok(w.api.calls.includes("listServers"), w.api.calls.join(" "));
    // Running went out with the first lock channel (it races the resolve), and again under the lock.
    assert.equal(w.api.calls.filter((call) => call === "replaceServerLabels").length, 3);
  } finally {
    await w.cleanup();
  }
});

Deno.test("run --id with a remembered copy of a server deleted meanwhile: not found, nothing written", async () => {
  const w = await world();
  try {
    const server = await rememberedLease(w, "cbx_00000000beef");
    w.api.servers.delete(server.id);
    w.box.locks = [{ broken: "ssh: connect to host 203.0.113.7 port 2222: No route to host\n" }];
    await assert.rejects(run(w, { id: "cbx_00000000beef" }), /lease cbx_00000000beef no longer exists/);
  } finally {
    await w.cleanup();
  }
});

/**
 * A world whose runs multiplex (ssh.controlPersist 600), with its own socket directory (the fakes give
 * this process's uid), and a live ControlMaster socket for the lease where lease/box.ts looks for it.
 */
async function multiplexedWorld(leaseId: string) {
  const runtime = await Deno.makeTempDir({ prefix: "crabbox-run-" });
  await Deno.chmod(runtime, 0o700);
  const w = await world({ env: { XDG_RUNTIME_DIR: runtime } });
  const { system } = w.deps;
  const path = controlSocketPath({
    runtimeDir: runtime,
    tmpDir: system.tmpDir(),
    uid: system.uid(),
    leaseId,
    ip: "203.0.113.7",
    port: 2222,
  })!;
  return {
    w,
    request: { id: leaseId, shape: leaseShape({ controlPersist: 600 }) },
    masterUp: async () => {
      await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
      return Deno.listen({ transport: "unix", path });
    },
    cleanup: async () => {
      await w.cleanup();
      await Deno.remove(runtime, { recursive: true });
    },
  };
}

Deno.test("run --id on a warm lease with its master up: the command channel opens with the lock's and runs once", async () => {
  const { w, request, masterUp, cleanup } = await multiplexedWorld("cbx_00000000beef");
  try {
    await rememberedLease(w, "cbx_00000000beef", { request });
    const master = await masterUp();
    try {
      w.io.stdout = "";
      w.box.exec = () => ({ code: 3, stdout: "from the box\n" });
      assert.equal(await run(w, request), 3);
      assert.deepEqual(w.box.log.slice(0, 2), ["exec", "lock"], "opened before the lock answers");
      assert.equal(w.box.calls("exec").length, 1);
      assert.match(w.box.calls("exec")[0].stdin, /^export CRABBOX_RUN_ID='run_/m);
      assert.equal(w.io.stdout, "from the box\n");
    } finally {
      master.close();
    }
  } finally {
    await cleanup();
  }
});

Deno.test("run --id: a command channel opened ahead that the run never reaches starts nothing", async () => {
  const { w, request, masterUp, cleanup } = await multiplexedWorld("cbx_00000000beef");
  try {
    await rememberedLease(w, "cbx_00000000beef", { request });
    const master = await masterUp();
    try {
      let ran = 0;
      w.box.exec = () => (ran++, { code: 0 });
      w.box.locks = [{ busy: { runId: "run_other", owner: "bob" } }];
      await assert.rejects(run(w, { ...request, lockTimeoutSecs: 4 }), /waiting for the box lock/);
      assert.equal(w.box.log[0], "exec", "it was opened ahead");
      assert.equal(ran, 0, "and ended without starting the command");
    } finally {
      master.close();
    }
  } finally {
    await cleanup();
  }
});

/**
 * Each label write of a run: its state and run labels, and for ready whether the box lock was held.
 * onWrite runs as the write is sent; the fake answers once it settles, and not at all when it throws.
 */
function recordLabelWrites(
  w: World,
  onWrite?: (labels: Record<string, string>) => void | Promise<void>,
) {
  const writes: string[] = [];
  const replace = w.api.replaceServerLabels.bind(w.api);
  w.api.replaceServerLabels = async (id, labels) => {
    const lock = labels.state === "ready" ? (w.box.held ? " locked" : " unlocked") : "";
    writes.push(`${labels.state} ${labels.run ? "run" : "-"}${lock}`);
    await onWrite?.(labels);
    return replace(id, labels);
  };
  return writes;
}

Deno.test("run --id on a remembered lease: one running write, sent with the lock channel; it stands when the lock comes at once", async () => {
  const w = await world();
  try {
    await rememberedLease(w, "cbx_00000000beef");
    const writes = recordLabelWrites(w);
    assert.equal(await run(w, { id: "cbx_00000000beef" }), 0);
    assert.deepEqual(writes, ["running run", "ready - locked"]);
    assert.deepEqual(w.api.calls, ["replaceServerLabels", "replaceServerLabels"]);
  } finally {
    await w.cleanup();
  }
});

Deno.test("run --id on a remembered lease: the command does not wait for the running write's answer", async () => {
  const w = await world();
  try {
    const server = await rememberedLease(w, "cbx_00000000beef");
    const events: string[] = [];
    const started = Promise.withResolvers<void>();
    const writes = recordLabelWrites(w, async (labels) => {
      if (labels.state === "running") {
        // Answer once the command has started; a failsafe bound keeps the old code from hanging.
        let failsafe: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          started.promise,
          new Promise((resolve) => failsafe = setTimeout(resolve, 5_000)),
        ]);
        clearTimeout(failsafe);
      }
      events.push(`answer ${labels.state}`);
    });
    w.box.exec = () => {
      events.push("exec");
      started.resolve();
      return { code: 0 };
    };
    assert.equal(await run(w, { id: "cbx_00000000beef" }), 0);
    assert.deepEqual(events, ["exec", "answer running", "answer ready"]);
    assert.deepEqual(writes, ["running run", "ready - locked"]);
    assert.equal(w.api.servers.get(server.id)!.labels.state, "ready");
  } finally {
    await w.cleanup();
  }
});

Deno.test("run --id on a remembered lease: a running write that fails warns, the run goes on, and the ready write reads first", async () => {
  const w = await world();
  try {
    const server = await rememberedLease(w, "cbx_00000000beef");
    const writes = recordLabelWrites(w, (labels) => {
      if (labels.state === "running") throw new Error("Hetzner API: 503 service unavailable");
    });
    let ran = 0;
    w.box.exec = () => {
      ran++;
      return { code: 0 };
    };
    assert.equal(await run(w, { id: "cbx_00000000beef" }), 0);
    assert.equal(ran, 1, "the command ran");
    assert.match(w.io.stderr, /could not label cbx_00000000beef running: .*503.*; the run goes on/);
    assert.deepEqual(writes, ["running run", "ready - locked"]);
    assert.deepEqual(
      w.api.calls,
      ["getServer", "replaceServerLabels"],
      "the failed write may have landed: read before the ready write",
    );
    assert.equal(w.api.servers.get(server.id)!.labels.state, "ready");
  } finally {
    await w.cleanup();
  }
});

Deno.test("run --id on a remembered lease another run holds: after the wait, the labels are read, then running is written under the lock", async () => {
  const w = await world();
  try {
    const server = await rememberedLease(w, "cbx_00000000beef");
    w.box.locks = [{ busy: { runId: "run_other", owner: "bob" } }, "free"];
    const writes = recordLabelWrites(w);
    let during: Record<string, string> = {};
    w.box.exec = () => {
      during = { ...w.api.servers.get(server.id)!.labels };
      return { code: 0 };
    };
    assert.equal(await run(w, { id: "cbx_00000000beef" }), 0);
    assert.deepEqual(writes, ["running run", "running run", "ready - locked"]);
    assert.deepEqual(
      w.api.calls,
      ["replaceServerLabels", "getServer", "replaceServerLabels", "replaceServerLabels"],
      "the holder may have written since: read before the write under the lock",
    );
    assert.equal(during.state, "running");
    assert.match(during.run, /^run_/);
  } finally {
    await w.cleanup();
  }
});

const INTERRUPTED_WAITS = [
  {
    name: "the holder has let go: set back to ready under the lock",
    after: "free" as const,
    writes: ["running run", "ready - locked"],
    state: "ready",
  },
  {
    name: "the holder still runs: left to its release, which writes ready after ours",
    after: { busy: { runId: "run_other", owner: "bob" } },
    writes: ["running run"],
    state: "running",
  },
];

for (const wait of INTERRUPTED_WAITS) {
  Deno.test(`run --id interrupted while waiting for the lock, after the early running write: ${wait.name}`, async () => {
    // Each retry's sleep lasts until the signal: the wait holds while the running write goes out.
    const w = await world({ holdOverMs: 1_000 });
    try {
      const server = await rememberedLease(w, "cbx_00000000beef");
      w.box.locks = [{ busy: { runId: "run_other", owner: "bob" } }, wait.after];
      const interrupt = new AbortController();
      const writes = recordLabelWrites(w, (labels) => {
        if (labels.state === "running") interrupt.abort(interruptedError("SIGTERM"));
      });
      const code = await run(w, { id: "cbx_00000000beef" }, interrupt.signal).catch((error) =>
        error.exitCode
      );
      assert.equal(code, 143);
      assert.deepEqual(writes, wait.writes);
      assert.equal(w.api.servers.get(server.id)!.labels.state, wait.state);
      assert.equal(w.box.calls("exec").length, 0, "nothing ran");
      assert.equal(w.box.held, 0);
    } finally {
      await w.cleanup();
    }
  });
}

Deno.test("run --id whose lock channel keeps failing, after the early running write: the box is set back to ready", async () => {
  const w = await world();
  try {
    const server = await rememberedLease(w, "cbx_00000000beef");
    w.box.locks = [{ broken: "ssh: connect to host 203.0.113.7 port 2222: Connection refused\n" }];
    const writes = recordLabelWrites(w);
    await assert.rejects(run(w, { id: "cbx_00000000beef" }), /lock/);
    assert.deepEqual(writes, ["running run", "ready - unlocked"]);
    assert.equal(w.api.servers.get(server.id)!.labels.state, "ready");
  } finally {
    await w.cleanup();
  }
});
