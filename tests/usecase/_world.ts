/**
 * One use-case test's world: fake Deps (tests/cmd/_fakes.ts) whose ssh is a FakeBox and whose Hetzner
 * is the in-memory one, a clock that skips short waits and holds long ones, and the lease shape of a
 * default config. The file system is real, rooted in a temp home.
 */
import type { Deps } from "../../core/deps.ts";
import { Output } from "../../core/output.ts";
import { Redactor } from "../../core/redact.ts";
import { realFs } from "../../core/runtime.ts";
import type { LeaseShape } from "../../lease/acquire.ts";
import { createLeaseDir, writeLeaseRecord } from "../../lease/store.ts";
import { runCommandOnBox, type RunRequest } from "../../lease/run.ts";
import type { Labels, Server } from "../../providers/hetzner/port.ts";
import { CapturedIo, fakeCli, ManualClock, MemoryHetzner } from "../cmd/_fakes.ts";
import { FakeBox } from "./_fake_box.ts";

export { apiError } from "../cmd/_fakes.ts";

/** Sleeps up to this pass at once (polls, retries); longer ones (heartbeats) wait for their signal. */
const HOLD_OVER_MS = 30_000;

export interface World {
  deps: Deps;
  api: MemoryHetzner;
  box: FakeBox;
  io: CapturedIo;
  out: Output;
  clock: ManualClock;
  signal: AbortSignal;
  cleanup(): Promise<void>;
}

export async function world(
  options: { env?: Record<string, string>; holdOverMs?: number } = {},
): Promise<World> {
  const box = new FakeBox(realFs);
  const clock = new ManualClock(undefined, options.holdOverMs ?? HOLD_OVER_MS);
  const cli = await fakeCli({ proc: box.proc, net: box.net, clock, env: options.env });
  return {
    deps: cli.deps,
    api: cli.hetzner,
    box,
    io: cli.io,
    out: new Output(cli.io, new Redactor(), { quiet: false, debug: false, json: false }),
    clock,
    signal: new AbortController().signal,
    cleanup: cli.cleanup,
  };
}

export function leaseShape(overrides: Partial<LeaseShape> = {}): LeaseShape {
  return {
    className: "standard",
    locations: ["fsn1", "nbg1"],
    image: "ubuntu-24.04",
    ttlSecs: 5400,
    idleSecs: 1800,
    keep: false,
    profile: "default",
    owner: "alice",
    repo: "webapp",
    bootstrapTimeoutSecs: 600,
    ipTimeoutSecs: 300,
    sshUser: "crabbox",
    sshPorts: [2222],
    workRoot: "/work/crabbox",
    connectTimeoutSecs: 10,
    controlPersist: 0,
    sshConfigFile: "none",
    createAttempts: 2,
    budget: { maxActive: 0, maxHourly: 0, scope: "owner", graceSecs: 3600 },
    ...overrides,
  };
}

/** A box this machine leased earlier: the labelled server, its local key and lease record. */
export async function existingLease(
  w: World,
  leaseId: string,
  labels: Labels = {},
): Promise<Server> {
  const paths = await createLeaseDir(w.deps, leaseId);
  await w.deps.fs.writeTextFile(paths.clientKey, "FAKE PRIVATE KEY\n", { mode: 0o600 });
  await w.deps.fs.writeTextFile(paths.hostPub, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5FAKE host\n");
  const nowSecs = String(Math.floor(w.clock.nowMs / 1000));
  const server = w.api.addServer({
    name: `crabbox-${leaseId}`,
    labels: {
      crabbox: "true",
      created_by: "crabbox",
      provider: "hetzner",
      lease: leaseId,
      slug: `slug-${leaseId.slice(-4)}`,
      state: "ready",
      created_at: nowSecs,
      last_touched_at: nowSecs,
      idle_timeout_secs: "1800",
      ttl_secs: "5400",
      ...labels,
    },
  });
  await writeLeaseRecord(w.deps, {
    id: leaseId,
    slug: server.labels.slug,
    serverId: server.id,
    serverName: server.name,
    ipv4: server.ipv4,
    sshPort: 2222,
    createdAt: new Date(server.createdMs).toISOString(),
    repoRoot: null,
  });
  return server;
}

/** runCommandOnBox in the world: `make test` on a fresh tiny lease of alice's, unless the request says otherwise. */
export function runInWorld(w: World, request: Partial<RunRequest> = {}, signal = w.signal) {
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
