/**
 * The automatic sweep's throttle (SPEC §7.3: at most once per 5 minutes per endpoint) is measured in
 * Hetzner time, so a skewed or jumping laptop clock neither disables it nor runs it on every
 * invocation (ISSUE 8 #12). Each row is a series of invocations: Hetzner time and the local clock.
 */
import assert from "node:assert/strict";
import { startAutoSweep, sweepDue } from "../../lease/auto_sweep.ts";
import { Output } from "../../core/output.ts";
import { Redactor } from "../../core/redact.ts";
import type { Deps } from "../../core/deps.ts";
import { CapturedIo, fakeCli, type Harnessed, type ManualClock, MemoryHetzner } from "../cmd/_fakes.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const T0 = Date.parse("2026-05-01T12:00:00Z");

/** Hetzner's clock (what the Date header says) set apart from the local one. */
class SkewedHetzner extends MemoryHetzner {
  apiMs = T0;
  constructor(clock: ManualClock) {
    super(clock);
  }
  override now(): number {
    return this.apiMs;
  }
}

interface Row {
  name: string;
  /** One invocation per entry: minutes after T0 in Hetzner time, and the local clock's error then. */
  invocations: { apiMinute: number; localSkewMs: number }[];
  /** Which invocations sweep. */
  sweeps: boolean[];
}

const steady = (skew: number) =>
  [0, 1, 2, 3, 4, 5, 6, 9, 10, 11].map((apiMinute) => ({ apiMinute, localSkewMs: skew }));

const rows: Row[] = [
  {
    name: "a correct clock: minute 0, then again from minute 5, then from minute 10",
    invocations: steady(0),
    sweeps: [true, false, false, false, false, true, false, false, true, false],
  },
  {
    name: "a clock 3 days fast",
    invocations: steady(3 * DAY),
    sweeps: [true, false, false, false, false, true, false, false, true, false],
  },
  {
    name: "a clock that was 3 days fast and then corrected does not disable the sweep",
    invocations: [
      { apiMinute: 0, localSkewMs: 3 * DAY },
      { apiMinute: 6, localSkewMs: 0 },
      { apiMinute: 8, localSkewMs: 0 },
      { apiMinute: 12, localSkewMs: 0 },
    ],
    sweeps: [true, true, false, true],
  },
  {
    name: "a clock that races a day ahead per invocation does not sweep every time",
    invocations: [0, 1, 2, 3, 4, 5, 6].map((apiMinute) => ({ apiMinute, localSkewMs: apiMinute * DAY })),
    sweeps: [true, false, false, false, false, true, false],
  },
  {
    name: "a clock jumping back and forth by hours",
    invocations: [0, 1, 2, 3, 4, 5].map((apiMinute) => ({
      apiMinute,
      localSkewMs: (apiMinute % 2 ? -1 : 1) * 5 * 60 * MINUTE,
    })),
    sweeps: [true, false, false, false, false, true],
  },
];

for (const row of rows) {
  Deno.test(`automatic sweep throttle in Hetzner time: ${row.name}`, async () => {
    const cli = await fakeCli();
    try {
      const api = new SkewedHetzner(cli.clock);
      const out = quietOut();
      const swept: boolean[] = [];
      for (const { apiMinute, localSkewMs } of row.invocations) {
        api.apiMs = T0 + apiMinute * MINUTE;
        cli.clock.nowMs = api.apiMs + localSkewMs;
        const before = api.calls.filter((c) => c === "listServers").length;
        const running = startAutoSweep(
          withLocalClock(cli),
          api,
          out,
          settings("https://api.hetzner.cloud/v1"),
        );
        await running.finish();
        swept.push(api.calls.filter((c) => c === "listServers").length > before);
      }
      assert.deepEqual(swept, row.sweeps);
    } finally {
      await cli.cleanup();
    }
  });
}

