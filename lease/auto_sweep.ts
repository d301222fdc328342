/**
 * The automatic sweep (SPEC §7.3): every networked command starts a bounded sweep alongside its own
 * work — at most once per interval (in Hetzner time) per endpoint on this machine, 5 deletes, a 10 s
 * budget — and it never fails or changes the command's result.
 */
import { join } from "node:path";
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi } from "../providers/hetzner/port.ts";
import { termsOf } from "../providers/hetzner/terms.ts";
import { stateDir } from "./store.ts";
import { sweep } from "./sweep.ts";

export interface AutoSweepSettings {
  endpoint: string;
  graceSecs: number;
  budgetMs: number;
  minIntervalMs: number;
  protectLeaseIds: Set<string>;
}

export interface RunningSweep {
  /** Waits out what is left of the budget, then aborts whatever is still in flight. */
  finish(): Promise<void>;
}

/**
 * Whether the automatic sweep is due, all in Hetzner time (ms): the last run is at least an interval
 * old, or its stamp lies more than an interval ahead (written by a clock that was fast, e.g. an older
 * crabbox on the local clock); such a stamp would otherwise hold the sweep off until the world caught
 * up. A stamp up to an interval ahead is normal jitter (Date has 1 s resolution) and still throttles.
 */
export function sweepDue(lastMs: unknown, nowMs: number, minIntervalMs: number): boolean {
  if (typeof lastMs !== "number" || !Number.isFinite(lastMs)) return true;
  return nowMs - lastMs >= minIntervalMs || lastMs - nowMs > minIntervalMs;
}

async function claimSlot(
  deps: Deps,
  endpoint: string,
  minIntervalMs: number,
  nowMs: number,
): Promise<boolean> {
  const path = join(stateDir(deps), "sweep.json");
  let last: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(await deps.fs.readTextFile(path));
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) last = parsed;
  } catch {
    last = {};
  }
  if (!sweepDue(last[endpoint], nowMs, minIntervalMs)) return false;
  last[endpoint] = nowMs;
  await deps.fs.mkdir(stateDir(deps), { recursive: true, mode: 0o700 });
  await deps.fs.writeTextFile(path, JSON.stringify(last) + "\n", { mode: 0o600 });
  return true;
}

/** Starts at once; the throttle and the sweep itself run in the background until finish(). */
export function startAutoSweep(
  deps: Deps,
  api: HetznerApi,
  out: Output,
  settings: AutoSweepSettings,
): RunningSweep {
  const controller = new AbortController();
  const deadline = deps.clock.now() + settings.budgetMs;
  let synced = false;
  let claimed = false;
  const work = (async () => {
    // The throttle is kept in Hetzner time, never the laptop's (ISSUE 8 #12): wait for the command's
    // own first answer, whose Date header sets api.now(), rather than spend a request on it.
    await api.clockSynced({ signal: controller.signal });
    synced = true;
    if (!(await claimSlot(deps, settings.endpoint, settings.minIntervalMs, api.now()))) return;
    claimed = true;
    const report = await sweep(deps, api, {
      dryRun: false,
      graceSecs: settings.graceSecs,
      keys: true,
      local: true,
      maxDeletes: 5,
      protectLeaseIds: settings.protectLeaseIds,
      signal: controller.signal,
    });
    const names = report.servers.filter((s) => s.result === "deleted").map((s) => s.name);
    const keys = report.sshKeys.filter((k) => k.result === "deleted").length;
    const checkpoints = report.checkpoints.filter((c) => c.result === "deleted").map((c) => c.id);
    if (checkpoints.length) out.progress(`sweep deleted expired checkpoints ${checkpoints.join(", ")}`);
    if (names.length === 0 && keys === 0) return;
    const terms = termsOf(api);
    const servers = names.length
      ? `${names.length} expired ${terms.servers(names.length)} (${names.join(", ")})`
      : "";
    const keyText = keys ? `${keys} ssh key${keys === 1 ? "" : "s"}` : "";
    const verb = names.length ? terms.verbs.deleted : "deleted";
    out.progress(`sweep ${verb} ${[servers, keyText].filter(Boolean).join(" and ")}`);
  })().catch((error) => {
    const why = synced ? (error as Error).message : "no answer from Hetzner to set the clock";
    out.debug(claimed ? `automatic sweep: ${why}` : `automatic sweep skipped: ${why}`);
  });
  return {
    async finish() {
      // Still waiting for the clock: the command made no call, so there is nothing worth its time.
      if (!synced) controller.abort();
      const budgetLeft = new AbortController();
      const timer = deps.clock.sleep(Math.max(0, deadline - deps.clock.now()), budgetLeft.signal).catch(
        () => {},
      );
      await Promise.race([work, timer]);
      budgetLeft.abort();
      controller.abort();
      await work;
    },
  };
}
