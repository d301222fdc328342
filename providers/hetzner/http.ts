/**
 * One HTTP exchange with Hetzner and the retry loop around it (SPEC §6): 30 s timeout per request,
 * the Date-header clock offset, rate-limit headers, and retries for idempotent calls only.
 * The token lives only in this class's #private field.
 */
import type { Clock } from "../../core/deps.ts";
import { HetznerApiError } from "./errors.ts";
import { decideRetry, NOTIFY_WAIT_OVER_MS, rateLimitHintMs } from "./retry_policy.ts";
import { type DebugExchange, debugLines } from "./http_debug.ts";

export interface HttpOptions {
  endpoint: string;
  clock: Clock;
  random: () => number;
  /** Pooled: GET, label PUT and DELETE, which may be sent twice. */
  fetch: typeof fetch;
  /** A new connection per request that is never re-sent by the transport: every POST (a create). */
  fetchUnpooled: typeof fetch;
  notify: (message: string) => void;
  /** --debug lines; absent, nothing is formatted (bodies are only redacted and printed for --debug). */
  debug?: (message: string) => void;
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
  /** Parsed JSON body; null for an empty body (204). */
  json: unknown;
  headers: Headers;
}

const LOW_RATE_LIMIT_REMAINING = 100;

export class HetznerHttp {
  readonly #token: string;
  readonly #options: HttpOptions;
  #offsetMs = 0;
  #warnedRemaining = false;
  readonly #answered = Promise.withResolvers<void>();

  constructor(token: string, options: HttpOptions) {
    this.#token = token;
    this.#options = options;
  }

  /** Hetzner's clock: local time plus the offset from the latest Date header. */
  now(): number {
    return this.#options.clock.now() + this.#offsetMs;
  }

  /** Resolves at the first answer of any request (now() is then Hetzner's); rejects when signal aborts. */
  async clockSynced(signal?: AbortSignal): Promise<void> {
    if (!signal) return await this.#answered.promise;
    signal.throwIfAborted();
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([this.#answered.promise, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Sends once; throws HetznerApiError for non-2xx answers, unreadable bodies and network failures. */
  async once(request: HttpRequest): Promise<HttpResponse> {
    const { clock } = this.#options;
    const started = clock.now();
    const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const path = request.path.split("?")[0];
    const exchange = (answer: Pick<DebugExchange, "status" | "correlationId" | "failure" | "responseBody">) =>
      this.#debugExchange({
        method: request.method,
        path: request.path,
        durationMs: clock.now() - started,
        requestBody: request.body,
        ...answer,
      });
    const transportError = (error: unknown): unknown => {
      // The caller's own cancellation is not a Hetzner failure: pass its reason through untouched.
      if (request.signal?.aborted) return request.signal.reason;
      const failure = this.#transportError(request.method, path, timeout.aborted, error);
      exchange({ status: null, correlationId: null, failure: failure.message });
      return failure;
    };
    let response: Response;
    let text: string;
    try {
      // A create must reach Hetzner at most once per call: never over a connection the transport may
      // silently re-send on (ISSUE 8 #13); ambiguity is resolved by the caller's lease lookup.
      const send = request.method === "POST" ? this.#options.fetchUnpooled : this.#options.fetch;
      response = await send(this.#options.endpoint + request.path, {
        method: request.method,
        headers: {
          Authorization: `Bearer ${this.#token}`,
          Accept: "application/json",
          "User-Agent": "crabbox",
          ...(request.body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
      });
    } catch (error) {
      throw transportError(error);
    }
    this.#observeHeaders(response.headers);
    try {
      text = await response.text();
    } catch (error) {
      throw transportError(error);
    }
    const parsed = parseJson(text);
    exchange({
      status: response.status,
      correlationId: response.headers.get("x-correlation-id"),
      responseBody: parsed.ok
        ? parsed.value
        : `<unreadable ${contentTypeOf(response)} body, ${text.length} chars>`,
    });
    if (response.ok && parsed.ok) {
      return { status: response.status, json: parsed.value, headers: response.headers };
    }
    throw this.#answerError(request.method, path, response, parsed);
  }

  /** Sends and retries per the SPEC §6 policy; only for GET, label PUT and DELETE. */
  async idempotent(request: HttpRequest): Promise<HttpResponse> {
    let rateWaitedMs = 0;
    for (let attempt = 1;; attempt++) {
      try {
        return await this.once(request);
      } catch (error) {
        if (!(error instanceof HetznerApiError)) throw error;
        const decision = decideRetry(error, { attempt, rateWaitedMs }, this.#options.random);
        if (!decision.retry) {
          throw decision.rateLimited ? error.with({ message: "rate limited by Hetzner" }) : error;
        }
        const { waitMs } = decision;
        if (decision.rateLimited) {
          rateWaitedMs += waitMs;
          if (waitMs > NOTIFY_WAIT_OVER_MS) {
            this.#options.notify(`hetzner rate limited; retrying in ${Math.round(waitMs / 1000)}s`);
          }
        }
        this.#options.debug?.(
          `retrying ${request.method} ${error.path} in ${Math.round(waitMs)}ms (${error.code})`,
        );
        await this.#options.clock.sleep(waitMs, request.signal);
      }
    }
  }

  #transportError(method: string, path: string, timedOut: boolean, error: unknown): HetznerApiError {
    const limitMs = this.#options.requestTimeoutMs;
    const limit = limitMs >= 1000 ? `${Math.round(limitMs / 1000)}s` : `${limitMs}ms`;
    return new HetznerApiError({
      method,
      path,
      status: 0,
      code: timedOut ? "timeout" : "network_error",
      message: timedOut ? `no answer within ${limit}` : describeNetworkError(error),
      details: null,
      correlationId: null,
      retryAfterMs: null,
    });
  }

  #answerError(method: string, path: string, response: Response, parsed: Parsed): HetznerApiError {
    const envelope = parsed.ok ? errorEnvelope(parsed.value) : null;
    const contentType = contentTypeOf(response);
    const message = envelope?.message ??
      (parsed.ok
        ? (response.ok ? "unexpected empty response" : "error response without an error object")
        : `unreadable ${contentType} body`);
    return new HetznerApiError({
      method,
      path,
      status: response.status,
      code: envelope?.code ?? "bad_response",
      message: this.#scrub(message),
      details: this.#scrubValue(envelope?.details ?? null),
      correlationId: response.headers.get("x-correlation-id"),
      retryAfterMs: response.status === 429 || envelope?.code === "rate_limit_exceeded"
        ? rateLimitHintMs({
          reset: response.headers.get("ratelimit-reset"),
          retryAfter: response.headers.get("retry-after"),
        }, this.now())
        : null,
    });
  }