Deno.test("sweepDue: stamps in Hetzner ms against now and a 5-minute interval", () => {
  const cases: [unknown, number, boolean][] = [
    [undefined, T0, true],
    ["1777636800000", T0, true],
    [Number.NaN, T0, true],
    [T0, T0, false],
    [T0 - 5 * MINUTE + 1, T0, false],
    [T0 - 5 * MINUTE, T0, true],
    [T0 - 3 * DAY, T0, true],
    [T0 + 30_000, T0, false],
    [T0 + 5 * MINUTE, T0, false],
    [T0 + 5 * MINUTE + 1, T0, true],
    [T0 + 3 * DAY, T0, true],
  ];
  for (const [last, now, due] of cases) assert.equal(sweepDue(last, now, 5 * MINUTE), due, String(last));
});

Deno.test("a stamp an older crabbox wrote with a fast local clock does not hold the sweep off", async () => {
  const cli = await fakeCli();
  try {
    const api = new SkewedHetzner(cli.clock);
    const endpoint = "https://api.hetzner.cloud/v1";
    const dir = `${cli.home}/.local/state/crabbox`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/sweep.json`, JSON.stringify({ [endpoint]: T0 + 3 * DAY }));
    const running = startAutoSweep(withLocalClock(cli), api, quietOut(), settings(endpoint));
    await running.finish();
    assert.deepEqual(api.calls, [
      "listServers",
      "listSshKeys",
      "listNetworks",
      "listFirewalls",
      "listImages",
    ]);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/sweep.json`)), { [endpoint]: T0 });
  } finally {
    await cli.cleanup();
  }
});

/** clockSynced resolves only when the test says the command's first answer arrived. */
class UnsyncedHetzner extends SkewedHetzner {
  readonly answered = Promise.withResolvers<void>();
  readonly listed = Promise.withResolvers<void>();
  override listServers(query: { labelSelector?: string; name?: string }) {
    this.listed.resolve();
    return super.listServers(query);
  }
  override clockSynced(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    return new Promise((resolve, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      void this.answered.promise.then(resolve);
    });
  }
}

Deno.test("the throttle waits for the first answer's clock, and a command without one is not held up", async () => {
  const cli = await fakeCli();
  try {
    const api = new UnsyncedHetzner(cli.clock);
    const stuck = withLocalClock(cli);
    const debug: string[] = [];
    const out = new Output(new CapturedIo(), new Redactor(), { quiet: false, debug: true, json: false });
    out.debug = (message: string) => void debug.push(message);
    const idle = startAutoSweep(stuck, api, out, settings("e"));
    await idle.finish();
    assert.deepEqual(api.calls, [], "no answer, no sweep, and finish() did not wait out the budget");
    assert.deepEqual(debug, ["automatic sweep skipped: no answer from Hetzner to set the clock"]);

    api.apiMs = T0 + 7 * MINUTE;
    // The budget timer never fires: finish() ends when the sweep's work does.
    const running = startAutoSweep(stuck, api, quietOut(), settings("e"));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.deepEqual(api.calls, [], "nothing before the clock is known");
    api.answered.resolve();
    await api.listed.promise;
    await running.finish();
    assert.deepEqual(api.calls, [
      "listServers",
      "listSshKeys",
      "listNetworks",
      "listFirewalls",
      "listImages",
    ]);
    const stamps = JSON.parse(await Deno.readTextFile(`${cli.home}/.local/state/crabbox/sweep.json`));
    assert.deepEqual(stamps, { e: T0 + 7 * MINUTE }, "stamped in Hetzner time");
  } finally {
    await cli.cleanup();
  }
});

/**
 * The CLI's deps with the test's local clock, whose sleeps end only when aborted: the budget timer
 * never fires, so finish() returns exactly when the sweep's work is over (or was never started).
 */
function withLocalClock(cli: Harnessed): Deps {
  const sleep = (_ms: number, signal?: AbortSignal) =>
    new Promise<void>((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
  return { ...cli.deps, clock: { now: () => cli.clock.nowMs, sleep, every: cli.clock.every } };
}

function quietOut(): Output {
  return new Output(new CapturedIo(), new Redactor(), { quiet: false, debug: false, json: false });
}

function settings(endpoint: string) {
  return {
    endpoint,
    graceSecs: 3600,
    budgetMs: 10_000,
    minIntervalMs: 5 * MINUTE,
    protectLeaseIds: new Set<string>(),
  };
}
