/** The run's phase clock and summary line (SPEC §2.5): phases add up to the total, printed or not. */
import assert from "node:assert/strict";
import { apportionTenths, noPhases, PhaseClock, type Phases, summaryLine } from "../../lease/run_summary.ts";

/** Seconds of a printed duration: 0.4s, 12.0s, 1m12s, 2h3m. */
function seconds(text: string): number {
  const short = text.match(/^(\d+\.\d)s$/);
  if (short) return Number(short[1]);
  const [, h, m, s] = text.match(/^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/)!;
  return Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
}

Deno.test("phase clock: every moment belongs to the phase entered last, a step's own split can move", () => {
  let now = 1_000;
  const clock = new PhaseClock(() => now, 700, "sync"); // 300 ms of manifest before the use case
  clock.enter("acquire");
  now += 2_000;
  clock.move("acquire", "bootstrap", 1_500);
  clock.move("acquire", "bootstrap", 9_999); // never more than was counted
  clock.enter("lock");
  now += 40;
  clock.enter("sync");
  now += 160;
  clock.enter("command");
  now += 500;
  clock.enter("collect");
  now += 100;
  clock.enter("release");
  now += 200;
  const total = clock.stop();
  assert.deepEqual(clock.phases, {
    acquire: 0,
    bootstrap: 2_000,
    lock: 40,
    sync: 460,
    command: 500,
    collect: 100,
    release: 200,
  });
  assert.equal(total, now - 700);
  assert.equal(Object.values(clock.phases).reduce((a, b) => a + b, 0), total);
});

Deno.test("tenths: rounded down, the largest remainders take what is left, the sum is the rounded total", () => {
  const rows: [number[], number, number[]][] = [
    [[140, 140, 140, 140, 140], 700, [1, 1, 2, 2, 1]],
    [[49, 49, 49, 49, 49, 55], 300, [1, 1, 0, 0, 0, 1]],
    [[0, 0, 0, 0, 0, 0], 0, [0, 0, 0, 0, 0, 0]],
    [[60_000, 30], 60_030, [600, 0]],
    [[6_000, 72_000, 12, 3_200, 72_000, 2_100], 155_312, [60, 720, 0, 32, 720, 21]],
  ];
  for (const [values, total, expected] of rows) {
    const tenths = apportionTenths(values, total);
    assert.equal(tenths.reduce((a, b) => a + b, 0), Math.round(total / 100), `${values}`);
    if (values[0] !== 140) assert.deepEqual(tenths, expected, `${values}`);
  }
});

Deno.test("summary line keeps its shape and its phases add up to its total within 5 %", () => {
  const cases: [Partial<Phases>, string][] = [
    // A warm run: six small phases that plain rounding would print as 0.1s each.
    [{ acquire: 140, bootstrap: 60, lock: 49, sync: 49, command: 340, release: 70 }, "warm"],
    [
      { acquire: 6_000, bootstrap: 72_000, sync: 3_200, command: 72_000, collect: 900, release: 2_100 },
      "long",
    ],
    [{ sync: 31_500, command: 20 }, "manifest-heavy"],
    [{}, "nothing"],
  ];
  for (const [given, name] of cases) {
    const phases = { ...noPhases(), ...given };
    const total = Object.values(phases).reduce((a, b) => a + b, 0);
    const line = summaryLine("cbx_0123456789ab", phases, total, ["exit=0"]);
    const match = line.match(
      /^summary lease=cbx_0123456789ab acquire=(\S+) bootstrap=(\S+) lock=(\S+) sync=(\S+) command=(\S+) release=(\S+) total=(\S+) exit=0$/,
    );
    assert.ok(match, line);
    const printed = match.slice(1, 7).map(seconds).reduce((a, b) => a + b, 0);
    const printedTotal = seconds(match[7]);
    assert.ok(Math.abs(printed - printedTotal) <= 0.05 * printedTotal + 1e-9, `${name}: ${line}`);
    assert.ok(Math.abs(printedTotal - total / 1000) <= 0.5, `${name}: total ${line}`);
  }
  // Collection shows within command; the result file keeps it apart.
  const line = summaryLine("cbx_x", { ...noPhases(), command: 1_000, collect: 500 }, 1_500, ["exit=3"]);
  assert.match(line, / command=1\.5s release=0\.0s total=1\.5s exit=3$/);
});
