/**
 * The label-only sweep (SPEC §7): every server and key is judged by its labels and Hetzner time, each
 * delete is preceded by a fresh look at its labels, failures are recorded and the sweep goes on.
 * Requests stay proportional to pages, not servers (issue 10, P5): the candidates are re-listed by lease
 * (one page per 50) instead of one GET each, and their keys come from one listing, not one per server.
 */
import type { Deps } from "../core/deps.ts";
import type { HetznerApi, Server, SshKey } from "../providers/hetzner/port.ts";
import { formatIso } from "../core/format.ts";
import { decideServer, decideSshKeys, type SweepReason } from "../labels/sweep.ts";
import { crabboxKeys, crabboxServers, leaseIn } from "../labels/selectors.ts";
import { decodeLeaseLabels } from "../labels/codec.ts";
import { isSshKeyName, sshKeyName } from "../labels/ids.ts";
import { HetznerApiError } from "../providers/hetzner/errors.ts";
import { listLeaseDirs, removeLeaseDir } from "./store.ts";
import { type CheckpointSweepItem, sweepCheckpoints } from "./checkpoint_sweep.ts";
import { type NetworkItem, sweepPondNetworks } from "./pond_sweep.ts";
import { crabboxFirewalls, decideFirewall, type FirewallDecision } from "./firewall_rules.ts";

export interface SweepOptions {
  dryRun: boolean;
  graceSecs: number;
  keys: boolean;
  local: boolean;
  /** Also delete checkpoints past their own expires_at (default true). */
  checkpoints?: boolean;
  /** The automatic sweep deletes at most 5 servers and never the current command's box. */
  maxDeletes?: number;
  protectLeaseIds?: Set<string>;
  signal?: AbortSignal;
}

export interface ServerItem {
  id: number;
  name: string;
  lease: string | null;
  slug: string | null;
  state: string | null;
  keep: boolean;
  owner: string | null;
  expiresAt: string | null;
  decision: "delete" | "skip";
  reason: SweepReason;
  result: "deleted" | "would_delete" | "skipped" | "failed";
  error: string | null;
  /** For the human line: how long ago the deadline passed. */
  overdueMs: number | null;
}

export interface KeyItem {
  id: number;
  name: string;
  lease: string | null;
  reason: string;
  result: "deleted" | "would_delete" | "skipped" | "failed";
  error: string | null;
}

export interface FirewallItem {
  id: number;
  name: string;
  reason: FirewallDecision["reason"];
  result: "deleted" | "would_delete" | "failed";
  error: string | null;
}

export interface SweepReport {
  dryRun: boolean;
  now: string;
  graceSecs: number;
  servers: ServerItem[];
  sshKeys: KeyItem[];
  /** Pond networks judged (docs/ponds.md). */
  networks: NetworkItem[];
  /** Crabbox firewalls (ssh.allowCidrs) deleted, or that would be or failed; never the ones in use. */
  firewalls: FirewallItem[];
  local: { pruned: string[] };
  /** Every crabbox checkpoint and its verdict (empty with checkpoints: false). */
  checkpoints: CheckpointSweepItem[];
  summary: { deleted: number; skipped: number; failed: number };
}

const LOCAL_MIN_AGE_MS = 3600_000;

