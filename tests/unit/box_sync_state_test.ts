import assert from "node:assert/strict";
import { type BoxSyncState, parseBoxSyncState } from "../../sync/box_sync_state.ts";

const none = { fingerprint: null, source: null, hydratedAt: null };

Deno.test("box sync state: what sync_state.sh prints, line by line", () => {
  const table: [string, BoxSyncState][] = [
    ["", { ...none, hasRecords: true }],
    ["records none\n", { ...none, hasRecords: false }],
    ["fp1 laptop:/r\n", { ...none, fingerprint: "fp1", source: "laptop:/r", hasRecords: true }],
    [
      "fp1 laptop:/r\nhydrated abc123\n",
      { fingerprint: "fp1", source: "laptop:/r", hydratedAt: "abc123", hasRecords: true },
    ],
    // A sync cut short removes the fingerprint but keeps the records it trusts.
    ["hydrated abc123\n", { ...none, hydratedAt: "abc123", hasRecords: true }],
    ["hydrated abc123\nrecords none", { ...none, hydratedAt: "abc123", hasRecords: false }],
    ["fp1 laptop:/r\nrecords none\n", {
      ...none,
      fingerprint: "fp1",
      source: "laptop:/r",
      hasRecords: false,
    }],
    ["fp1\n", { ...none, fingerprint: "fp1", hasRecords: true }],
  ];
  for (const [text, expected] of table) {
    assert.deepEqual(parseBoxSyncState(text), expected, JSON.stringify(text));
  }
});
