/**
 * Released leases remembered for a day (state dir), so a second `crabbox stop <slug>` still knows the
 * slug and answers "already gone" (exit 0) after the lease dir itself was removed.
 */
import { join } from "node:path";
import type { Deps } from "../core/deps.ts";
import { stateDir } from "./store.ts";

interface Tombstone {
  leaseId: string;
  slug: string;
  releasedAtMs: number;
}

const KEEP_MS = 24 * 3600 * 1000;
type TombDeps = Pick<Deps, "fs" | "env" | "system" | "clock">;

const path = (deps: TombDeps) => join(stateDir(deps), "released.json");

async function read(deps: TombDeps): Promise<Tombstone[]> {
  try {
    const all = JSON.parse(await deps.fs.readTextFile(path(deps))) as Tombstone[];
    return all.filter((t) => deps.clock.now() - t.releasedAtMs < KEEP_MS);
  } catch {
    return [];
  }
}

export async function rememberReleased(
  deps: TombDeps,
  leaseId: string,
  slug: string | undefined,
): Promise<void> {
  if (!slug) return;
  const kept = (await read(deps)).filter((t) => t.leaseId !== leaseId);
  kept.push({ leaseId, slug, releasedAtMs: deps.clock.now() });
  await deps.fs.mkdir(stateDir(deps), { recursive: true, mode: 0o700 });
  await deps.fs.writeTextFile(path(deps), JSON.stringify(kept) + "\n", { mode: 0o600 });
}

export async function releasedLeaseForSlug(deps: TombDeps, slug: string): Promise<string | null> {
  return (await read(deps)).findLast((t) => t.slug === slug)?.leaseId ?? null;
}
