/** The ownership predicate (SPEC §7.2), required before any mutation. owner is deliberately not required. */
import type { Labels } from "../providers/hetzner/port.ts";
import { isCanonicalLeaseId } from "./ids.ts";
import { sanitizeLabelValue } from "./sanitize.ts";

/** This machine's `owner` label: config `owner`, else `<user>@<short hostname>`, sanitized. */
export function ownerLabel(configured: string, system: { user(): string; hostname(): string }): string {
  return sanitizeLabelValue(configured || `${system.user()}@${system.hostname()}`);
}

export function isCrabboxOwned(labels: Labels): boolean {
  return labels.crabbox === "true" && labels.created_by === "crabbox" && labels.provider === "hetzner" &&
    isCanonicalLeaseId(labels.lease ?? "") && (labels.slug ?? "") !== "";
}
