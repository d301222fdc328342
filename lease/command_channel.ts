/**
 * The command channel, openable ahead of its command (issue 10, P1). The exec script reads the env file
 * off the channel's stdin before it does anything else (ssh/scripts/exec.sh), so a channel opened while
 * the box lock and the sync check are still under way only waits there: its ssh setup — a client
 * process, a session on the master, a remote shell — overlaps them instead of following them. start()
 * sends the env, which starts the command, and delivers the output held until then; abandon() closes
 * stdin instead, so the script ends (exit 74) without starting anything, and its output is dropped.
 */
import type { ChildHandle } from "../core/deps.ts";
import { execScript } from "../ssh/scripts.ts";
import type { Box } from "./box.ts";

export interface CommandLine {
  /** argv mode: each word exec'd as given; shell mode: one string under bash -lc. */
  argv: string[];
  shell: boolean;
  workdir: string;
  runId: string;
  /** The env file (renderEnvFile): sent first on the channel's stdin, never on a command line. */
  envFile?: string;
}

export interface Sinks {
  stdout: (chunk: Uint8Array) => void;
  stderr: (chunk: Uint8Array) => void;
}

export interface CommandChannel {
  readonly box: Box;
  readonly line: CommandLine;
  /** The channel's ssh ended before start(): it cannot run the command (spawn another). */
  readonly ended: boolean;
  /** Sends the env (the command starts) and delivers output to sinks from now on, held output first. */
  start(sinks: Sinks): { child: ChildHandle; stdin: WritableStreamDefaultWriter<Uint8Array> | null };
  /** Unless started: closes stdin, so the script ends without running anything, and waits for it. */
  abandon(): Promise<void>;
}

export function openCommandChannel(box: Box, line: CommandLine): CommandChannel {
  const env = new TextEncoder().encode(line.envFile ?? "");
  const script = execScript({
    workRoot: box.workRoot,
    workdir: line.workdir,
    runId: line.runId,
    envBytes: env.length,
    ...(line.shell ? { shell: line.argv.join(" ") } : { argv: line.argv }),
  });
  let live: Sinks | null = null;
  const held: ["stdout" | "stderr", Uint8Array][] = [];
  const child = box.spawn(script, {
    stdout: (chunk) => live ? live.stdout(chunk) : held.push(["stdout", chunk]),
    stderr: (chunk) => live ? live.stderr(chunk) : held.push(["stderr", chunk]),
  });
  let ended = false;
  void child.status.then(() => (ended = true), () => (ended = true));
  let settled = false;
  return {
    box,
    line,
    get ended() {
      return ended;
    },
    start(sinks) {
      settled = true;
      live = sinks;
      for (const [stream, chunk] of held.splice(0)) sinks[stream](chunk);
      // Keep the channel's stdin open and silent after the env: the box's watchdog treats EOF as "client gone".
      const stdin = child.stdin?.getWriter() ?? null;
      if (env.length) void stdin?.write(env).catch(() => {});
      return { child, stdin };
    },
    async abandon() {
      if (settled) return;
      settled = true;
      await child.stdin?.close().catch(() => {});
      await child.status.catch(() => {});
    },
  };
}

/**
 * A channel opened ahead of the lock, or null when it could not wait: without env bytes to read, the
 * script would start the command at once.
 */
export function openAhead(box: Box, line: CommandLine): CommandChannel | null {
  return line.envFile ? openCommandChannel(box, line) : null;
}

/** Can a channel opened ahead serve this command on this box? Only one for exactly this line, still open. */
export function fits(channel: CommandChannel | null | undefined, box: Box, line: CommandLine): boolean {
  return !!channel && !channel.ended && channel.box === box && sameLine(channel.line, line);
}

function sameLine(a: CommandLine, b: CommandLine): boolean {
  return a.shell === b.shell && a.workdir === b.workdir && a.runId === b.runId &&
    (a.envFile ?? "") === (b.envFile ?? "") && a.argv.length === b.argv.length &&
    a.argv.every((word, i) => word === b.argv[i]);
}
