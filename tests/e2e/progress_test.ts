/**
 * End to end in a real terminal: `crabbox run` in a detached tmux pane shows the live progress line
 * (seen by polling `tmux capture-pane`), and the pane ends with the command's output and no frame
 * left behind; the same run piped through `cat` carries no carriage return and no escape byte.
 */
import assert from "node:assert/strict";
import { startHarness } from "../harness/harness.ts";
import { MAIN, PERMISSIONS, sandbox } from "./_cli.ts";
import { shellJoin, shellQuote } from "../../core/format.ts";
import { UNICODE_FRAMES } from "../../core/spinner.ts";

const OUTPUT = "progress-e2e-output";
/** Silent for a while first: the spinner shows the command phase until the first byte. */
const REMOTE = `sleep 2; echo ${OUTPUT}`;
const FRAME = new RegExp(
  `^crabbox: [${UNICODE_FRAMES.join("")}] (create|ip|ssh|lock|sync|command) \\d+\\.\\ds( · |$)`,
);
const ANY_GLYPH = new RegExp(`[${UNICODE_FRAMES.join("")}]`);

class Tmux {
  constructor(readonly socket: string, readonly config: string) {}

  async run(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-S", this.socket, "-f", this.config, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
    return text;
  }

  /** The pane's whole history and screen, wrapped lines joined, trailing blank lines and tmux's note dropped. */
  async lines(session: string): Promise<string[]> {
    const lines = (await this.run("capture-pane", "-p", "-J", "-t", session, "-S", "-")).split("\n");
    const kept = lines.filter((line) => !line.startsWith("Pane is dead"));
    while (kept.length && kept.at(-1)!.trim() === "") kept.pop();
    return kept;
  }

  /**
   * Polls the pane until its command has written its exit status to statusFile; every capture on the way
   * goes to seen(). (tmux's own #{pane_dead_status} is not used: tmux 3.3 can leave a pane dead with its
   * child unreaped and no status.)
   */
  async watch(session: string, statusFile: string, seen: (lines: string[]) => void): Promise<number> {
    for (;;) {
      const status = await Deno.readTextFile(statusFile).catch(() => "");
      seen(await this.lines(session));
      if (/^\d+\n$/.test(status)) return Number(status);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

Deno.test("a tmux pane shows the spinner, then only the command's output; piped through cat it is plain bytes", async () => {
  const harness = await startHarness();
  const box = await sandbox(harness);
  const tmux = new Tmux(`${box.home}/tmux.sock`, `${box.home}/tmux.conf`);
  await Deno.writeTextFile(tmux.config, "set -g remain-on-exit on\nset -g history-limit 5000\n");
  // The CLI's own environment, not the test's (CI=true would turn the spinner off); TERM is tmux's.
  const { NO_COLOR: _colourFollowsTheTerminal, ...env } = box.env;
  const words = Object.entries({ ...env, LANG: "C.UTF-8" }).map(([name, value]) => `${name}=${value}`);
  const cli = `env -i TERM="$TERM" ${
    shellJoin([...words, Deno.execPath(), "run", "--quiet", ...PERMISSIONS, MAIN])
  } run --class tiny -- sh -c ${shellQuote(REMOTE)}`;
  const pipedFile = `${box.home}/piped.txt`;
  const ttyStatusFile = `${box.home}/tty.status`;
  const pipedStatusFile = `${box.home}/piped.status`;
  try {
    await tmux.run(
      "new-session",
      "-d",
      "-s",
      "tty",
      "-x",
      "150",
      "-y",
      "40",
      "-c",
      box.repo,
      `${cli}; echo $? > ${shellQuote(ttyStatusFile)}`,
    );
    await tmux.run(
      "new-session",
      "-d",
      "-s",
      "piped",
      "-x",
      "150",
      "-y",
      "40",
      "-c",
      box.repo,
      `{ ${cli} 2>&1; echo $? > ${shellQuote(pipedStatusFile)}; } | cat > ${shellQuote(pipedFile)}`,
    );
    let frames = 0;
    const [ttyStatus, pipedStatus] = await Promise.all([
      tmux.watch(
        "tty",
        ttyStatusFile,
        (lines) => (frames += lines.filter((line) => FRAME.test(line)).length),
      ),
      tmux.watch("piped", pipedStatusFile, () => {}),
    ]);
    const pane = await tmux.lines("tty");
    assert.equal(ttyStatus, 0, pane.join("\n"));
    assert.ok(frames > 0, `a spinner line was seen in the pane:\n${pane.join("\n")}`);
    const running = pane.findIndex((line) => line.startsWith("crabbox: running "));
    assert.ok(running >= 0 && pane.indexOf(OUTPUT) > running, pane.join("\n"));
    assert.match(pane.at(-1)!, /^crabbox: summary lease=cbx_\S+ .* exit=0$/);
    assert.ok(!pane.some((line) => ANY_GLYPH.test(line)), `no spinner left:\n${pane.join("\n")}`);

    assert.equal(pipedStatus, 0);
    const piped = await Deno.readTextFile(pipedFile);
    assert.ok(piped.includes(`\n${OUTPUT}\n`), piped);
    assert.match(piped, /^crabbox: summary lease=cbx_\S+ .* exit=0$/m);
    assert.ok(!piped.includes("\r"), "no carriage return when piped");
    assert.ok(!piped.includes("\x1b"), "no escape byte when piped");
    assert.equal(harness.fake.servers.size, 0);
    assert.deepEqual(harness.violations(), []);
  } finally {
    await tmux.run("kill-server").catch(() => {});
    await box.cleanup();
    const leaks = await harness.stop();
    assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] });
  }
});
