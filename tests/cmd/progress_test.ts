/**
 * Live progress and colour through the whole CLI in process. Piped, a warmup whose box never answers
 * prints byte for byte what it always printed; on a TTY the same run shows one spinner line instead
 * of the waiting lines, leaves no frame behind and stops its timer on every exit (error, signal,
 * second signal). Colour follows NO_COLOR, --no-color and FORCE_COLOR.
 */
import assert from "node:assert/strict";
import type { Harnessed } from "./_fakes.ts";
import { leaseLabels, quietCli } from "./_setup.ts";
import { screen, stripColor } from "./_screen.ts";
import { CLEAR_LINE } from "../../core/spinner.ts";

const LEASE = "cbx_0b30557a9fc4";
const ATTEMPT = (server: number) => [
  `crabbox: lease ${LEASE} slug=pearl-shrimp (new) class=tiny owner=alice_laptop`,
  "crabbox: leasing ccx13 in fsn1 at €0.0200/h (net, estimate)",
  `crabbox: created server ${server} crabbox-pearl-shrimp-0b43a09a type=ccx13 location=fsn1; stop with: crabbox stop ${LEASE}`,
  "crabbox: waiting for ssh on 203.0.113.7 (bootstrap) elapsed=10.0s remaining=5.0s ports=2222:closed,22:closed",
  `crabbox: rolling back ${LEASE} (deleting server ${server})`,
  `crabbox: rolled back ${LEASE}: server ${server} deleted`,
];
/** What this warmup printed before the spinner existed (the fakes make every id deterministic). */
const PIPED_STDERR = [
  ...ATTEMPT(1001),
  `crabbox: warning: bootstrap timed out on ${LEASE}; retrying once with a fresh lease`,
  ...ATTEMPT(1003),
  `crabbox: error: timed out after 15.0s waiting for ${LEASE} to become ready (ports=2222:closed,22:closed)`,
  "crabbox: hint: retry, or raise --bootstrap-timeout if boots are slow in this location",
].map((line) => line + "\n").join("");

const WARMUP = ["warmup", "--class", "tiny", "--bootstrap-timeout", "15s"];

/** No ssh multiplexing: an in-process run must not create a control-socket dir under the real /tmp. */
const cli = (env: Record<string, string> = {}): Promise<Harnessed> => quietCli({ env });

/** stderr a terminal; each sleep lets time pass for the frame timer too (then `during` may act). */
function onTerminal(harnessed: Harnessed, during: (sleeps: number) => void = () => {}): void {
  harnessed.io.stderrIsTTY = true;
  harnessed.io.columns = 120;
  const sleep = harnessed.clock.sleep;
  let sleeps = 0;
  harnessed.clock.sleep = async (ms, signal) => {
    await sleep(ms, signal);
    harnessed.clock.tick();
    during(++sleeps);
  };
}

Deno.test("piped: a warmup that never gets ssh prints exactly the lines it always did", async () => {
  const harnessed = await cli();
  try {
    const result = await harnessed.run(...WARMUP);
    assert.equal(result.code, 5);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, PIPED_STDERR);
    assert.equal(harnessed.clock.timers.size, 0, "no frame timer piped");
  } finally {
    await harnessed.cleanup();
  }
});

Deno.test("TTY: one spinner line instead of the waiting lines; the error replaces it; the timer stops", async () => {
  const harnessed = await cli({ NO_COLOR: "1" });
  onTerminal(harnessed);
  try {
    const result = await harnessed.run(...WARMUP);
    assert.equal(result.code, 5);
    const frames = result.stderr.split(CLEAR_LINE).slice(1).map((frame) => frame.split("\n")[0]);
    assert.ok(
      frames.some((f) =>
        /^crabbox: [-\\|/] ssh \d+\.\ds · waiting for ssh on 203\.0\.113\.7 \(bootstrap\)$/.test(f)
      ),
    );
    assert.ok(frames.some((f) => /^crabbox: [-\\|/] rollback \d+\.\ds · deleting server 1001$/.test(f)));
    const permanent = PIPED_STDERR.split("\n").filter((line) => !line.includes("elapsed="));
    assert.deepEqual(screen(result.stderr), permanent, "the screen holds the lines and no frame");
    assert.equal(harnessed.clock.timers.size, 0);
  } finally {
    await harnessed.cleanup();
  }
});

Deno.test("TTY: --quiet and CI keep the old plain behaviour (no frame, no timer)", async () => {
  for (
    const [env, args, expected] of [
      [
        { NO_COLOR: "1" },
        ["--quiet", ...WARMUP],
        PIPED_STDERR.split("\n").filter((l) => !/^crabbox: (?!warning|error|hint)/.test(l)),
      ],
      [{ CI: "true", NO_COLOR: "1" }, WARMUP, PIPED_STDERR.split("\n")],
    ] as const
  ) {
    const harnessed = await cli(env);
    onTerminal(harnessed);
    try {
      const result = await harnessed.run(...args);
      assert.equal(result.code, 5);
      assert.equal(result.stderr, expected.join("\n"), args.join(" "));
      assert.equal(harnessed.clock.timers.size, 0);
    } finally {
      await harnessed.cleanup();
    }
  }
});

