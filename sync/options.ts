/**
 * What the sync step (lease/sync_step.ts) is given: the preflight (sync/preflight.ts) builds it before
 * anything paid exists, so the type lives here, below both.
 */
import type { Manifest } from "./manifest.ts";
import type { LocalFingerprint } from "./fingerprint.ts";

export interface SyncOptions {
  gitRoot: string;
  manifest: Manifest;
  /** The local fingerprint, when already started (it then overlaps the lease); else computed here. */
  fingerprint?: Promise<LocalFingerprint>;
  checksum: boolean;
  /** sync.fingerprint: false never skips a sync on a matching fingerprint (it is still written). */
  skipUnchanged: boolean;
  fullResync: boolean;
  prune: boolean;
  massDeleteLimit: number;
  allowMassDelete: boolean;
  /** The effective rule list, for the fingerprint. */
  rules: string[];
  /** null disables hydration. `branch` is the local branch ("" when HEAD is detached). */
  hydrate: { origin: string | null; base: string; branch: string } | null;
  /** Identifies this checkout: only the checkout that synced last may skip by fingerprint. */
  source: string;
  /** Overall limit for the transfer (sync.timeout). */
  timeoutSecs: number;
  /** Time spent before the lease on the manifest and its checks: the summary counts it as sync. */
  manifestMs?: number;
}