export async function sweep(deps: Deps, api: HetznerApi, options: SweepOptions): Promise<SweepReport> {
  const { signal } = options;
  const servers = await api.listServers({ labelSelector: crabboxServers() }, { signal });
  const now = api.now();
  const items: ServerItem[] = [];
  const deletedLeases = new Set<string>();
  const keysDeletedWithServers: KeyItem[] = [];
  const candidates: { server: Server; item: ServerItem }[] = [];
  for (const server of servers) {
    const item = describe(server, now, options.graceSecs);
    items.push(item);
    const protectedLease = item.lease !== null && options.protectLeaseIds?.has(item.lease);
    if (item.decision === "skip" || protectedLease) continue;
    if (options.maxDeletes !== undefined && candidates.length >= options.maxDeletes) {
      item.result = "skipped";
      continue;
    }
    if (options.dryRun) {
      item.result = "would_delete";
      continue;
    }
    candidates.push({ server, item });
  }
  // A heartbeat may have just landed: judge the fresh labels, not the listing. Every candidate passed the
  // ownership predicate, so it has a lease to be re-listed by.
  const leases = candidates.map((c) => c.item.lease!);
  const fresh = new Map<number, Server>();
  // null: no listing to look in (it failed), so each key is looked up by name.
  let candidateKeys: SshKey[] | null = [];
  if (candidates.length > 0) {
    try {
      for (
        const s of await listByLease(leases, (sel) => api.listServers({ labelSelector: sel }, { signal }))
      ) {
        fresh.set(s.id, s);
      }
    } catch (error) {
      for (const { item } of candidates) {
        item.result = "failed";
        item.error = error instanceof Error ? error.message : String(error);
      }
      candidates.length = 0;
    }
  }
  // The keys of the candidates: all crabbox keys when the key sweep needs them anyway, else by lease.
  // A failed key listing still lets the servers go; it fails the sweep afterwards, as it did before.
  const keyListing: { keys: SshKey[] } | { error: unknown } | null = options.keys
    ? await api.listSshKeys({ labelSelector: crabboxKeys() }, { signal }).then(
      (keys) => ({ keys }),
      (error) => ({ error }),
    )
    : null;
  const allKeys = keyListing && "keys" in keyListing ? keyListing.keys : null;
  if (candidates.length > 0) {
    candidateKeys = allKeys ??
      await listByLease(leases, (sel) => api.listSshKeys({ labelSelector: sel }, { signal }), crabboxKeys())
        .catch(() => null);
  }
  for (const { server, item } of candidates) {
    try {
      const current = fresh.get(server.id) ?? null;
      if (current && decideServer(current, api.now(), options.graceSecs).decision === "skip") {
        item.result = "skipped";
        continue;
      }
      if (current) keysDeletedWithServers.push(...await deleteKeyOf(api, current, candidateKeys, signal));
      await api.deleteServer(server.id, { signal });
      item.result = "deleted";
      if (item.lease) deletedLeases.add(item.lease);
    } catch (error) {
      item.result = "failed";
      item.error = error instanceof Error ? error.message : String(error);
    }
  }

  const sshKeys: KeyItem[] = [...keysDeletedWithServers];
  if (keyListing && "error" in keyListing) throw keyListing.error;
  if (allKeys) {
    const deletedKeyIds = new Set(keysDeletedWithServers.map((k) => k.id));
    const keys = allKeys.filter((k) => !deletedKeyIds.has(k.id));
    const live = new Set(
      items.filter((i) => i.result !== "deleted" && i.lease).map((i) => i.lease!),
    );
    for (const verdict of decideSshKeys(keys, live, deletedLeases, api.now())) {
      const item: KeyItem = {
        id: verdict.key.id,
        name: verdict.key.name,
        lease: verdict.leaseId,
        reason: verdict.reason,
        result: verdict.decision === "skip" ? "skipped" : options.dryRun ? "would_delete" : "deleted",
        error: null,
      };
      if (item.result === "deleted") {
        try {
          await api.deleteSshKey(verdict.key.id, { signal });
        } catch (error) {
          item.result = "failed";
          item.error = error instanceof Error ? error.message : String(error);
        }
      }
      if (verdict.decision === "delete" || item.result === "failed") sshKeys.push(item);
    }
  }

  const networks = await sweepPondNetworks(api, servers, deletedLeases, options);
  const firewalls = await sweepFirewalls(api, options);

  const pruned: string[] = [];
  if (options.local && !options.dryRun) {
    const alive = new Set(servers.map((s) => s.labels.lease).filter((l) => l && !deletedLeases.has(l)));
    for (const dir of await listLeaseDirs(deps)) {
      const age = dir.mtimeMs === null ? Infinity : deps.clock.now() - dir.mtimeMs;
      if (!alive.has(dir.leaseId) && (deletedLeases.has(dir.leaseId) || age > LOCAL_MIN_AGE_MS)) {
        await removeLeaseDir(deps, dir.leaseId);
        pruned.push(dir.leaseId);
      }
    }
  }

  const checkpoints = options.checkpoints === false ? [] : await sweepCheckpoints(api, {
    dryRun: options.dryRun,
    maxDeletes: options.maxDeletes,
    signal,
  });

  const count = (result: string) => items.filter((i) => i.result === result).length;
  return {
    dryRun: options.dryRun,
    now: formatIso(now),
    graceSecs: options.graceSecs,
    servers: items,
    sshKeys,
    networks,
    firewalls,
    local: { pruned },
    checkpoints,
    summary: {
      deleted: count("deleted") + count("would_delete"),
      skipped: count("skipped"),
      failed: count("failed") + sshKeys.filter((k) => k.result === "failed").length +
        checkpoints.filter((c) => c.result === "failed").length +
        networks.filter((n) => n.result === "failed").length +
        firewalls.filter((f) => f.result === "failed").length,
    },
  };
}