  #debugExchange(exchange: DebugExchange): void {
    const debug = this.#options.debug;
    if (!debug) return;
    for (const line of debugLines(exchange, (text) => this.#scrub(text))) debug(line);
  }

  /** API messages may echo credentials ("… for token '6MWq…' reached"): never carry them on. */
  #scrub(text: string): string {
    return text.split(this.#token).join("***")
      .replace(/Bearer\s+\S+/gi, "Bearer ***")
      .replace(/token '[^']*'/gi, "token '***'");
  }

  #scrubValue(value: unknown): unknown {
    if (value === null || value === undefined) return null;
    try {
      return JSON.parse(this.#scrub(JSON.stringify(value)));
    } catch {
      return null;
    }
  }

  #observeHeaders(headers: Headers): void {
    const date = headers.get("date");
    const serverMs = date ? Date.parse(date) : NaN;
    if (!Number.isNaN(serverMs)) this.#offsetMs = serverMs - this.#options.clock.now();
    else this.#options.debug?.("no usable Date header from Hetzner; keeping the previous clock offset");
    this.#answered.resolve();
    const remainingHeader = headers.get("ratelimit-remaining");
    const remaining = Number(remainingHeader ?? NaN);
    if (
      !this.#warnedRemaining && remainingHeader !== null && Number.isFinite(remaining) &&
      remaining < LOW_RATE_LIMIT_REMAINING
    ) {
      this.#warnedRemaining = true;
      this.#options.notify(
        `warning: hetzner rate limit nearly used up (${remaining} requests left; the project allows 3600 per hour)`,
      );
    }
  }

  toJSON(): Record<string, string> {
    return { endpoint: this.#options.endpoint };
  }
}

type Parsed = { ok: true; value: unknown } | { ok: false };

function contentTypeOf(response: Response): string {
  return response.headers.get("content-type")?.split(";")[0] ?? "unknown";
}

/** Empty bodies (204) are fine; anything else must be JSON. */
function parseJson(text: string): Parsed {
  if (text.trim() === "") return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function errorEnvelope(body: unknown): { code: string; message: string; details: unknown } | null {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (typeof error !== "object" || error === null || typeof error.code !== "string") return null;
  return {
    code: error.code,
    message: typeof error.message === "string" ? error.message : "",
    details: error.details ?? null,
  };
}

/** A short description from the cause chain; never the request (its headers carry the token). */
function describeNetworkError(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    messages.push(String((e as Error).message ?? e));
  }
  const text = messages.join(" ");
  if (/refused/i.test(text)) return "connection refused";
  if (/timed? ?out/i.test(text)) return "connection timed out";
  if (/dns|lookup|resolve|name or service/i.test(text)) return "could not resolve the API host";
  if (/reset|closed|broken pipe|eof|incomplete|body/i.test(text)) return "connection closed by the API";
  if (/certificate|tls|ssl/i.test(text)) return "TLS handshake with the API failed";
  return "network error";
}
