/**
 * Every way a run can be cut short, at every phase, one-shot and `--id`: kill -9, SIGINT, SIGTERM,
 * SIGHUP, stdout closed and stderr closed (the reader goes away, as with `| head -n1`).
 *
 * Phases are found without sleeping: a progress line on stderr, the first stdout line, an API request
 * arriving at the phase proxy (which then answers after a simulated latency), the lease's known_hosts
 * appearing, a box lock held from the host, or a throttled rsync that is still transferring.
 *
 * Contract (issue 8): SIGINT → 130, SIGTERM → 143, SIGHUP → 129, closed stdout/stderr → 141; for all
 * of them the box is released at once by the stop policy (one-shot: server and key deleted; `--id`:
 * back to `state=ready`, remote command stopped, lock free), no stack trace, every stderr line crabbox
 * writes is prefixed. kill -9 may exit any way; a sweep past expiry then leaves nothing.
 */
import { checkOutput, type CodeExpectation, describeCode } from "./checks.ts";
import type { CliProcess } from "./cli_proc.ts";
import type { Row } from "./row.ts";
import { lastLines, type RowRun } from "./world.ts";

export type Cut = "kill9" | "sigint" | "sigterm" | "sighup" | "stdout" | "stderr";
export type Mode = "oneshot" | "id";
export type Phase =
  | "create"
  | "ip"
  | "ready"
  | "lock"
  | "sync"
  | "command"
  | "collect"
  | "release"
  | "resolve";

export const CUTS: Cut[] = ["kill9", "sigint", "sigterm", "sighup", "stdout", "stderr"];
export const PHASES: Record<Mode, Phase[]> = {
  oneshot: ["create", "ip", "ready", "lock", "sync", "command", "collect", "release"],
  id: ["resolve", "lock", "sync", "command", "collect", "release"],
};

const SIGNAL: Record<"kill9" | "sigint" | "sigterm" | "sighup", Deno.Signal> = {
  kill9: "SIGKILL",
  sigint: "SIGINT",
  sigterm: "SIGTERM",
  sighup: "SIGHUP",
};

/** A command that keeps writing to both streams for up to 30 s (so a closed reader is noticed). */
const LOOP_SCRIPT = 'echo started; echo "remote: started" >&2; i=0; while [ $i -lt 300 ]; do ' +
  'echo "out $i"; echo "remote: err $i" >&2; i=$((i+1)); sleep 0.1; done';
export const LOOP = ["sh", "-c", LOOP_SCRIPT, "crabbox-fault-loop"];
const REMOTE_PREFIX = "remote: ";

/** A job whose collect phase pulls a 6 MB artifact through the throttled rsync (~8 s). */
export const COLLECT_JOB_CONFIG = `jobs:
  collect:
    command: [sh, -c, "mkdir -p out && head -c 6000000 /dev/urandom > out/big.bin && echo made"]
    artifacts: [out/big.bin]
`;

export function expectedCode(cut: Cut, phase: Phase): CodeExpectation {
  switch (cut) {
    case "kill9":
      return "any";
    case "sigint":
      return 130;
    case "sigterm":
      return 143;
    case "sighup":
      return 129;
    case "stderr":
      return 141;
    case "stdout":
      // Nothing more is written to stdout after the command: exiting normally is right too.
      return phase === "collect" || phase === "release" ? [141, 0] : 141;
  }
}

export interface WarmBox {
  slug: string;
  leaseId: string;
  serverId: number;
}

/** `crabbox warmup --class tiny`: a ready box for `--id` rows. */
export async function warm(row: RowRun): Promise<WarmBox | null> {
  const out = await row.crabbox(["warmup", "--class", "tiny"], { deadlineMs: 90_000 });
  const m = out.stdout.match(/^leased (cbx_[0-9a-f]{12}) slug=(\S+) server=(\d+)/m);
  if (out.code !== 0 || !m) {
    row.fail(`warmup failed (${out.code}): ${lastLines(out.stderr)}`);
    return null;
  }
  return { leaseId: m[1], slug: m[2], serverId: Number(m[3]) };
}

