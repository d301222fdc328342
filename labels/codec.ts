/**
 * The label contract (SPEC §3; every key in docs/labels.md): unix-second timestamps, integer-second
 * durations, expiry maths.
 * Parsing is lenient so labels written by the Go crabbox CLI and older versions still read.
 */
import type { Labels } from "../providers/hetzner/port.ts";
import { parseDuration } from "../core/duration.ts";
import { sanitizeLabelValue } from "./sanitize.ts";

/** Keys crabbox owns; a merge never touches any other label. */
export const CRABBOX_KEYS = [
  "crabbox",
  "created_by",
  "provider",
  "lease",
  "slug",
  "keep",
  "class",
  "server_type",
  "profile",
  "provider_key",
  "target",
  "state",
  "created_at",
  "last_touched_at",
  "idle_timeout",
  "idle_timeout_secs",
  "ttl_secs",
  "expires_at",
  "owner",
  "repo",
  "pool",
  "pond",
  "run",
] as const;

export interface CreateLabelsInput {
  leaseId: string;
  slug: string;
  keep: boolean;
  className: string;
  serverType: string;
  profile: string;
  providerKey: string;
  /** The `provider` label: the port's terms.label (`hetzner`, or `ssh` on static hosts). */
  provider?: string;
  owner: string;
  repo: string;
  pool?: string;
  /** A normalized pond name (labels/pond.ts). */
  pond?: string;
  nowSecs: number;
  ttlSecs: number;
  idleSecs: number;
  /** ipTimeout + bootstrapTimeout + 5m (30m by default). */
  createDeadlineSecs: number;
}

export function encodeCreateLabels(input: CreateLabelsInput): Labels {
  const labels: Labels = {
    crabbox: "true",
    created_by: "crabbox",
    provider: input.provider ?? "hetzner",
    lease: input.leaseId,
    slug: input.slug,
    keep: String(input.keep),
    class: sanitizeLabelValue(input.className),
    server_type: sanitizeLabelValue(input.serverType),
    profile: sanitizeLabelValue(input.profile),
    provider_key: input.providerKey,
    target: "linux",
    state: "provisioning",
    owner: sanitizeLabelValue(input.owner),
    repo: sanitizeLabelValue(input.repo),
    created_at: String(input.nowSecs),
    last_touched_at: String(input.nowSecs),
    idle_timeout: String(input.idleSecs),
    idle_timeout_secs: String(input.idleSecs),
    ttl_secs: String(input.ttlSecs),
    expires_at: String(input.nowSecs + Math.min(input.createDeadlineSecs, input.ttlSecs)),
  };
  if (input.pool) labels.pool = sanitizeLabelValue(input.pool);
  if (input.pond) labels.pond = input.pond;
  return labels;
}

export interface LeaseLabels {
  leaseId: string | null;
  state: string | null;
  keep: boolean;
  createdAtSecs: number | null;
  lastTouchedAtSecs: number | null;
  idleSecs: number | null;
  ttlSecs: number | null;
  expiresAtSecs: number | null;
}

/** Unix seconds; RFC 3339 tolerated. null when missing or unparsable. */
export function parseTimeSecs(value: string | undefined): number | null {
  if (value === undefined || value === "") return null;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** Integer seconds; Go-style 30m0s / 1h0m0s tolerated (the config's duration syntax). null when neither. */
export function parseDurationSecs(value: string | undefined): number | null {
  if (value === undefined || value === "") return null;
  if (/^\d+$/.test(value)) return Number(value);
  try {
    return parseDuration(value);
  } catch {
    return null;
  }
}

export function decodeLeaseLabels(labels: Labels): LeaseLabels {
  return {
    leaseId: labels.lease ?? null,
    state: labels.state ?? null,
    keep: labels.keep === "true",
    createdAtSecs: parseTimeSecs(labels.created_at),
    lastTouchedAtSecs: parseTimeSecs(labels.last_touched_at),
    idleSecs: parseDurationSecs(labels.idle_timeout_secs) ?? parseDurationSecs(labels.idle_timeout),
    ttlSecs: parseDurationSecs(labels.ttl_secs),
    expiresAtSecs: parseTimeSecs(labels.expires_at),
  };
}

/** SPEC §3.4: keep → created + ttl; otherwise min(last touched + idle, created + ttl). */
export function computeExpiresAt(input: {
  createdAtSecs: number;
  lastTouchedAtSecs: number;
  idleSecs: number;
  ttlSecs: number;
  keep: boolean;
}): number {
  const ttlCap = input.createdAtSecs + input.ttlSecs;
  return input.keep ? ttlCap : Math.min(input.lastTouchedAtSecs + input.idleSecs, ttlCap);
}

/** Merges crabbox-owned keys only; undefined values leave a key alone, null removes it. */
export function mergeCrabboxLabels(
  current: Labels,
  changes: Record<string, string | null | undefined>,
): Labels {
  const merged: Labels = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (!(CRABBOX_KEYS as readonly string[]).includes(key) || value === undefined) continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

export interface TouchInput {
  state?: string;
  run?: string | null;
  keep?: boolean;
  idleSecs?: number;
}

/** A touch (SPEC §3.5): last_touched_at = now, expires_at recomputed, optional state/run/keep/idle. */
export function touchLabels(current: Labels, nowSecs: number, touch: TouchInput = {}): Labels {
  const decoded = decodeLeaseLabels(current);
  const keep = touch.keep ?? decoded.keep;
  const idleSecs = touch.idleSecs ?? decoded.idleSecs;
  const changes: Record<string, string | null | undefined> = {
    last_touched_at: String(nowSecs),
    state: touch.state,
    run: touch.run,
    keep: touch.keep === undefined ? undefined : String(touch.keep),
    idle_timeout: touch.idleSecs === undefined ? undefined : String(touch.idleSecs),
    idle_timeout_secs: touch.idleSecs === undefined ? undefined : String(touch.idleSecs),
  };
  if (decoded.createdAtSecs !== null && decoded.ttlSecs !== null && idleSecs !== null) {
    changes.expires_at = String(computeExpiresAt({
      createdAtSecs: decoded.createdAtSecs,
      lastTouchedAtSecs: nowSecs,
      idleSecs,
      ttlSecs: decoded.ttlSecs,
      keep,
    }));
  }
  return mergeCrabboxLabels(current, changes);
}
