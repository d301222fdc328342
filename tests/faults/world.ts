/**
 * The shared world of the fault matrix: one harness (fake Hetzner behind Prism, real sshd boxes), the
 * phase proxy in front of it, a throttled rsync for rows that must catch a transfer in the act, and
 * per-row helpers: a fresh sandbox (HOME + repo), CLI processes with deadlines, the sweep past expiry,
 * a holder of a box's flock, and the leak guard that makes every row independent of the one before.
 */
import { type Harness, startHarness } from "../harness/harness.ts";
import { DEFAULT_KNOBS } from "../harness/fake_api.ts";
import { leftoverNetworkObjects } from "../harness/leaks.ts";
import { type Sandbox, sandbox } from "../e2e/_cli.ts";
import { ApiProxy } from "./proxy.ts";
import { type CliOutcome, CliProcess } from "./cli_proc.ts";

/** The API token: 64 alphanumerics, Hetzner's shape. It must never appear in any output. */
export const CANARY_TOKEN = "FaultCanary" + "Tok3n".repeat(10) + "ZzQ";
/** A value forwarded to the box through the env file: also never printed. */
export const CANARY_VALUE = "fcv" + "9d2b7e41c0a85f36".repeat(2);
export const CANARY_ENV = "FAULT_CANARY";

/** Three hours past every expiry a test box can have (idle 30m, ttl 90m, create deadline, 1h grace). */
const PAST_EXPIRY_MS = 3 * 3600_000;

export interface World {
  harness: Harness;
  proxy: ApiProxy;
  /** Directory with an rsync that transfers at ~800 KB/s (slow enough to be caught mid-transfer). */
  slowRsyncDir: string;
  root: string;
  stop(): Promise<string[]>;
}

export async function startWorld(): Promise<World> {
  const harness = await startHarness({ token: CANARY_TOKEN });
  const proxy = new ApiProxy(harness.endpoint);
  const root = await Deno.makeTempDir({ prefix: "cbx-faults-" });
  const slowRsyncDir = `${root}/slow-bin`;
  await Deno.mkdir(slowRsyncDir);
  const real = await which("rsync");
  await Deno.writeTextFile(
    `${slowRsyncDir}/rsync`,
    `#!/bin/sh\n# a slow link: the row's signal lands while the transfer runs\nexec ${real} --bwlimit=800 "$@"\n`,
    { mode: 0o755 },
  );
  return {
    harness,
    proxy,
    slowRsyncDir,
    root,
    async stop() {
      await proxy.close();
      const leaks = await harness.stop();
      await Deno.remove(root, { recursive: true }).catch(() => {});
      const problems: string[] = [];
      if (leaks.servers || leaks.sshKeys) {
        problems.push(`harness teardown found ${leaks.servers} servers, ${leaks.sshKeys} keys`);
      }
      // harness.stop() killed what it knew of; whatever of ours is still there now is a leak (its own
      // netns report is not used: see ownLeftovers).
      const left = await settledLeftovers(harness);
      if (left.length) problems.push(`leftover namespaces/processes: ${left.join(", ")}`);
      return problems;
    },
  };
}

/**
 * This harness's own leftovers: its named network namespaces and veths, and processes whose argv names
 * its server directories (sshd -f <D>/etc/sshd_config, <D>/start.sh). The harness's own report finds
 * processes by namespace inode, and inodes are recycled — by other harnesses running on the same host
 * too — so it can name someone else's live box; names and paths cannot be recycled that way.
 */
export async function ownLeftovers(harness: Harness): Promise<string[]> {
  const runId = [...harness.fake.namespaces.values()][0]?.match(/^cbx-([^-]+)-/)?.[1];
  if (!runId) return [];
  const found = await leftoverNetworkObjects(runId);
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const argv = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).replaceAll("\0", " ").trim();
      if (argv.includes(`/cbx-harness-${runId}-`)) found.push(`pid ${entry.name} (${argv.slice(0, 120)})`);
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Leftovers that stay for 2 s (a killed namespace takes a moment to be reaped). */
async function settledLeftovers(harness: Harness, known: string[] = []): Promise<string[]> {
  const fresh = async () => (await ownLeftovers(harness)).filter((n) => !known.includes(n));
  const deadline = Date.now() + 2000;
  let left = await fresh();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = await fresh();
  }
  return left;
}

