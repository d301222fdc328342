/**
 * Sweep decisions (SPEC §7.1, §7.3; explained in docs/sweep.md): pure functions of labels, Hetzner's
 * `created`, and Hetzner time.
 * The first matching row decides.
 */
import type { Server, SshKey } from "../providers/hetzner/port.ts";
import { decodeLeaseLabels, parseTimeSecs } from "./codec.ts";
import { isCrabboxOwned } from "./ownership.ts";
import { isSshKeyName, leaseIdFromKeyName } from "./ids.ts";

export const SWEEP_REASONS = [
  "not_canonical",
  "terminal_state",
  "ttl_exceeded",
  "keep_within_ttl",
  "missing_ttl",
  "missing_expires_at",
  "expired_past_grace",
  "in_grace",
  "expired",
  "not_expired",
] as const;
export type SweepReason = typeof SWEEP_REASONS[number];

export interface ServerDecision {
  decision: "delete" | "skip";
  reason: SweepReason;
  /** When the box becomes (or became) eligible, epoch ms; null when never by this rule. */
  deadlineMs: number | null;
}

const TERMINAL = new Set(["failed", "released", "expired"]);
const BUSY = new Set(["running", "provisioning"]);

export function decideServer(
  server: Pick<Server, "labels" | "createdMs">,
  nowMs: number,
  graceSecs: number,
): ServerDecision {
  const labels = server.labels;
  if (!isCrabboxOwned(labels)) return { decision: "skip", reason: "not_canonical", deadlineMs: null };
  const state = labels.state ?? "";
  if (TERMINAL.has(state)) return { decision: "delete", reason: "terminal_state", deadlineMs: nowMs };
  const decoded = decodeLeaseLabels(labels);
  const graceMs = BUSY.has(state) ? graceSecs * 1000 : 0;
  if (decoded.keep) {
    if (decoded.ttlSecs === null) return { decision: "skip", reason: "missing_ttl", deadlineMs: null };
    const deadlineMs = server.createdMs + decoded.ttlSecs * 1000 + graceMs;
    return nowMs > deadlineMs
      ? { decision: "delete", reason: "ttl_exceeded", deadlineMs }
      : { decision: "skip", reason: "keep_within_ttl", deadlineMs };
  }
  const expiresSecs = decoded.expiresAtSecs ?? parseTimeSecs(labels.ttl);
  if (expiresSecs === null) return { decision: "skip", reason: "missing_expires_at", deadlineMs: null };
  const deadlineMs = expiresSecs * 1000 + graceMs;
  if (BUSY.has(state)) {
    return nowMs > deadlineMs
      ? { decision: "delete", reason: "expired_past_grace", deadlineMs }
      : { decision: "skip", reason: "in_grace", deadlineMs };
  }
  return nowMs > deadlineMs
    ? { decision: "delete", reason: "expired", deadlineMs }
    : { decision: "skip", reason: "not_expired", deadlineMs };
}

export interface KeyDecision {
  key: SshKey;
  leaseId: string | null;
  decision: "delete" | "skip";
  reason: "not_canonical" | "lease_gone" | "lease_deleted" | "lease_alive" | "too_new";
}

const KEY_MIN_AGE_MS = 3600_000;

/**
 * A key whose lease has no server is deleted once it is over an hour old (creates in flight make the
 * key first); a key whose server this sweep deleted goes at once.
 */
export function decideSshKeys(
  keys: SshKey[],
  liveLeaseIds: Set<string>,
  deletedLeaseIds: Set<string>,
  nowMs: number,
): KeyDecision[] {
  return keys.map((key) => {
    if (!isSshKeyName(key.name)) return { key, leaseId: null, decision: "skip", reason: "not_canonical" };
    const leaseId = key.labels.lease ?? leaseIdFromKeyName(key.name);
    if (leaseId && deletedLeaseIds.has(leaseId)) {
      return { key, leaseId, decision: "delete", reason: "lease_deleted" };
    }
    if (leaseId && liveLeaseIds.has(leaseId)) {
      return { key, leaseId, decision: "skip", reason: "lease_alive" };
    }
    if (nowMs - key.createdMs <= KEY_MIN_AGE_MS) return { key, leaseId, decision: "skip", reason: "too_new" };
    return { key, leaseId, decision: "delete", reason: "lease_gone" };
  });
}
