/** SPEC §8.3 steps 2–3: which pool boxes a claim tries, and in what order. */
import assert from "node:assert/strict";
import { rankPoolCandidates } from "../../lease/pool_rank.ts";
import type { Server } from "../../providers/hetzner/port.ts";

const NOW = Date.parse("2026-05-01T14:00:00Z");
const ago = (minutes: number) => String(Math.floor((NOW - minutes * 60_000) / 1000));

function server(id: number, labels: Record<string, string>, ipv4: string | null = "10.0.0.1"): Server {
  return {
    id,
    name: `crabbox-box-${id}`,
    status: "running",
    createdMs: NOW - 30 * 60_000,
    ipv4,
    serverType: "ccx13",
    location: "fsn1",
    labels: {
      crabbox: "true",
      created_by: "crabbox",
      provider: "hetzner",
      lease: `cbx_${String(id).padStart(12, "0")}`,
      slug: `box-${id}`,
      pool: "agents",
      state: "ready",
      ttl_secs: "5400",
      idle_timeout_secs: "1800",
      expires_at: String(Math.floor(NOW / 1000) + 600),
      last_touched_at: ago(1),
      ...labels,
    },
  };
}

Deno.test("pool claim order: ready boxes by last touch, then boxes whose holder stopped beating", () => {
  const rows: [string, Server[], [number, boolean][]][] = [
    ["empty pool", [], []],
    ["one ready", [server(1, {})], [[1, false]]],
    ["ready most recent first", [server(1, { last_touched_at: ago(9) }), server(2, {})], [[2, false], [
      1,
      false,
    ]]],
    [
      "running, touched 4m ago: a live holder",
      [server(1, { state: "running", last_touched_at: ago(4) })],
      [],
    ],
    ["running, touched 11m ago (2 × 5m beats)", [server(1, { state: "running", last_touched_at: ago(11) })], [
      [
        1,
        true,
      ],
    ]],
    ["leased, short idle: beats every 1m", [
      server(1, { state: "leased", idle_timeout_secs: "180", last_touched_at: ago(3) }),
    ], [[
      1,
      true,
    ]]],
    ["stale after ready, oldest first", [
      server(1, { state: "running", last_touched_at: ago(20) }),
      server(2, { state: "running", last_touched_at: ago(40) }),
      server(3, {}),
    ], [[3, false], [2, true], [1, true]]],
    ["other pool", [server(1, { pool: "ci" })], []],
    ["no IPv4 yet", [server(1, {}, null)], []],
    ["past idle expiry", [server(1, { expires_at: String(Math.floor(NOW / 1000) - 1) })], []],
    ["past ttl", [server(1, { ttl_secs: "1200" })], []],
    ["provisioning is not claimable", [server(1, { state: "provisioning" })], []],
    ["released is not claimable", [server(1, { state: "released", last_touched_at: ago(60) })], []],
    ["not crabbox-owned", [server(1, { created_by: "terraform" })], []],
  ];
  for (const [name, servers, expected] of rows) {
    const ranked = rankPoolCandidates(servers, "agents", NOW).map((c) => [c.server.id, c.reclaim]);
    assert.deepEqual(ranked, expected, name);
  }
});
