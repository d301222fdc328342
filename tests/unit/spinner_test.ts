/**
 * The live progress line, driven frame by frame by a fake clock: when it appears, what each frame
 * says, that permanent lines and results lift it, that remote output ends it before its first byte,
 * that it stops (and never redraws) on every exit, and that each frame is redacted.
 */
import assert from "node:assert/strict";
import { CLEAR_LINE, FRAME_MS, SHOW_AFTER_MS, Spinner, UNICODE_FRAMES } from "../../core/spinner.ts";
import { Output } from "../../core/output.ts";
import { Redactor } from "../../core/redact.ts";
import { decideStyle } from "../../core/terminal_style.ts";
import { CapturedIo } from "../cmd/_fakes.ts";
import { screen } from "../cmd/_screen.ts";

/** now() and every() only; advance() moves time in frame steps and fires each running timer. */
class FrameClock {
  nowMs = 0;
  readonly timers = new Set<() => void>();
  now = () => this.nowMs;
  every = (_ms: number, tick: () => void) => {
    const timer = () => tick();
    this.timers.add(timer);
    return () => void this.timers.delete(timer);
  };
  advance(ms: number): void {
    for (let step = 0; step < ms; step += FRAME_MS) {
      this.nowMs += FRAME_MS;
      for (const timer of [...this.timers]) timer();
    }
  }
}

function spinnerOn(columns: number | null = 100) {
  const clock = new FrameClock();
  let written = "";
  const spinner = new Spinner(
    { write: (text) => (written += text), clock, columns: () => columns },
    { color: false, unicode: true, redact: (text) => text },
  );
  return { clock, spinner, written: () => written };
}

function ttyOutput(env: Record<string, string> = {}, redactor = new Redactor()) {
  const io = new CapturedIo();
  io.stderrIsTTY = true;
  io.stdoutIsTTY = true;
  io.columns = 100;
  const clock = new FrameClock();
  const style = decideStyle({
    stdoutIsTTY: true,
    stderrIsTTY: true,
    env: { LANG: "C.UTF-8", ...env },
    flags: { color: true, quiet: false, json: false },
  });
  const out = new Output(io, redactor, { quiet: false, debug: false, json: false, style }, clock);
  return { io, clock, out };
}

Deno.test("spinner: nothing for the first second, then one line redrawn in place with phase and elapsed", () => {
  const { clock, spinner, written } = spinnerOn();
  spinner.phase("ssh", "waiting for ssh on 10.77.0.2");
  clock.advance(SHOW_AFTER_MS - FRAME_MS);
  assert.equal(written(), "", "a quick step shows no spinner");
  clock.advance(FRAME_MS);
  assert.equal(
    written(),
    `${CLEAR_LINE}crabbox: ${UNICODE_FRAMES[1]} ssh 1.0s · waiting for ssh on 10.77.0.2`,
  );
  clock.advance(2 * FRAME_MS);
  const frames = written().split(CLEAR_LINE).filter(Boolean);
  assert.deepEqual(frames.slice(1), [
    `crabbox: ${UNICODE_FRAMES[2]} ssh 1.1s · waiting for ssh on 10.77.0.2`,
    `crabbox: ${UNICODE_FRAMES[3]} ssh 1.2s · waiting for ssh on 10.77.0.2`,
  ]);
  assert.ok(!written().includes("\n"), "a frame never ends a line");
  // A new phase restarts its clock and is drawn at once.
  spinner.phase("lock", "taking the box lock on cbx_0123456789ab");
  assert.ok(
    written().endsWith(
      `${CLEAR_LINE}crabbox: ${UNICODE_FRAMES[3]} lock 0.0s · taking the box lock on cbx_0123456789ab`,
    ),
  );
  assert.deepEqual(screen(written()), [
    `crabbox: ${UNICODE_FRAMES[3]} lock 0.0s · taking the box lock on cbx_0123456789ab`,
  ]);
});

