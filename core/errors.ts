/** Typed errors: every failure carries its exit code and a next action; main.ts renders them once. */
import type { InterruptCause } from "./deps.ts";

export type ErrorKind =
  | "internal"
  | "usage"
  | "config"
  | "policy"
  | "auth"
  | "not_found"
  | "timeout"
  | "sync"
  | "remote"
  | "provider"
  | "budget"
  | "interrupted";

export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  internal: 1,
  usage: 2,
  config: 2,
  policy: 2,
  auth: 3,
  not_found: 4,
  timeout: 5,
  sync: 6,
  remote: 7,
  provider: 8,
  budget: 8,
  interrupted: 130,
};

export interface ErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Overrides the kind's default code (143 for SIGTERM). */
  exitCode?: number;
  /** Several independent problems found in one pass (a config file); each is rendered with its own hint. */
  problems?: Problem[];
}

/** One problem of many: a located message and its fix. */
export interface Problem {
  message: string;
  hint?: string;
}

export class CrabboxError extends Error {
  readonly kind: ErrorKind;
  readonly exitCode: number;
  readonly hint: string | undefined;
  /** Set when the error stands for several problems (each message then also appears in `message`). */
  readonly problems: Problem[];

  constructor(kind: ErrorKind, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CrabboxError";
    this.kind = kind;
    this.exitCode = options.exitCode ?? EXIT_CODES[kind];
    this.hint = options.hint;
    this.problems = options.problems ?? [];
  }
}

export const usageError = (message: string, hint?: string) => new CrabboxError("usage", message, { hint });
export const configError = (message: string, hint?: string) => new CrabboxError("config", message, { hint });
export const authError = (message: string, hint?: string) => new CrabboxError("auth", message, { hint });
export const notFoundError = (message: string, hint?: string) =>
  new CrabboxError("not_found", message, { hint });
export const timeoutError = (message: string, hint?: string) =>
  new CrabboxError("timeout", message, { hint });
export const syncError = (message: string, hint?: string) => new CrabboxError("sync", message, { hint });

/** 128 + the signal number, as a shell reports a process killed by that signal. */
export const INTERRUPT_EXIT_CODES: Readonly<Record<InterruptCause, number>> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGPIPE: 141,
  SIGTERM: 143,
};

export function interruptExitCode(cause: InterruptCause): number {
  return INTERRUPT_EXIT_CODES[cause];
}

export function interruptedError(cause: InterruptCause = "SIGINT"): CrabboxError {
  const message = cause === "SIGPIPE" ? "output closed (broken pipe)" : `interrupted by ${cause}`;
  return new CrabboxError("interrupted", message, { exitCode: INTERRUPT_EXIT_CODES[cause] });
}

/**
 * The one failure an invocation ends with: once interrupted, the interruption wins over whatever the
 * cancelled work threw (an aborted fetch, a killed rsync), so the exit code is always the signal's.
 */
export function finalFailure(error: unknown, interrupt: AbortSignal): CrabboxError {
  if (interrupt.aborted && interrupt.reason instanceof CrabboxError) {
    if (!(error instanceof CrabboxError) || error.kind !== "interrupted") return interrupt.reason;
  }
  return asCrabboxError(error);
}

/** Anything that is not already a CrabboxError becomes an internal error (exit 1). */
export function asCrabboxError(error: unknown): CrabboxError {
  if (error instanceof CrabboxError) return error;
  if (
    error instanceof Error && typeof (error as { toCrabboxError?: unknown }).toCrabboxError === "function"
  ) {
    return (error as unknown as { toCrabboxError(): CrabboxError }).toCrabboxError();
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CrabboxError("internal", message, {
    cause: error,
    hint: "this is a bug in crabbox; re-run with --debug and report it",
  });
}