function describe(server: Server, nowMs: number, graceSecs: number): ServerItem {
  const verdict = decideServer(server, nowMs, graceSecs);
  const decoded = decodeLeaseLabels(server.labels);
  return {
    id: server.id,
    name: server.name,
    lease: server.labels.lease ?? null,
    slug: server.labels.slug ?? null,
    state: server.labels.state ?? null,
    keep: decoded.keep,
    owner: server.labels.owner ?? null,
    expiresAt: decoded.expiresAtSecs === null ? null : formatIso(decoded.expiresAtSecs * 1000),
    decision: verdict.decision,
    reason: verdict.reason,
    result: "skipped",
    error: null,
    overdueMs: verdict.deadlineMs === null ? null : nowMs - verdict.deadlineMs,
  };
}

/** Servers or keys whose `lease` label is one of these, 50 leases to a request (a short URL, one page). */
async function listByLease<T>(
  leases: string[],
  list: (selector: string) => Promise<T[]>,
  base = crabboxServers(),
): Promise<T[]> {
  const found: T[] = [];
  for (let at = 0; at < leases.length; at += LEASES_PER_LIST) {
    found.push(...await list(leaseIn(base, leases.slice(at, at + LEASES_PER_LIST))));
  }
  return found;
}
const LEASES_PER_LIST = 50;

/**
 * The server's key goes first (SPEC §7.1); a failure here is left to the key sweep. The key is found in
 * the listing of crabbox's keys already made (null when that failed: then it is looked up by name).
 */
async function deleteKeyOf(
  api: HetznerApi,
  server: Server,
  listed: SshKey[] | null,
  signal?: AbortSignal,
): Promise<KeyItem[]> {
  const name = server.labels.provider_key ?? (server.labels.lease ? sshKeyName(server.labels.lease) : "");
  if (!isSshKeyName(name)) return [];
  const deleted: KeyItem[] = [];
  try {
    for (const key of listed?.filter((k) => k.name === name) ?? await api.listSshKeys({ name }, { signal })) {
      await api.deleteSshKey(key.id, { signal });
      deleted.push({
        id: key.id,
        name,
        lease: server.labels.lease ?? null,
        reason: "lease_deleted",
        result: "deleted",
        error: null,
      });
    }
  } catch (error) {
    if (!(error instanceof HetznerApiError)) throw error;
  }
  return deleted;
}

/** After the servers: a firewall whose last box this sweep deleted is unused now (and past its grace). */
async function sweepFirewalls(api: HetznerApi, options: SweepOptions): Promise<FirewallItem[]> {
  const { signal } = options;
  const items: FirewallItem[] = [];
  const found = await api.listFirewalls({ labelSelector: crabboxFirewalls() }, { signal });
  for (const verdict of found.map((f) => decideFirewall(f, api.now(), options.graceSecs))) {
    if (verdict.decision === "skip") continue;
    const item: FirewallItem = {
      id: verdict.firewall.id,
      name: verdict.firewall.name,
      reason: verdict.reason,
      result: options.dryRun ? "would_delete" : "deleted",
      error: null,
    };
    items.push(item);
    if (options.dryRun) continue;
    try {
      // Hetzner refuses while a server has it: a box created since the listing keeps it.
      if ((await api.deleteFirewall(item.id, { signal })) === "in_use") items.pop();
    } catch (error) {
      item.result = "failed";
      item.error = error instanceof Error ? error.message : String(error);
    }
  }
  return items;
}