Deno.test("spinner: lifted lines land above it; stop clears it and ends the timer for good", () => {
  const clock = new FrameClock();
  let written = "";
  const write = (text: string) => (written += text);
  const spinner = new Spinner(
    { write, clock, columns: () => 100 },
    { color: false, unicode: false, redact: (text) => text },
  );
  spinner.lifted(() => write("crabbox: before any frame\n"));
  assert.equal(written, "crabbox: before any frame\n", "nothing to lift yet");
  spinner.phase("create", "creating crabbox-x");
  clock.advance(SHOW_AFTER_MS);
  spinner.lifted(() => write("crabbox: created server 1001\n"));
  assert.deepEqual(screen(written), [
    "crabbox: before any frame",
    "crabbox: created server 1001",
    "crabbox: \\ create 1.0s · creating crabbox-x",
  ]);
  spinner.stop();
  assert.equal(clock.timers.size, 0, "the timer is stopped");
  assert.ok(written.endsWith(CLEAR_LINE));
  const stopped = written;
  spinner.phase("ssh", "later");
  spinner.detail("later still");
  spinner.lifted(() => write("crabbox: after\n"));
  clock.advance(5 * SHOW_AFTER_MS);
  assert.equal(written, stopped + "crabbox: after\n", "a stopped spinner never draws again");
  assert.equal(clock.timers.size, 0);
});

Deno.test("spinner: a long detail is cut to the terminal width, control characters become spaces", () => {
  const { clock, spinner, written } = spinnerOn(60);
  spinner.phase("command", "starting sh -c 'echo one\necho two' and more words");
  clock.advance(SHOW_AFTER_MS);
  const [line] = screen(written());
  assert.equal([...line].length, 59, "one column short of the width: the cursor never wraps");
  assert.ok(line.endsWith("…"));
  assert.equal(line, "crabbox: ⠙ command 1.0s · starting sh -c 'echo one echo tw…");
});

Deno.test("output on a TTY: permanent lines and results above the spinner, the final screen holds no frame", () => {
  const { io, clock, out } = ttyOutput({ NO_COLOR: "1" });
  out.progress("lease cbx_0123456789ab slug=pearl-shrimp (new) class=tiny owner=alice_laptop");
  out.phase("create", "creating crabbox-pearl-shrimp");
  clock.advance(SHOW_AFTER_MS + 300);
  out.progress("created server 1001");
  out.phase("ssh", "waiting for ssh on 10.77.0.2 (bootstrap)");
  clock.advance(10_000);
  // The periodic wait line becomes the spinner's text, not a line.
  out.waiting("waiting for ssh on 10.77.0.2 (bootstrap)", 10_000, "remaining=5m ports=2222:closed");
  out.result("leased cbx_0123456789ab");
  assert.deepEqual(screen(io.stderr + "").slice(0, 2), [
    "crabbox: lease cbx_0123456789ab slug=pearl-shrimp (new) class=tiny owner=alice_laptop",
    "crabbox: created server 1001",
  ]);
  const live = screen(io.stderr).at(-1)!;
  assert.match(live, /^crabbox: \S ssh 10\.0s · waiting for ssh on 10\.77\.0\.2 \(bootstrap\)$/);
  assert.ok(!io.stderr.includes("elapsed="), "no waiting line on a TTY");
  assert.equal(io.stdout, "leased cbx_0123456789ab\n");
  out.endProgress();
  assert.equal(clock.timers.size, 0);
  assert.deepEqual(screen(io.stderr), [
    "crabbox: lease cbx_0123456789ab slug=pearl-shrimp (new) class=tiny owner=alice_laptop",
    "crabbox: created server 1001",
    "",
  ]);
});

