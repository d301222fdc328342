/**
 * SPEC §6 retry rules as pure functions: which failures are retried, how long to wait, when to give up.
 * Only idempotent calls (GET, label PUT, DELETE) ever reach this policy.
 */
import type { HetznerApiError } from "./errors.ts";

const MAX_ATTEMPTS = 5;
const MAX_RATE_WAIT_MS = 60_000;
const MAX_RATE_WAIT_PER_CALL_MS = 120_000;
/** Waits longer than this are announced to the user. */
export const NOTIFY_WAIT_OVER_MS = 2_000;

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_CODES = new Set(["rate_limit_exceeded", "conflict", "locked", "timeout", "server_error"]);

/** Network errors (status 0), 429, 502/503/504, and Hetzner's transient codes. */
export function isRetryable(error: Pick<HetznerApiError, "status" | "code">): boolean {
  return error.status === 0 || RETRYABLE_STATUS.has(error.status) || RETRYABLE_CODES.has(error.code);
}

function isRateLimited(error: Pick<HetznerApiError, "status" | "code">): boolean {
  return error.status === 429 || error.code === "rate_limit_exceeded";
}

/** 1, 2, 4, 8 s for attempts 1–4, each with ±50 % jitter (random in [0, 1)). */
export function backoffMs(attempt: number, random: () => number): number {
  const base = 1000 * 2 ** Math.min(Math.max(attempt, 1) - 1, 3);
  return base * (0.5 + random());
}

/**
 * The server's hint for a 429: RateLimit-Reset (unix seconds, compared with Hetzner's clock) wins over
 * Retry-After (seconds); null when neither header is usable.
 */
export function rateLimitHintMs(
  headers: { reset: string | null; retryAfter: string | null },
  hetznerNowMs: number,
): number | null {
  const reset = Number(headers.reset ?? NaN);
  if (headers.reset !== null && Number.isFinite(reset)) return Math.max(0, reset * 1000 - hetznerNowMs);
  const retryAfter = Number(headers.retryAfter ?? NaN);
  if (headers.retryAfter !== null && Number.isFinite(retryAfter)) return Math.max(0, retryAfter * 1000);
  return null;
}

export type RetryDecision =
  | { retry: true; waitMs: number; rateLimited: boolean }
  | { retry: false; rateLimited: boolean };

export interface RetryState {
  /** The attempt that just failed, from 1. */
  attempt: number;
  /** Rate-limit waits already spent in this call. */
  rateWaitedMs: number;
}

/**
 * After a failed attempt: retry after waitMs, or give up. A 429 waits for the server's hint plus up
 * to 1 s of jitter, at most 60 s per wait and 2 min per call; other failures back off exponentially.
 */
export function decideRetry(
  error: Pick<HetznerApiError, "status" | "code" | "retryAfterMs">,
  state: RetryState,
  random: () => number,
): RetryDecision {
  const rateLimited = isRateLimited(error);
  if (!isRetryable(error) || state.attempt >= MAX_ATTEMPTS) return { retry: false, rateLimited };
  if (!rateLimited) return { retry: true, waitMs: backoffMs(state.attempt, random), rateLimited };
  const budget = MAX_RATE_WAIT_PER_CALL_MS - state.rateWaitedMs;
  if (budget <= 0) return { retry: false, rateLimited };
  const wanted = (error.retryAfterMs ?? backoffMs(state.attempt, random)) + random() * 1000;
  return { retry: true, waitMs: Math.min(wanted, MAX_RATE_WAIT_MS, budget), rateLimited };
}
