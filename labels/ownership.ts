/** The ownership predicate (SPEC §7.2), required before any mutation. owner is deliberately not required. */
import type { Labels } from "../providers/hetzner/port.ts";
import { isCanonicalLeaseId } from "./ids.ts";
import { sanitizeLabelValue } from "./sanitize.ts";

/** This machine's `owner` label: config `owner`, else `<user>@<short hostname>`, sanitized. */
export function ownerLabel(configured: string, system: { user(): string; hostname(): string }): string {
  return sanitizeLabelValue(configured || `${system.user()}@${system.hostname()}`);
}

/**
 * The `provider` labels crabbox writes: `hetzner` on Hetzner servers, `ssh` on static hosts' lease records.
 * Either marks crabbox's own: a record that crabbox wrote on a static host before it wrote `ssh` carries
 * `hetzner` and must still be freed by the sweep, and neither provider ever sees the other's resources.
 */
export const PROVIDER_LABELS: readonly string[] = ["hetzner", "ssh"];

export function isCrabboxOwned(labels: Labels): boolean {
  return labels.crabbox === "true" && labels.created_by === "crabbox" &&
    PROVIDER_LABELS.includes(labels.provider ?? "") &&
    isCanonicalLeaseId(labels.lease ?? "") && (labels.slug ?? "") !== "";
}
