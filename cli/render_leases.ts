/** The human lease table of `list` (SPEC §2.8), aligned columns with a header. */
import type { ListedLease } from "../lease/inspect.ts";
import { formatDurationMs } from "../core/duration.ts";

const HEADER = ["LEASE", "SLUG", "STATE", "KEEP", "TYPE", "LOC", "IPV4", "OWNER", "EXPIRES"];

export function renderLeaseTable(rows: ListedLease[], nowMs: number): string[] {
  const table = [
    HEADER,
    ...rows.map(({ lease, foreign }) => [
      lease.id || "-",
      lease.slug ?? "-",
      foreign ? "FOREIGN" : lease.state ?? "-",
      lease.keep ? "yes" : "no",
      lease.serverType ?? "-",
      lease.location ?? "-",
      lease.ipv4 ?? "-",
      lease.owner ?? "-",
      expiryText(lease.expiresAt, lease.ttlDeadline, nowMs),
    ]),
  ];
  const widths = HEADER.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i])).join("  ")
  );
}

/** Whole minutes once a wait is longer than ten minutes: a table is read at a glance. */
function roughly(ms: number): string {
  return formatDurationMs(ms >= 600_000 ? Math.round(ms / 60_000) * 60_000 : ms);
}

function expiryText(expiresAt: string | null, ttlDeadline: string | null, nowMs: number): string {
  if (!expiresAt) return "unknown";
  const expires = Date.parse(expiresAt) - nowMs;
  const when = expires >= 0 ? `in ${roughly(expires)}` : `${roughly(-expires)} ago`;
  if (!ttlDeadline) return when;
  const ttl = Date.parse(ttlDeadline) - nowMs;
  return `${when} (ttl ${ttl >= 0 ? roughly(ttl) : "passed"})`;
}