async function which(cmd: string): Promise<string> {
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "piped" }).output();
  const path = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !path) throw new Error(`${cmd} not found on PATH`);
  return path;
}

export interface CrabboxOptions {
  env?: Record<string, string>;
  cwd?: string;
  deadlineMs?: number;
}

/** One row's sandbox and everything it ran; problems accumulate instead of throwing. */
export class RowRun {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  readonly outcomes: { args: string[]; outcome: CliOutcome }[] = [];
  readonly processes: CliProcess[] = [];
  readonly cleanups: (() => Promise<void>)[] = [];
  env: Record<string, string>;

  constructor(
    readonly world: World,
    readonly box: Sandbox,
    readonly deadlineMs: number,
    /** Namespace leftovers already known before this row (reported once, by the row that made them). */
    readonly netnsBefore: string[] = [],
  ) {
    this.env = {
      ...box.env,
      HCLOUD_ENDPOINT: world.proxy.url,
      [CANARY_ENV]: CANARY_VALUE,
      CRABBOX_ENV_ALLOW: `CI,NODE_OPTIONS,${CANARY_ENV}`,
    };
  }

  get repo(): string {
    return this.box.repo;
  }

  get home(): string {
    return this.box.home;
  }

  get fake() {
    return this.world.harness.fake;
  }

  fail(problem: string): void {
    this.problems.push(problem);
  }

  check(ok: boolean, problem: string): boolean {
    if (!ok) this.fail(problem);
    return ok;
  }

  spawn(args: string[], options: CrabboxOptions = {}): CliProcess {
    const proc = new CliProcess({
      args,
      cwd: options.cwd ?? this.repo,
      env: { ...this.env, ...options.env },
      deadlineMs: options.deadlineMs ?? this.deadlineMs,
    });
    this.processes.push(proc);
    void proc.done.then((outcome) => this.outcomes.push({ args, outcome }));
    return proc;
  }

  async crabbox(args: string[], options: CrabboxOptions = {}): Promise<CliOutcome> {
    const outcome = await this.spawn(args, options).done;
    // The push in spawn() runs first: the outcome is recorded before we return it.
    return outcome;
  }

  /** Waits for every API answer the CLI asked for, then: are servers or keys left in the fake? */
  async leftovers(): Promise<{ servers: number; keys: number }> {
    await this.world.proxy.idle();
    return { servers: this.fake.servers.size, keys: this.fake.keys.size };
  }

  /** Asserts nothing is left right now (released at once, or never created). */
  async expectNothingLeft(why: string): Promise<boolean> {
    const left = await this.leftovers();
    return this.check(
      left.servers === 0 && left.keys === 0,
      `${why}: ${left.servers} server(s), ${left.keys} ssh key(s) left`,
    );
  }