/** Drops the remembered label copy from a lease record, so the next run --id looks the lease up. */
async function forgetLastWrite(configHome: string, leaseId: string): Promise<void> {
  const path = `${configHome}/crabbox/leases/${leaseId}/lease.json`;
  const { lastWrite: _dropped, ...record } = JSON.parse(await Deno.readTextFile(path));
  await Deno.writeTextFile(path, JSON.stringify(record, null, 2) + "\n");
}

/** Polls a local condition every 25 ms, bounded by the process: it rejects once the process ended. */
export async function until(proc: CliProcess, what: string, ok: () => Promise<boolean>): Promise<void> {
  let ended = false;
  void proc.done.then(() => (ended = true));
  for (;;) {
    if (await ok()) return;
    if (ended) throw new Error(`crabbox exited before ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** 12 MB of incompressible data: ~15 s through the throttled rsync. */
async function addBigFile(row: RowRun): Promise<void> {
  const chunk = new Uint8Array(1 << 20);
  const file = await Deno.open(`${row.repo}/big.bin`, { write: true, create: true });
  for (let i = 0; i < 12; i++) {
    crypto.getRandomValues(chunk.subarray(0, 65536));
    for (let o = 65536; o < chunk.length; o += 65536) chunk.copyWithin(o, 0, 65536);
    chunk[i] = i; // not one repeated block: rsync must really send it
    await file.write(chunk);
  }
  file.close();
}

interface Staged {
  args: string[];
  env?: Record<string, string>;
  /** Resolves when the process is in the phase. */
  reached(proc: CliProcess): Promise<void>;
}

/** Prepares the world so that the phase is reachable and observable, and says how to see it. */
async function stage(row: RowRun, phase: Phase, box: WarmBox | null): Promise<Staged> {
  const { proxy } = row.world;
  const fake = row.fake;
  const id = box ? ["--id", box.slug] : ["--class", "tiny"];
  const run = (extra: string[], command: string[] = LOOP) => ["run", ...id, ...extra, "--", ...command];
  const slow = { PATH: `${row.world.slowRsyncDir}:${row.env.PATH}` };
  switch (phase) {
    case "resolve": {
      // A warm run trusts its remembered labels (lease.json lastWrite, ≤ 60 s) and resolves nothing; the
      // lookup happens once that copy is gone or stale, which is the run cut here.
      if (box) await forgetLastWrite(row.env.XDG_CONFIG_HOME, box.leaseId);
      const arrived = proxy.hold({ method: "GET", path: /\/servers/, latencyMs: 1500 });
      return {
        args: run(["--no-sync"]),
        reached: (p) =>
          Promise.race([
            arrived.then(() => {}),
            p.done.then(() => Promise.reject(new Error("crabbox exited without resolving the lease"))),
          ]),
      };
    }
    case "create": {
      const arrived = proxy.hold({ method: "POST", path: /\/servers/, latencyMs: 1500 });
      return { args: run(["--no-sync"]), reached: () => arrived.then(() => {}) };
    }
    case "ip":
      // The address comes 4 s after the create (a slow Hetzner): the cut lands inside the IP wait, and
      // a run that survives it (a closed stdout) then goes on to the command.
      fake.nextKnobs.push({ tIp: 4_000 });
      return { args: run(["--no-sync"]), reached: (p) => p.waitFor("stderr", "crabbox: created server") };
    case "ready": {
      // sshd and cloud-init come ~4 s late: the cut lands while the readiness loop probes.
      fake.nextKnobs.push({ tSsh22: 4_000, tCloudInit: 4_500 });
      // The readiness loop starts as soon as an answer naming the server's IPv4 reaches the CLI: the
      // create answer itself (the fake's default, as on Hetzner) or a later GET.
      const hasIp = (body: unknown) =>
        !!(body as { server?: { public_net?: { ipv4?: { ip?: string } } } })?.server?.public_net?.ipv4?.ip;
      const ipSeen = Promise.race([
        proxy.watch({
          method: "POST",
          path: /\/servers$/,
          when: (status, body) => status === 201 && hasIp(body),
        }),
        proxy.watch({
          method: "GET",
          path: /\/servers\/\d+$/,
          when: (status, body) => status === 200 && hasIp(body),
        }),
      ]);
      return {
        args: run(["--no-sync"]),
        reached: (p) =>
          Promise.race([
            ipSeen.then(() => {}),
            p.done.then(() => Promise.reject(new Error("crabbox exited before its IP wait ended"))),
          ]),
      };
    }
    case "lock": {
      if (box) {
        await row.holdBoxLock(box.serverId);
      } else {
        // The moment the box exists (before the CLI hears of it), another holder takes its lock.
        void proxy.watch({
          method: "POST",
          path: /\/servers/,
          when: (status) => status === 201,
          before: async (_s, body) => {
            await row.holdBoxLock((body as { server: { id: number } }).server.id);
          },
        });
      }
      return {
        args: run(["--no-sync"]),
        reached: (p) => p.waitFor("stderr", "crabbox: waiting for box lock"),
      };
    }
    case "sync":
      await addBigFile(row);
      return {
        args: run([]),
        env: slow,
        reached: (p) => p.waitFor("stderr", /^crabbox: sync [\d,]+ files/m),
      };
    case "command":
      return { args: run(["--no-sync"]), reached: (p) => p.waitFor("stdout", "started\n") };
    case "collect":
      await Deno.writeTextFile(`${row.repo}/.crabbox.yaml`, COLLECT_JOB_CONFIG);
      return {
        args: ["job", "run", "collect", ...(box ? ["--id", box.slug] : [])],
        env: slow,
        reached: (p) => p.waitFor("stderr", "crabbox: command exited 0"),
      };
    case "release": {
      // The first request of the release: state=ready for a kept box; the key delete of a one-shot box
      // (which is deleted without a `released` label), so the cut lands with the release still to do.
      const arrived = box
        ? proxy.hold({
          method: "PUT",
          path: /\/servers\/\d+/,
          when: (r) => (r.body as { labels?: Record<string, string> })?.labels?.state === "ready",
          latencyMs: 1500,
        })
        : proxy.hold({ method: "DELETE", path: /\/ssh_keys\/\d+/, latencyMs: 1500 });
      return { args: run(["--no-sync"], ["true"]), reached: () => arrived.then(() => {}) };
    }
  }
}

function applyCut(proc: CliProcess, cut: Cut): Promise<void> {
  if (cut === "stdout" || cut === "stderr") return proc.close(cut);
  proc.kill(SIGNAL[cut]);
  return Promise.resolve();
}

/** After a catchable cut of `run --id`: ready, remote command gone, lock free, stop works without --force. */
async function checkReusable(row: RowRun, box: WarmBox, phase: Phase): Promise<void> {
  await row.world.proxy.idle();
  const server = row.fake.servers.get(box.serverId);
  if (!row.check(!!server, `the warm box ${box.slug} was deleted (stop policy auto keeps it)`)) return;
  row.check(server!.labels.state === "ready", `box left in state=${server!.labels.state}, not ready`);
  if (phase === "command" && server!.box) {
    const ps = await server!.box.exec(["pgrep", "-f", "crabbox-fault-loop"]);
    row.check(ps.code !== 0, `the remote command is still running on the box (pids ${ps.stdout.trim()})`);
  }
  const next = await row.crabbox([
    "run",
    "--id",
    box.slug,
    "--no-sync",
    "--lock-timeout",
    "1s",
    "--",
    "true",
  ]);
  row.check(
    next.code === 0 && !next.stderr.includes("waiting for box lock"),
    `a following run --id ${box.slug} -- true did not succeed at once (exit ${next.code}): ${
      lastLines(next.stderr)
    }`,
  );
  const stop = await row.crabbox(["stop", box.slug]);
  if (
    !row.check(
      stop.code === 0,
      `stop ${box.slug} (no --force) exited ${stop.code}: ${lastLines(stop.stderr)}`,
    )
  ) {
    await row.sweepPastExpiry();
    return;
  }
  await row.expectNothingLeft(`after stop ${box.slug}`);
}

export function cutRow(cut: Cut, mode: Mode, phase: Phase): Row {
  const code = expectedCode(cut, phase);
  const after = cut === "kill9"
    ? "swept past expiry: nothing left"
    : mode === "oneshot"
    ? "released at once"
    : "box ready, lock free";
  return {
    id: `cut/${cut}/${mode}/${phase}`,
    category: "cut",
    expect: `${describeCode(code)}, ${after}`,
    deadlineMs: 60_000,
    async run(row) {
      const box = mode === "id" ? await warm(row) : null;
      if (mode === "id" && !box) return;
      const staged = await stage(row, phase, box);
      const proc = row.spawn(staged.args, { env: staged.env });
      try {
        await staged.reached(proc);
      } catch (error) {
        row.fail(`phase ${phase} never reached: ${(error as Error).message}: ${lastLines(proc.stderr)}`);
        return;
      }
      await applyCut(proc, cut);
      // The other holder of the box lock (lock phase) finishes now, so a run that survives goes on.
      for (const release of row.cleanups.splice(0)) await release();
      const out = await proc.done;
      checkOutput(row, "crabbox", out, { code, remotePrefix: REMOTE_PREFIX });
      if (phase === "sync" || phase === "collect") {
        const rsync = (await row.localProcesses()).filter((p) => p.argv.some((a) => a.endsWith("rsync")));
        row.check(
          cut === "kill9" || rsync.length === 0,
          `a local rsync outlived crabbox (pid ${rsync[0]?.pid})`,
        );
      }
      if (cut === "kill9") {
        await row.sweepPastExpiry();
      } else if (mode === "oneshot") {
        if (!(await row.expectNothingLeft("not released at once"))) await row.sweepPastExpiry();
      } else {
        await checkReusable(row, box!, phase);
      }
    },
  };
}

/** A second signal exits at once and prints a recovery command that works exactly as printed. */
function secondSignalRow(signal: "SIGINT" | "SIGTERM", code: number): Row {
  return {
    id: `cut/${signal.toLowerCase()}-twice/oneshot/release`,
    category: "cut",
    expect: `exit ${code} at once, printed stop command works`,
    deadlineMs: 60_000,
    async run(row) {
      // The release's DELETE is slow; the second signal lands while the first one's cleanup waits on it.
      const deleting = row.world.proxy.hold({ method: "DELETE", path: /\/servers\/\d+/, latencyMs: 4000 });
      const proc = row.spawn(["run", "--class", "tiny", "--no-sync", "--", ...LOOP]);
      await proc.waitFor("stdout", "started\n");
      proc.kill(signal);
      await deleting;
      proc.kill(signal);
      const out = await proc.done;
      checkOutput(row, "crabbox", out, { code, remotePrefix: REMOTE_PREFIX });
      const printed = out.stderr.match(/crabbox stop (cbx_[0-9a-f]{12})/g)?.pop();
      if (row.check(!!printed, `no recovery command printed: ${lastLines(out.stderr)}`)) {
        const stop = await row.crabbox(printed!.split(" ").slice(1));
        row.check(stop.code === 0, `the printed "${printed}" exited ${stop.code}: ${lastLines(stop.stderr)}`);
      }
      if (!(await row.expectNothingLeft("after the printed stop command"))) await row.sweepPastExpiry();
    },
  };
}

/** kill -9 of a run on a warm box leaves a dead holder: a plain `stop` must still work. */
const deadHolderRow: Row = {
  id: "cut/kill9-dead-holder/id/stop-without-force",
  category: "cut",
  expect: "stop X exits 0 without --force",
  deadlineMs: 60_000,
  async run(row) {
    const box = await warm(row);
    if (!box) return;
    const proc = row.spawn(["run", "--id", box.slug, "--no-sync", "--", ...LOOP]);
    await proc.waitFor("stdout", "started\n");
    proc.kill("SIGKILL");
    await proc.done;
    // Its ssh children are left to notice on their own that the parent is gone, as on a real machine.
    const stop = await row.crabbox(["stop", box.slug]);
    checkOutput(row, "stop", stop, { code: 0 });
    if (!(await row.expectNothingLeft("after stop without --force"))) await row.sweepPastExpiry();
  },
};

export function cutRows(): Row[] {
  const rows: Row[] = [];
  for (const mode of ["oneshot", "id"] as Mode[]) {
    for (const phase of PHASES[mode]) {
      for (const cut of CUTS) rows.push(cutRow(cut, mode, phase));
    }
  }
  rows.push(secondSignalRow("SIGINT", 130), secondSignalRow("SIGTERM", 143), deadHolderRow);
  return rows;
}
