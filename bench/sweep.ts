/**
 * P5 of issue 10: `crabbox sweep` over 1k/4k paper servers (1 % expired, every box with its SSH key, as
 * crabbox leaves them), counted from the fake's request log. The goal is ceil(N/50) + 1 list pages and one
 * delete per expired box; SPEC §7.1 also deletes each box's key first, so the limit counts that delete too.
 * Printed, never asserted.
 */
import type { Harness } from "../tests/harness/harness.ts";
import { ownedLabels, type Sandbox } from "../tests/e2e/_cli.ts";

export interface SweepRow {
  servers: number;
  expired: number;
  flags: string;
  requests: number;
  lists: number;
  deletes: number;
  /** Requests the goal allows: its list pages, one delete per expired box and one per its key. */
  limit: number;
  ms: number;
}

const hex = (i: number) => i.toString(16).padStart(12, "0");

export async function benchSweep(harness: Harness, box: Sandbox, sizes: number[]): Promise<SweepRow[]> {
  const fake = harness.fake;
  const rows: SweepRow[] = [];
  for (const size of sizes) {
    for (const flags of [[], ["--no-keys"]]) {
      const nowSecs = Math.floor(fake.now() / 1000);
      const expired = Math.ceil(size / 100);
      const leases = Array.from({ length: size }, (_, i) => "cbx_" + hex(0xb000000 + i));
      const ids = fake.addPaperServers(
        size,
        (i) => ownedLabels(leases[i], { expires_at: String(i % 100 === 0 ? nowSecs - 60 : nowSecs + 3600) }),
      );
      leases.forEach((lease, i) =>
        fake.keys.set(90_000_000 + i, {
          id: 90_000_000 + i,
          name: `crabbox-${lease.replace("_", "-")}`,
          public_key: `ssh-ed25519 AAAA${i}`,
          fingerprint: `00:${i}`,
          labels: { crabbox: "true", created_by: "crabbox", lease },
          created: new Date(fake.now()).toISOString(),
        })
      );
      const start = fake.log.length;
      const started = performance.now();
      const result = await box.crabbox(["sweep", "--json", "--no-local", ...flags]);
      const ms = performance.now() - started;
      if (result.code !== 0) throw new Error(`sweep: ${result.stderr}`);
      const log = fake.log.slice(start);
      rows.push({
        servers: size,
        expired,
        flags: flags.join(" "),
        requests: log.length,
        lists: log.filter((r) => r.method === "GET").length,
        deletes: log.filter((r) => r.method === "DELETE").length,
        limit: Math.ceil(size / 50) + 1 + 2 * expired,
        ms,
      });
      for (const id of ids) fake.servers.delete(id);
      leases.forEach((_, i) => fake.keys.delete(90_000_000 + i));
    }
  }
  return rows;
}

/** The goal's name, as the table prints it. */
export const sweepGoal = (row: SweepRow) =>
  `P5 \`sweep${row.flags ? " " + row.flags : ""}\`, ${
    row.servers / 1000
  }k servers (${row.expired} expired), requests`;
