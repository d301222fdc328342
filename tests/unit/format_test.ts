import assert from "node:assert/strict";
import { formatDurationMs, parseDuration } from "../../core/duration.ts";
import { formatBytes, formatClock, formatCount, formatIso, shellQuote } from "../../core/format.ts";

Deno.test("duration syntax (SPEC §2.4)", () => {
  const ok: [string, number][] = [["90m", 5400], ["1h30m", 5400], ["45s", 45], ["168h", 604800], [
    "1h1m1s",
    3661,
  ]];
  for (const [text, secs] of ok) assert.equal(parseDuration(text), secs, text);
  for (const bad of ["", "90", "1.5h", "m", "10 m", "1d", "-5m"]) {
    assert.throws(() => parseDuration(bad), bad);
  }
});

Deno.test("compact duration printing", () => {
  const rows: [number, string][] = [[5_400_000, "1h30m"], [2_700_000, "45m"], [102_000, "1m42s"], [
    3_200,
    "3.2s",
  ], [0, "0.0s"]];
  for (const [ms, text] of rows) assert.equal(formatDurationMs(ms), text);
});

Deno.test("sizes, counts, times, shell words", () => {
  assert.equal(formatBytes(12_897_485), "12.3 MiB");
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatCount(162004), "162,004");
  assert.equal(formatIso(Date.parse("2026-05-01T12:00:00.750Z")), "2026-05-01T12:00:00Z");
  assert.equal(formatClock(Date.parse("2026-05-01T12:35:00Z")), "12:35:00Z");
  assert.equal(shellQuote("pnpm"), "pnpm");
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
});
