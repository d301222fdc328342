/**
 * What the sync step (lease/sync_step.ts) is given: the preflight (sync/preflight.ts) builds it before
 * anything paid exists, so the type lives here, below both.
 */
import type { SyncTree } from "./sync_tree.ts";

export interface SyncOptions {
  gitRoot: string;
  /** The tree to sync: summary and fingerprint (started, so they overlap the lease), manifest on demand. */
  tree: SyncTree;
  checksum: boolean;
  /** sync.fingerprint: false never skips a sync on a matching fingerprint (it is still written). */
  skipUnchanged: boolean;
  fullResync: boolean;
  prune: boolean;
  massDeleteLimit: number;
  allowMassDelete: boolean;
  /** null disables hydration. `branch` is the local branch ("" when HEAD is detached). */
  hydrate: { origin: string | null; base: string; branch: string } | null;
  /** Identifies this checkout: only the checkout that synced last may skip by fingerprint. */
  source: string;
  /** Overall limit for the transfer (sync.timeout). */
  timeoutSecs: number;
  /** Time spent before the lease on the manifest and its checks: the summary counts it as sync. */
  manifestMs?: number;
}
