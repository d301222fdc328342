/**
 * Early answers for the process runner. The composition root may start a few read-only commands a
 * command is about to make while its modules still load (the second core is idle then); the first
 * run() with the same binary, arguments and directory, and no stdin, env or signal, gets that answer
 * instead of a new process. An answer serves one call, so a later identical call sees the world anew.
 */
import type { ProcessRunner, RunOptions, RunResult } from "./deps.ts";

export interface PrefetchingRunner extends ProcessRunner {
  /** Starts cmd now; its answer waits for the first matching run(). */
  prefetch(cmd: string, args: string[], cwd?: string): void;
  /**
   * Stops the answers nobody asked for and waits for their processes to end: none may outlive
   * crabbox (git status can still be refreshing the index of a repository its caller removes next).
   */
  finish(): Promise<void>;
  /** Stops the answers nobody asked for without waiting (the process exits at once). */
  abandon(): void;
}

const keyOf = (cmd: string, args: string[], cwd: string | undefined) =>
  JSON.stringify([cmd, args, cwd ?? null]);

export function withPrefetch(inner: ProcessRunner): PrefetchingRunner {
  const early = new Map<string, Promise<RunResult>>();
  const stop = new AbortController();
  const plain = (options: RunOptions) =>
    options.stdin === undefined && options.env === undefined && options.signal === undefined;
  return {
    prefetch(cmd, args, cwd) {
      const answer = inner.run(cmd, args, { cwd, signal: stop.signal });
      answer.catch(() => {}); // an answer nobody asks for must not become an unhandled rejection
      early.set(keyOf(cmd, args, cwd), answer);
    },
    async run(cmd, args, options = {}) {
      const key = keyOf(cmd, args, options.cwd);
      const answer = plain(options) ? early.get(key) : undefined;
      if (!answer) return await inner.run(cmd, args, options);
      early.delete(key);
      return await answer;
    },
    abandon: () => stop.abort(),
    async finish() {
      stop.abort();
      await Promise.allSettled(early.values());
      early.clear();
    },
    spawn: (cmd, args, options) => inner.spawn(cmd, args, options),
    interactive: (cmd, args) => inner.interactive(cmd, args),
    which: (cmd) => inner.which(cmd),
  };
}
