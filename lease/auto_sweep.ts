/**
 * The automatic sweep (SPEC §7.3): every networked command starts a bounded sweep alongside its own
 * work — at most once per interval per endpoint on this machine, 5 deletes, a 10 s budget — and it
 * never fails or changes the command's result.
 */
import { join } from "node:path";
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi } from "../providers/hetzner/port.ts";
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

async function claimSlot(deps: Deps, endpoint: string, minIntervalMs: number): Promise<boolean> {
  const path = join(stateDir(deps), "sweep.json");
  let last: Record<string, number> = {};
  try {
    last = JSON.parse(await deps.fs.readTextFile(path));
  } catch {
    last = {};
  }
  const now = deps.clock.now();
  if (typeof last[endpoint] === "number" && now - last[endpoint] < minIntervalMs) return false;
  last[endpoint] = now;
  await deps.fs.mkdir(stateDir(deps), { recursive: true, mode: 0o700 });
  await deps.fs.writeTextFile(path, JSON.stringify(last) + "\n", { mode: 0o600 });
  return true;
}

export async function startAutoSweep(
  deps: Deps,
  api: HetznerApi,
  out: Output,
  settings: AutoSweepSettings,
): Promise<RunningSweep | null> {
  try {
    if (!(await claimSlot(deps, settings.endpoint, settings.minIntervalMs))) return null;
  } catch (error) {
    out.debug(`automatic sweep skipped: ${(error as Error).message}`);
    return null;
  }
  const controller = new AbortController();
  const deadline = deps.clock.now() + settings.budgetMs;
  const work = sweep(deps, api, {
    dryRun: false,
    graceSecs: settings.graceSecs,
    keys: true,
    local: true,
    maxDeletes: 5,
    protectLeaseIds: settings.protectLeaseIds,
    signal: controller.signal,
  }).then((report) => {
    const names = report.servers.filter((s) => s.result === "deleted").map((s) => s.name);
    const keys = report.sshKeys.filter((k) => k.result === "deleted").length;
    if (names.length === 0 && keys === 0) return;
    const servers = names.length
      ? `${names.length} expired server${names.length === 1 ? "" : "s"} (${names.join(", ")})`
      : "";
    const keyText = keys ? `${keys} ssh key${keys === 1 ? "" : "s"}` : "";
    out.progress(`sweep deleted ${[servers, keyText].filter(Boolean).join(" and ")}`);
  }).catch((error) => out.debug(`automatic sweep: ${(error as Error).message}`));
  return {
    async finish() {
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
