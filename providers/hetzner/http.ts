/**
 * One HTTP exchange with Hetzner, and the retry policy around it (SPEC §6): 30 s timeout, Date-header
 * clock offset, retries with backoff for idempotent calls only, 429 waits per RateLimit-Reset/Retry-After.
 */
import type { Clock } from "../../core/deps.ts";
import { HetznerApiError } from "./errors.ts";

export interface HttpOptions {
  endpoint: string;
  clock: Clock;
  random: () => number;
  fetch: typeof fetch;
  notify: (message: string) => void;
  debug: (message: string) => void;
  requestTimeoutMs: number;
}

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path plus query, e.g. /servers?page=1. */
  path: string;
  body?: unknown;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  // deno-lint-ignore no-explicit-any
  json: any;
  headers: Headers;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_CODES = new Set([
  "rate_limit_exceeded",
  "conflict",
  "locked",
  "timeout",
  "server_error",
  "unavailable",
  "bad_gateway",
]);
const MAX_ATTEMPTS = 5;
const MAX_RATE_WAIT_MS = 60_000;
const MAX_RATE_TOTAL_MS = 120_000;

export class HetznerHttp {
  readonly #token: string;
  readonly #options: HttpOptions;
  #offsetMs = 0;
  #warnedRemaining = false;

  constructor(token: string, options: HttpOptions) {
    this.#token = token;
    this.#options = options;
  }

  /** Hetzner's clock: local time plus the latest Date-header offset. */
  now(): number {
    return this.#options.clock.now() + this.#offsetMs;
  }

