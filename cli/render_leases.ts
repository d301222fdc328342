/**
 * The human lease table of `list` (SPEC §2.8) plus AGE and WHY columns: how old each box is and what
 * keeps it alive (the sweep rule that currently spares it); then, after every other column so the
 * existing ones keep their places, PRICE/H and COST (net, estimated: docs/cost.md).
 */
import type { ListedLease } from "../lease/inspect.ts";
import { formatDurationMs } from "../core/duration.ts";
import { decideServer, type ServerDecision } from "../labels/sweep.ts";
import { formatMoney } from "../lease/cost.ts";

const HEADER = ["LEASE", "SLUG", "STATE", "KEEP", "TYPE", "LOC", "IPV4", "OWNER", "EXPIRES", "AGE", "WHY"];
const STATE = HEADER.indexOf("STATE");
const COST_HEADER = ["PRICE/H", "COST"];

const WHY: Record<string, string> = {
  not_expired: "idle timer",
  keep_within_ttl: "keep, until ttl",
  in_grace: "busy, in grace",
  missing_expires_at: "no expiry label",
  missing_ttl: "keep without ttl",
  not_canonical: "not crabbox's",
};

export interface TableOptions {
  extra?: { header: string; cell: (row: ListedLease) => string };
  graceSecs?: number;
  /** Colours a STATE cell (out.paint); the columns are aligned on the uncoloured text. */
  paintState?: (state: string) => string;
}

export function renderLeaseTable(rows: ListedLease[], nowMs: number, options: TableOptions = {}): string[] {
  const { extra, graceSecs = 3600, paintState = (state: string) => state } = options;
  const header = [...HEADER, ...(extra ? [extra.header] : []), ...COST_HEADER];
  const table = [
    header,
    ...rows.map((row) => {
      const { lease, foreign } = row;
      const verdict = decideServer(
        { labels: lease.labels, createdMs: Date.parse(lease.createdAt) },
        nowMs,
        graceSecs,
      );
      return [
        lease.id || "-",
        lease.slug ?? "-",
        foreign ? "FOREIGN" : lease.state ?? "-",
        lease.keep ? "yes" : "no",
        lease.serverType ?? "-",
        lease.location ?? "-",
        lease.ipv4 ?? "-",
        lease.owner ?? "-",
        expiryText(lease.expiresAt, lease.ttlDeadline, nowMs),
        roughly(Math.max(0, nowMs - Date.parse(lease.createdAt))),
        whyAlive(verdict),
        ...(extra ? [extra.cell(row)] : []),
        formatMoney(lease.priceHourly),
        formatMoney(lease.costSoFar),
      ];
    }),
  ];
  return alignColumns(table, (cell, r, i) => (r > 0 && i === STATE ? paintState(cell) : cell));
}

/** Columns padded to their widest (uncoloured) cell, two spaces apart; the last column is not padded. */
export function alignColumns(
  table: string[][],
  paint: (cell: string, row: number, column: number) => string = (cell) => cell,
): string[] {
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row, r) =>
    row.map((cell, i) => {
      const shown = paint(cell, r, i);
      return i === row.length - 1 ? shown : shown + " ".repeat(widths[i] - cell.length);
    }).join("  ")
  );
}

/** What keeps a box alive, in words: the sweep rule that spares it, or that it is due. */
export function whyAlive(verdict: Pick<ServerDecision, "decision" | "reason">): string {
  return verdict.decision === "delete"
    ? `sweep due (${verdict.reason})`
    : WHY[verdict.reason] ?? verdict.reason;
}

/** Whole minutes once a wait is longer than ten minutes: a table is read at a glance. */
export function roughly(ms: number): string {
  return formatDurationMs(ms >= 600_000 ? Math.round(ms / 60_000) * 60_000 : ms);
}

/** ` location=fsn1` for a result line, or nothing where the box has no location (a static host). */
export function locationField(location: string | null): string {
  return location === null ? "" : ` location=${location}`;
}

function expiryText(expiresAt: string | null, ttlDeadline: string | null, nowMs: number): string {
  if (!expiresAt) return "unknown";
  const expires = Date.parse(expiresAt) - nowMs;
  const when = expires >= 0 ? `in ${roughly(expires)}` : `${roughly(-expires)} ago`;
  if (!ttlDeadline) return when;
  const ttl = Date.parse(ttlDeadline) - nowMs;
  return `${when} (ttl ${ttl >= 0 ? roughly(ttl) : "passed"})`;
}
