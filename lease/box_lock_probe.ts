/**
 * Is anyone really using this box? Takes the box lock without waiting and gives it straight back.
 * A holder on this host whose process is gone lets go within seconds (its ssh channel closes), so
 * that case is retried briefly instead of being reported as busy.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { formatIso } from "../core/format.ts";
import { hasLocalKey, pinHostKey, readLeaseRecord } from "./store.ts";
import { boxFor } from "./pool.ts";
import { type LockOwner, tryLock } from "./box_lock.ts";
import type { StatusSettings } from "./status.ts";

export type LockProbe =
  | { kind: "free" }
  | { kind: "held"; holder: string }
  | { kind: "unknown"; reason: string };

const DEAD_HOLDER_WAIT_MS = 15_000;
const RETRY_MS = 1_000;

export async function probeBoxLock(
  ctx: { deps: Deps; api: HetznerApi; out: Output; signal: AbortSignal },
  server: Server,
  settings: StatusSettings,
): Promise<LockProbe> {
  const { deps } = ctx;
  const leaseId = server.labels.lease;
  if (!server.ipv4) return { kind: "free" };
  if (!(await hasLocalKey(deps, leaseId))) {
    return {
      kind: "unknown",
      reason: "its box lock cannot be checked from this machine (no lease key here)",
    };
  }
  await pinHostKey(deps, leaseId);
  const record = await readLeaseRecord(deps, leaseId);
  const box = boxFor(deps, ctx.out, server, { ...settings, controlPersist: 0 }, record?.sshPort ?? null);
  const me: LockOwner = {
    runId: "stop-probe",
    owner: "crabbox stop",
    host: deps.system.hostname(),
    pid: deps.system.pid(),
    since: formatIso(ctx.api.now()),
  };
  const started = deps.clock.now();
  for (;;) {
    let attempt;
    try {
      attempt = await tryLock(box, me);
    } catch (error) {
      return { kind: "unknown", reason: `its box lock could not be checked: ${(error as Error).message}` };
    }
    if (attempt.kind === "locked") {
      await attempt.lock.release();
      return { kind: "free" };
    }
    const holder = attempt.holder;
    const who = `${holder?.runId ?? "another run"} (${holder?.owner ?? "?"}, pid ${holder?.pid ?? "?"} on ${
      holder?.host ?? "?"
    })`;
    const deadHere = holder?.host === deps.system.hostname() && typeof holder.pid === "number" &&
      !deps.system.processAlive(holder.pid);
    if (!deadHere || deps.clock.now() - started >= DEAD_HOLDER_WAIT_MS) return { kind: "held", holder: who };
    await deps.clock.sleep(RETRY_MS, ctx.signal);
  }
}