  /** Sends once; throws HetznerApiError for non-2xx answers and network failures. */
  async once(request: HttpRequest): Promise<HttpResponse> {
    const { clock, debug } = this.#options;
    const started = clock.now();
    const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const pathOnly = request.path.split("?")[0];
    let response: Response;
    try {
      response = await this.#options.fetch(this.#options.endpoint + request.path, {
        method: request.method,
        headers: {
          Authorization: `Bearer ${this.#token}`,
          ...(request.body === undefined ? {} : { "Content-Type": "application/json" }),
          "User-Agent": "crabbox",
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
      });
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      const timedOut = timeout.aborted;
      debug(`${request.method} ${request.path} failed after ${clock.now() - started}ms`);
      throw new HetznerApiError({
        method: request.method,
        path: pathOnly,
        status: 0,
        code: timedOut ? "timeout" : "network_error",
        message: timedOut
          ? `no answer within ${Math.round(this.#options.requestTimeoutMs / 1000)}s`
          : describeNetworkError(error),
        details: null,
        correlationId: null,
        retryAfterMs: null,
      });
    }
    this.#observeHeaders(response.headers);
    const text = await response.text().catch(() => "");
    debug(`${request.method} ${request.path} ${response.status} ${clock.now() - started}ms`);
    let json: unknown = null;
    let parsed = false;
    if (text !== "") {
      try {
        json = JSON.parse(text);
        parsed = true;
      } catch {
        parsed = false;
      }
    }
    if (response.ok && (parsed || text === "")) {
      return { status: response.status, json, headers: response.headers };
    }
    // deno-lint-ignore no-explicit-any
    const envelope = parsed ? (json as any)?.error : null;
    throw new HetznerApiError({
      method: request.method,
      path: pathOnly,
      status: response.status,
      code: typeof envelope?.code === "string" ? envelope.code : "bad_response",
      message: typeof envelope?.message === "string"
        ? this.#scrub(envelope.message)
        : `unexpected ${response.headers.get("content-type") ?? "response"} body`,
      details: envelope?.details ?? null,
      correlationId: response.headers.get("x-correlation-id"),
      retryAfterMs: this.#retryAfterMs(response.headers),
    });
  }

  /** Retries idempotent requests on rate limits, 5xx, conflict/locked/timeout and network errors. */
  async idempotent(request: HttpRequest): Promise<HttpResponse> {
    let rateWaitedMs = 0;
    for (let attempt = 1;; attempt++) {
      try {
        return await this.once(request);
      } catch (error) {
        if (!(error instanceof HetznerApiError) || !isRetryable(error)) throw error;
        const rateLimited = error.status === 429 || error.code === "rate_limit_exceeded";
        let waitMs: number;
        if (rateLimited) {
          waitMs = Math.min(
            (error.retryAfterMs ?? backoffMs(attempt, this.#options.random)) + this.#options.random() * 1000,
            MAX_RATE_WAIT_MS,
          );
          if (rateWaitedMs + waitMs > MAX_RATE_TOTAL_MS || attempt >= MAX_ATTEMPTS) {
            throw new HetznerApiError({ ...fieldsOf(error), message: "rate limited by Hetzner" });
          }
          rateWaitedMs += waitMs;
          if (waitMs > 2000) {
            this.#options.notify(`hetzner rate limited; retrying in ${Math.round(waitMs / 1000)}s`);
          }
        } else {
          if (attempt >= MAX_ATTEMPTS) throw error;
          waitMs = backoffMs(attempt, this.#options.random);
        }
        this.#options.debug(
          `retrying ${request.method} ${request.path.split("?")[0]} in ${
            Math.round(waitMs)
          }ms (${error.code})`,
        );
        await this.#options.clock.sleep(waitMs, request.signal);
      }
    }
  }

  /** An API message that echoes credentials must not carry them into our errors. */
  #scrub(text: string): string {
    return text.split(this.#token).join("***").replace(/Bearer\s+\S+/gi, "Bearer ***");
  }

  #observeHeaders(headers: Headers): void {
    const date = headers.get("date");
    if (date) {
      const serverMs = Date.parse(date);
      if (!Number.isNaN(serverMs)) this.#offsetMs = serverMs - this.#options.clock.now();
    } else {
      this.#options.debug("no Date header from Hetzner; using the local clock");
    }
    const remaining = Number(headers.get("ratelimit-remaining") ?? NaN);
    if (!this.#warnedRemaining && !Number.isNaN(remaining) && remaining < 100) {
      this.#warnedRemaining = true;
      this.#options.notify(
        `warning: hetzner rate limit nearly used up (${remaining} requests left this hour)`,
      );
    }
  }

  #retryAfterMs(headers: Headers): number | null {
    const reset = Number(headers.get("ratelimit-reset") ?? NaN);
    if (!Number.isNaN(reset)) return Math.max(0, reset * 1000 - this.now());
    const retryAfter = Number(headers.get("retry-after") ?? NaN);
    return Number.isNaN(retryAfter) ? null : retryAfter * 1000;
  }

  toJSON(): Record<string, string> {
    return { endpoint: this.#options.endpoint };
  }
}

/** 1, 2, 4, 8 s with ±50 % jitter. */
export function backoffMs(attempt: number, random: () => number): number {
  const base = 1000 * 2 ** Math.min(attempt - 1, 3);
  return base * (0.5 + random());
}

export function isRetryable(error: HetznerApiError): boolean {
  return error.status === 0 || RETRYABLE_STATUS.has(error.status) || RETRYABLE_CODES.has(error.code);
}

function fieldsOf(error: HetznerApiError) {
  return {
    method: error.method,
    path: error.path,
    status: error.status,
    code: error.code,
    message: error.message,
    details: error.details,
    correlationId: error.correlationId,
    retryAfterMs: error.retryAfterMs,
  };
}

/** A short description from the cause chain; never the request itself (headers could carry the token). */
function describeNetworkError(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    messages.push(String((e as Error).message ?? e));
  }
  const text = messages.join(" ");
  if (/refused/i.test(text)) return "connection refused";
  if (/timed? ?out/i.test(text)) return "connection timed out";
  if (/dns|lookup|resolve/i.test(text)) return "could not resolve the API host";
  if (/reset|closed|broken pipe|eof/i.test(text)) return "connection closed by the API";
  return "network error";
}
