/**
 * Hetzner's rate limit (HARNESS §3): a bucket of `limit` requests per project that refills
 * `refillPerSecond` per second and allows bursts. Pure: the caller passes the time.
 */

export interface RateLimitSettings {
  limit: number;
  refillPerSecond: number;
}

export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(public settings: RateLimitSettings, nowMs: number) {
    this.#tokens = settings.limit;
    this.#at = nowMs;
  }

  #refill(nowMs: number): void {
    const gained = ((nowMs - this.#at) / 1000) * this.settings.refillPerSecond;
    this.#tokens = Math.min(this.settings.limit, this.#tokens + Math.max(0, gained));
    this.#at = nowMs;
  }

  /** Takes one token; false when the bucket is empty (→ 429). */
  take(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  remaining(nowMs: number): number {
    this.#refill(nowMs);
    return Math.floor(this.#tokens);
  }

  /** Unix seconds at which the bucket is full again (the `RateLimit-Reset` header). */
  resetAt(nowMs: number, clockMs: number): number {
    const missing = this.settings.limit - this.remaining(nowMs);
    const seconds = this.settings.refillPerSecond > 0
      ? Math.ceil(missing / this.settings.refillPerSecond)
      : 0;
    return Math.floor(clockMs / 1000) + seconds;
  }

  configure(settings: Partial<RateLimitSettings> & { remaining?: number }, nowMs: number): void {
    this.#refill(nowMs);
    this.settings = {
      limit: settings.limit ?? this.settings.limit,
      refillPerSecond: settings.refillPerSecond ?? this.settings.refillPerSecond,
    };
    this.#tokens = Math.min(this.settings.limit, settings.remaining ?? settings.limit ?? this.#tokens);
  }
}

/** Most requests seen in any window of `windowMs` (timestamps in ms, any order). */
export function peakRate(timestamps: number[], windowMs = 1000): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}
