/**
 * One crabbox process under a fault row's control: its output is collected as it streams, a row can
 * wait for a progress line (the phase marker), close its stdout or stderr the way a reader that goes
 * away does (`| head -n1`), send it a signal, and every process has a hard deadline after which it is
 * killed and the row is marked as a hang.
 */
// The release permissions (tools/permissions), so a fault never passes only because of a wider grant.
import { MAIN, PERMISSIONS } from "../e2e/_cli.ts";

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGPIPE: 13,
  SIGTERM: 15,
};

export interface CliOutcome {
  /** The exit code as a shell reports it (128 + n when killed by signal n). */
  code: number;
  /** Set when the process died of a signal instead of exiting. */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Killed at the deadline. */
  hung: boolean;
  ms: number;
}

export interface SpawnOptions {
  args: string[];
  cwd: string;
  env: Record<string, string>;
  deadlineMs: number;
}

type Stream = "stdout" | "stderr";

export class CliProcess {
  readonly child: Deno.ChildProcess;
  readonly args: string[];
  stdout = "";
  stderr = "";
  readonly closed: Record<Stream, boolean> = { stdout: false, stderr: false };
  readonly done: Promise<CliOutcome>;
  #readers: Record<Stream, ReadableStreamDefaultReader<Uint8Array>>;
  #waiters: { stream: Stream; match: (text: string) => boolean; resolve: () => void }[] = [];
  #hung = false;
  #started = Date.now();

  constructor(options: SpawnOptions) {
    this.args = options.args;
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...PERMISSIONS, MAIN, ...options.args],
      cwd: options.cwd,
      env: options.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#readers = { stdout: this.child.stdout.getReader(), stderr: this.child.stderr.getReader() };
    const pumps = (["stdout", "stderr"] as const).map((s) => this.#pump(s));
    const deadline = setTimeout(() => {
      this.#hung = true;
      this.kill("SIGKILL");
    }, options.deadlineMs);
    const child = this.child;
    this.done = (async () => {
      const status = await child.status;
      clearTimeout(deadline);
      await Promise.all(pumps);
      const code = status.signal ? 128 + (SIGNAL_NUMBERS[status.signal] ?? 0) : status.code;
      return {
        code,
        signal: status.signal,
        stdout: this.stdout,
        stderr: this.stderr,
        hung: this.#hung,
        ms: Date.now() - this.#started,
      };
    })();
  }

  async #pump(stream: Stream): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await this.#readers[stream].read();
        if (done) break;
        this[stream] += decoder.decode(value, { stream: true });
        this.#wake();
      }
    } catch {
      // cancelled: the reader went away on purpose
    }
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(this[w.stream])) return true;
      w.resolve();
      return false;
    });
  }

  /**
   * Resolves once the stream's text matches; rejects if the process ends first (its deadline bounds
   * every wait).
   */
  waitFor(stream: Stream, pattern: string | RegExp): Promise<void> {
    const match = (text: string) => typeof pattern === "string" ? text.includes(pattern) : pattern.test(text);
    if (match(this[stream])) return Promise.resolve();
    return Promise.race([
      new Promise<void>((resolve) => this.#waiters.push({ stream, match, resolve })),
      this.done.then((r) => {
        throw new Error(
          `crabbox exited ${r.code}${r.hung ? " (deadline)" : ""} before ${stream} showed ${pattern}`,
        );
      }),
    ]);
  }

  /** The reader goes away: our end of the pipe is closed, so the next write gets EPIPE. */
  async close(stream: Stream): Promise<void> {
    if (this.closed[stream]) return;
    this.closed[stream] = true;
    await this.#readers[stream].cancel().catch(() => {});
  }

  kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch {
      // already exited
    }
  }
}