  /**
   * Waits (≤ 10 s) until no fake box is inside its cloud-init power-cycle. A DELETE in that window can
   * race Box.restart in the harness (box.ts: powerOn after destroy's powerOff) and orphan the box's
   * unshare; our own deletes (sweep, cleanup) avoid the window, the CLI's cannot.
   */
  async settleBoots(): Promise<void> {
    const deadline = Date.now() + 10_000;
    const booting = () =>
      [...this.fake.servers.values()].some((s) =>
        s.box && !s.knobs.createActionError && (s.box.userData === null || s.box.pid === null)
      );
    while (booting() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  }

  /** `crabbox sweep` with Hetzner's clock past every expiry; then nothing may be left. */
  async sweepPastExpiry(): Promise<void> {
    await this.world.proxy.idle();
    await this.settleBoots();
    this.fake.skewMs = PAST_EXPIRY_MS;
    try {
      const sweep = await this.crabbox(["sweep"], { deadlineMs: 60_000 });
      this.check(sweep.code === 0, `sweep past expiry exited ${sweep.code}: ${lastLines(sweep.stderr)}`);
    } finally {
      this.fake.skewMs = 0;
    }
    await this.expectNothingLeft("after a sweep past expiry");
  }

  /** Holds the box's flock (<workRoot>/.crabbox/lock) from the host, as another run would. */
  async holdBoxLock(serverId: number): Promise<() => Promise<void>> {
    const dir = this.fake.servers.get(serverId)?.box?.dir;
    if (!dir) throw new Error(`server ${serverId} has no box directory`);
    let path = `${dir}/work`;
    for (const part of ["crabbox", ".crabbox"]) {
      path += `/${part}`;
      await Deno.mkdir(path, { recursive: true });
      await Deno.chown(path, 1500, 1500);
    }
    const lock = `${path}/lock`;
    await Deno.writeTextFile(lock, "", { append: true });
    await Deno.chown(lock, 1500, 1500);
    const holder = new Deno.Command("flock", {
      args: [lock, "sh", "-c", "echo held; exec cat >/dev/null"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    if (!first.value?.includes("held")) throw new Error("could not take the box lock from the host");
    void reader.cancel().catch(() => {});
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await holder.stdin.close().catch(() => {});
      await holder.status;
    };
    this.cleanups.push(release);
    return release;
  }

  /** Processes still running that this row started (found by the sandbox path in their argv). */
  async localProcesses(): Promise<{ pid: number; argv: string[] }[]> {
    const found: { pid: number; argv: string[] }[] = [];
    for await (const entry of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const pid = Number(entry.name);
      if (pid === Deno.pid) continue;
      try {
        const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0").filter(Boolean);
        if (argv.some((a) => a.includes(this.home))) found.push({ pid, argv });
      } catch {
        // gone meanwhile
      }
    }
    return found;
  }

  /** Ends the row: kills what it left running (by pid), resets the fake, removes what remains. */
  async finish(): Promise<void> {
    for (const proc of this.processes) proc.kill("SIGKILL");
    await Promise.all(this.processes.map((p) => p.done));
    for (const cleanup of this.cleanups.splice(0)) await cleanup().catch(() => {});
    for (const { pid } of await this.localProcesses()) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.world.proxy.reset();
    await this.world.proxy.idle();
    const fake = this.fake;
    fake.faults = [];
    fake.capacity = [];
    fake.serverLimit = null;
    fake.nextKnobs = [];
    fake.knobs = { ...DEFAULT_KNOBS };
    fake.skewMs = 0;
    fake.bucket.configure({ limit: 3600, refillPerSecond: 1, remaining: 3600 }, Date.now());
    if (fake.servers.size || fake.keys.size) {
      this.fail(`the row left ${fake.servers.size} server(s) and ${fake.keys.size} key(s) behind`);
      await this.settleBoots();
      await forceClean(this.world);
    }
    // Deleted boxes take a moment to be reaped; anything of ours still there after 2 s is a leak.
    const left = await settledLeftovers(this.world.harness, this.netnsBefore);
    if (left.length > 0) this.fail(`harness: box processes outlived their server: ${left[0].slice(0, 160)}`);
    await this.box.cleanup().catch(() => {});
  }
}

/** Deletes everything in the fake over its own API (direct endpoint), so the next row starts empty. */
export async function forceClean(world: World): Promise<void> {
  const { harness } = world;
  const headers = { Authorization: `Bearer ${harness.token}` };
  for (const id of [...harness.fake.servers.keys()]) {
    await fetch(`${harness.directEndpoint}/servers/${id}`, { method: "DELETE", headers })
      .then((r) => r.body?.cancel());
  }
  for (const id of [...harness.fake.keys.keys()]) {
    await fetch(`${harness.directEndpoint}/ssh_keys/${id}`, { method: "DELETE", headers })
      .then((r) => r.body?.cancel());
  }
}

export async function newRow(world: World, deadlineMs: number): Promise<RowRun> {
  const before = await ownLeftovers(world.harness);
  return new RowRun(world, await sandbox(world.harness), deadlineMs, before);
}

export function lastLines(text: string, n = 3): string {
  return text.trim().split("\n").slice(-n).join(" | ").slice(0, 400);
}