Deno.test("output on a TTY: the remote command's first byte clears the spinner, which never comes back", () => {
  const { io, clock, out } = ttyOutput({ NO_COLOR: "1" });
  out.phase("command", "starting make test");
  clock.advance(2 * SHOW_AFTER_MS);
  const beforeOutput = io.stderr.length;
  out.remoteStderr(new TextEncoder().encode("partial line without newline"));
  assert.equal(io.stderr.slice(beforeOutput), `${CLEAR_LINE}partial line without newline`);
  assert.equal(clock.timers.size, 0, "no timer while the command streams");
  out.phase("release", "deleting server 1001");
  clock.advance(5 * SHOW_AFTER_MS);
  out.progress("released cbx_0123456789ab");
  assert.equal(
    io.stderr.slice(beforeOutput),
    `${CLEAR_LINE}partial line without newline` + "crabbox: released cbx_0123456789ab\n",
    "the remote's partial line is never erased",
  );
});

Deno.test("output on a TTY: every frame is redacted, even one cut in the middle of the secret", () => {
  const secret = "s3cr3t-value-0123456789abcdef";
  const redactor = new Redactor();
  redactor.add(secret);
  const { io, clock, out } = ttyOutput({ NO_COLOR: "1" }, redactor);
  // At 100 columns the cut falls inside the secret: redaction must come before the cut.
  out.phase("command", `starting env ${"A".repeat(60)} TOKEN=${secret}`);
  clock.advance(SHOW_AFTER_MS);
  out.waiting(`waiting with ${secret}`, 1000);
  clock.advance(FRAME_MS);
  out.endProgress();
  for (const cut of [secret, secret.slice(0, 8), secret.slice(0, 12)]) {
    assert.ok(!io.stderr.includes(cut), `no "${cut}" in ${JSON.stringify(io.stderr)}`);
  }
  assert.ok(io.stderr.includes("waiting with ***"));
});

Deno.test("output on a TTY with colour: status words and the glyph are coloured, the text stays the same", () => {
  const { io, clock, out } = ttyOutput();
  out.warn("some files vanished during sync (rsync 24)");
  out.error("lease cbx_0123456789ab no longer exists", "start a new lease");
  out.phase("sync", "12 files 3.4 KiB");
  clock.advance(SHOW_AFTER_MS);
  assert.ok(
    io.stderr.startsWith("crabbox: \x1b[33mwarning:\x1b[39m some files vanished during sync (rsync 24)\n"),
  );
  assert.ok(io.stderr.includes("crabbox: \x1b[31merror:\x1b[39m lease cbx_0123456789ab no longer exists\n"));
  assert.ok(io.stderr.includes("crabbox: \x1b[36mhint:\x1b[39m start a new lease\n"));
  assert.ok(io.stderr.includes(`crabbox: \x1b[36m${UNICODE_FRAMES[1]}\x1b[39m sync 1.0s · 12 files 3.4 KiB`));
  assert.equal(out.paint("stdout", "ok", "ready"), "\x1b[32mready\x1b[39m");
  assert.equal(out.paint("stdout", null, "-"), "-");
  out.endProgress();
});

Deno.test("output piped: phases draw nothing and the lines are exactly the plain ones", () => {
  const io = new CapturedIo();
  const clock = new FrameClock();
  const style = decideStyle({
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
    flags: { color: true, quiet: false, json: false },
  });
  const out = new Output(io, new Redactor(), { quiet: false, debug: false, json: false, style }, clock);
  out.phase("ssh", "waiting for ssh on 10.77.0.2 (bootstrap)");
  clock.advance(20_000);
  out.waiting("waiting for ssh on 10.77.0.2 (bootstrap)", 10_000, "remaining=5m ports=2222:closed");
  out.warn("careful\nsecond line");
  out.endProgress();
  assert.equal(clock.timers.size, 0, "no timer was ever started");
  assert.equal(
    io.stderr,
    "crabbox: waiting for ssh on 10.77.0.2 (bootstrap) elapsed=10.0s remaining=5m ports=2222:closed\n" +
      "crabbox: warning: careful\ncrabbox: second line\n",
  );
});