Deno.test("TTY: Ctrl-C mid-wait rolls back under the spinner and ends with a clean line", async () => {
  const harnessed = await cli({ NO_COLOR: "1" });
  onTerminal(harnessed, (sleeps) => sleeps === 3 && harnessed.signals.raise("SIGINT"));
  try {
    const result = await harnessed.run(...WARMUP);
    assert.equal(result.code, 130);
    const shown = screen(result.stderr);
    assert.ok(
      shown.includes("crabbox: interrupted by SIGINT; cleaning up (a second signal exits at once)"),
      shown.join("\n"),
    );
    assert.ok(shown.includes(`crabbox: rolled back ${LEASE}: server 1001 deleted`));
    assert.equal(shown.at(-1), "", "no frame left on the last line");
    assert.equal(harnessed.clock.timers.size, 0);
  } finally {
    await harnessed.cleanup();
  }
});

Deno.test("TTY: a second signal clears the spinner before the leftovers note and the immediate exit", async () => {
  const harnessed = await cli({ NO_COLOR: "1" });
  let atExit: { stderr: string; timers: number } | null = null;
  const exitNow = harnessed.signals.exitNow;
  harnessed.signals.exitNow = (code) => {
    atExit ??= { stderr: harnessed.io.stderr, timers: harnessed.clock.timers.size };
    return exitNow(code);
  };
  onTerminal(harnessed, (sleeps) => {
    if (sleeps !== 3) return;
    harnessed.signals.raise("SIGINT");
    harnessed.signals.raise("SIGINT");
  });
  try {
    await harnessed.run(...WARMUP);
    assert.deepEqual(harnessed.signals.exits, [130]);
    assert.ok(atExit, "exitNow was called");
    const { stderr, timers } = atExit as { stderr: string; timers: number };
    assert.equal(timers, 0, "the timer stopped before the exit");
    const shown = screen(stderr);
    assert.match(shown.at(-2)!, new RegExp(`crabbox stop ${LEASE}`), "the leftovers note is a plain line");
    assert.equal(shown.at(-1), "", "no frame left behind");
  } finally {
    await harnessed.cleanup();
  }
});

/** Runs each argv on a CLI with two leases and this environment. */
async function withLeases(env: Record<string, string>, ...runs: string[][]) {
  const harnessed = await cli(env);
  try {
    harnessed.hetzner.addServer({
      id: 1,
      name: "a",
      labels: leaseLabels("cbx_0123456789ab", "violet-prawn"),
    });
    harnessed.hetzner.addServer({
      id: 2,
      name: "b",
      labels: leaseLabels("cbx_0123456789ac", "pearl-shrimp", { state: "running" }),
    });
    const results = [];
    for (const argv of runs) results.push(await harnessed.run(...argv));
    return results;
  } finally {
    await harnessed.cleanup();
  }
}

Deno.test("colour: FORCE_COLOR colours a piped table's states aligned as before; NO_COLOR, --no-color, --json win", async () => {
  const [plain, plainDoctor] = await withLeases({}, ["list"], ["doctor", "--offline"]);
  assert.ok(!plain.stdout.includes("\x1b") && !plainDoctor.stdout.includes("\x1b"), "piped: no colour");
  const [coloured, doctor, status, unknown, noColor, json, early] = await withLeases(
    { FORCE_COLOR: "1" },
    ["list"],
    ["doctor", "--offline"],
    ["status", "violet-prawn"],
    ["list", "--bogus"],
    ["--no-color", "list"],
    ["list", "--json"],
    ["--no-color", "list", "--bogus"],
  );
  assert.ok(coloured.stdout.includes("\x1b[32mready\x1b[39m  "), coloured.stdout);
  assert.ok(coloured.stdout.includes("\x1b[34mrunning\x1b[39m"), coloured.stdout);
  assert.equal(stripColor(coloured.stdout), plain.stdout, "same text and alignment");
  const starts = doctor.stdout.split("\n").map((line) => line.slice(0, 20));
  assert.ok(starts.some((start) => start.startsWith("\x1b[32mok\x1b[39m     ")), doctor.stdout);
  assert.ok(starts.some((start) => start.startsWith("\x1b[2mskip\x1b[22m   ")), doctor.stdout);
  const sameHome = (text: string) => text.replaceAll(/crabbox-cmd-[0-9a-f]+/g, "HOME");
  assert.equal(sameHome(stripColor(doctor.stdout)), sameHome(plainDoctor.stdout));
  assert.ok(status.stdout.includes("state=\x1b[32mready\x1b[39m keep=false"), status.stdout);
  assert.ok(
    unknown.stderr.startsWith("crabbox: \x1b[31merror:\x1b[39m unknown option '--bogus'"),
    unknown.stderr,
  );
  assert.equal(noColor.stdout, plain.stdout, "--no-color beats FORCE_COLOR");
  assert.ok(!json.stdout.includes("\x1b"), "--json is never coloured");
  assert.match(
    early.stderr,
    /^crabbox: error: unknown option '--bogus'/,
    "--no-color holds for parse errors",
  );
  const [off] = await withLeases({ FORCE_COLOR: "1", NO_COLOR: "1" }, ["list"]);
  assert.equal(off.stdout, plain.stdout, "NO_COLOR beats FORCE_COLOR");
});
