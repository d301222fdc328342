/** SPEC §7.1, row by row, plus the key rules of §7.3. */
import assert from "node:assert/strict";
import { decideServer, decideSshKeys } from "../../labels/sweep.ts";

const NOW = Date.parse("2026-05-01T14:00:00Z");
const secs = (iso: string) => String(Date.parse(iso) / 1000);
const base = {
  crabbox: "true",
  created_by: "crabbox",
  provider: "hetzner",
  lease: "cbx_0123456789ab",
  slug: "violet-prawn",
  keep: "false",
  state: "ready",
  ttl_secs: "5400",
  expires_at: secs("2026-05-01T13:30:00Z"),
};
const created = Date.parse("2026-05-01T12:00:00Z");
const GRACE = 3600;

Deno.test("sweep decision table", () => {
  const rows: [string, Record<string, string | undefined>, number, string, string][] = [
    ["1 foreign", { created_by: "someone" }, created, "skip", "not_canonical"],
    ["1 bad lease", { lease: "cbx_XYZ" }, created, "skip", "not_canonical"],
    [
      "2 failed",
      { state: "failed", expires_at: secs("2026-05-01T20:00:00Z") },
      created,
      "delete",
      "terminal_state",
    ],
    ["2 released", { state: "released" }, created, "delete", "terminal_state"],
    ["2 expired (legacy)", { state: "expired" }, created, "delete", "terminal_state"],
    ["3 keep past ttl", { keep: "true" }, created, "delete", "ttl_exceeded"],
    ["3 keep within ttl", { keep: "true" }, Date.parse("2026-05-01T13:00:00Z"), "skip", "keep_within_ttl"],
    [
      "3 keep running gets grace",
      { keep: "true", state: "running" },
      Date.parse("2026-05-01T12:00:00Z"),
      "skip",
      "keep_within_ttl",
    ],
    ["3 keep without ttl", { keep: "true", ttl_secs: undefined }, created, "skip", "missing_ttl"],
    ["4 no expires_at", { expires_at: undefined }, created, "skip", "missing_expires_at"],
    ["4 garbage expires_at", { expires_at: "soon" }, created, "skip", "missing_expires_at"],
    ["5 running in grace", { state: "running" }, created, "skip", "in_grace"],
    [
      "5 running past grace",
      { state: "running", expires_at: secs("2026-05-01T12:59:00Z") },
      created,
      "delete",
      "expired_past_grace",
    ],
    [
      "5 provisioning past grace",
      { state: "provisioning", expires_at: secs("2026-05-01T12:30:00Z") },
      created,
      "delete",
      "expired_past_grace",
    ],
    ["6 ready expired", {}, created, "delete", "expired"],
    [
      "6 leased not expired",
      { state: "leased", expires_at: secs("2026-05-01T14:10:00Z") },
      created,
      "skip",
      "not_expired",
    ],
    ["6 unknown state expired", { state: "" }, created, "delete", "expired"],
    ["6 active (legacy) expired", { state: "active" }, created, "delete", "expired"],
  ];
  for (const [name, patch, createdMs, decision, reason] of rows) {
    const labels = Object.fromEntries(
      Object.entries({ ...base, ...patch }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    const verdict = decideServer({ labels, createdMs }, NOW, GRACE);
    assert.deepEqual([verdict.decision, verdict.reason], [decision, reason], name);
  }
});

Deno.test("the decision follows the Hetzner time it is given, whatever the local clock says", () => {
  const labels = { ...base, expires_at: secs("2026-05-01T14:30:00Z") };
  // A laptop an hour ahead passes its own clock in error; crabbox passes Hetzner time (now) instead.
  assert.equal(decideServer({ labels, createdMs: created }, NOW, GRACE).decision, "skip");
  assert.equal(decideServer({ labels, createdMs: created }, NOW + 3600_000, GRACE).decision, "delete");
  assert.equal(decideServer({ labels, createdMs: created }, NOW - 3600_000, GRACE).decision, "skip");
});

Deno.test("key rules: gone lease after 1h, deleted lease at once, live lease kept", () => {
  const key = (id: number, name: string, createdMs: number, lease?: string) => ({
    id,
    name,
    publicKey: "",
    fingerprint: "",
    labels: (lease ? { lease } : {}) as Record<string, string>,
    createdMs,
  });
  const verdicts = decideSshKeys(
    [
      key(1, "crabbox-cbx-aaaaaaaaaaaa", NOW - 7200_000),
      key(2, "crabbox-cbx-bbbbbbbbbbbb", NOW - 60_000),
      key(3, "crabbox-cbx-cccccccccccc", NOW - 60_000, "cbx_cccccccccccc"),
      key(4, "crabbox-cbx-dddddddddddd", NOW - 7200_000),
      key(5, "my-laptop", NOW - 7200_000),
    ],
    new Set(["cbx_dddddddddddd"]),
    new Set(["cbx_cccccccccccc"]),
    NOW,
  );
  assert.deepEqual(verdicts.map((v) => [v.key.id, v.decision, v.reason]), [
    [1, "delete", "lease_gone"],
    [2, "skip", "too_new"],
    [3, "delete", "lease_deleted"],
    [4, "skip", "lease_alive"],
    [5, "skip", "not_canonical"],
  ]);
});

Deno.test("sweep: a static host's record (provider=ssh) follows the same rules; a foreign provider is skipped", () => {
  const rows: [string, string, string][] = [
    ["hetzner", "delete", "expired"],
    ["ssh", "delete", "expired"],
    ["aws", "skip", "not_canonical"],
  ];
  for (const [provider, decision, reason] of rows) {
    const got = decideServer({ labels: { ...base, provider }, createdMs: created }, NOW, GRACE);
    assert.deepEqual([got.decision, got.reason], [decision, reason], provider);
  }
  const fresh = { ...base, provider: "ssh", expires_at: secs("2026-05-01T15:00:00Z") };
  assert.equal(decideServer({ labels: fresh, createdMs: created }, NOW, GRACE).decision, "skip");
});
