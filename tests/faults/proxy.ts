/**
 * A pass-through HTTP proxy between crabbox and the harness endpoint. It lets a fault row know, without
 * sleeping, which phase the CLI is in: a row registers a hold ("the next POST /servers"), learns when
 * that request arrives, and the request then waits a simulated API latency before it is forwarded. It
 * also counts requests in flight, so a row can wait until every answer the CLI asked for was given.
 * Test code; it lives beside the harness rather than in it, so the harness stays untouched.
 */

export interface ProxiedRequest {
  method: string;
  path: string;
  query: string;
  /** The JSON body of POST/PUT requests (undefined otherwise or when not JSON). */
  body: unknown;
}

export interface HoldSpec {
  method: string;
  /** Matched against the whole path (without /v1 and query). */
  path: RegExp;
  /** Extra condition on the request (e.g. a label in a PUT body). */
  when?: (request: ProxiedRequest) => boolean;
  /** Simulated latency before the request is forwarded (the fake answers after it). */
  latencyMs: number;
}

export interface ResponseWatch {
  method: string;
  path: RegExp;
  /** Resolves the watch when true for the answer (status and parsed JSON body). */
  when: (status: number, body: unknown, request: ProxiedRequest) => boolean;
  /** Runs before the answer is handed to the client (e.g. take a lock on a just-created box). */
  before?: (status: number, body: unknown, request: ProxiedRequest) => Promise<void>;
}

interface Waiting<T> {
  spec: T;
  resolve: (request: ProxiedRequest) => void;
}

const HOP_HEADERS = ["host", "content-length", "transfer-encoding", "connection", "content-encoding"];

export class ApiProxy {
  readonly url: string;
  readonly log: ProxiedRequest[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;
  #holds: Waiting<HoldSpec>[] = [];
  #watches: Waiting<ResponseWatch>[] = [];
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(readonly upstream: string) {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => this.#handle(request),
    );
    this.url = `http://127.0.0.1:${(this.#server.addr as Deno.NetAddr).port}`;
  }

  /** The next matching request: resolves on arrival; the request is forwarded after its latency. */
  hold(spec: HoldSpec): Promise<ProxiedRequest> {
    return new Promise((resolve) => this.#holds.push({ spec, resolve }));
  }

  /** The next matching answer: resolves just before the client receives it. */
  watch(spec: ResponseWatch): Promise<ProxiedRequest> {
    return new Promise((resolve) => this.#watches.push({ spec, resolve }));
  }

  /** Forgets holds and watches a finished row left unused. */
  reset(): void {
    this.#holds = [];
    this.#watches = [];
  }

  /** Resolves once no request is in flight (held, forwarded or being answered). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }

  async #handle(request: Request): Promise<Response> {
    this.#inFlight++;
    try {
      return await this.#forward(request);
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        waiters.forEach((w) => w());
      }
    }
  }

  async #forward(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const raw = request.method === "GET" || request.method === "HEAD"
      ? null
      : new Uint8Array(await request.arrayBuffer());
    let body: unknown = undefined;
    if (raw && raw.length > 0) {
      try {
        body = JSON.parse(new TextDecoder().decode(raw));
      } catch {
        body = undefined;
      }
    }
    const seen: ProxiedRequest = {
      method: request.method,
      path: url.pathname.replace(/^\/v1(?=\/|$)/, "") || "/",
      query: url.search,
      body,
    };
    this.log.push(seen);
    const matches = (spec: { method: string; path: RegExp }) =>
      spec.method === seen.method && new RegExp(`^(?:${spec.path.source})$`).test(seen.path);

    const holdIndex = this.#holds.findIndex((h) => matches(h.spec) && (h.spec.when?.(seen) ?? true));
    if (holdIndex >= 0) {
      const [hold] = this.#holds.splice(holdIndex, 1);
      hold.resolve(seen);
      await new Promise((r) => setTimeout(r, hold.spec.latencyMs));
    }

    const headers = new Headers(request.headers);
    for (const h of HOP_HEADERS) headers.delete(h);
    // The fake writes pagination links for the host the client used.
    if (!headers.has("x-forwarded-host")) headers.set("x-forwarded-host", url.host);
    let upstream: Response;
    try {
      upstream = await fetch(`${this.upstream}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body: raw && raw.length > 0 ? raw : undefined,
      });
    } catch (error) {
      return new Response(`proxy: upstream failed: ${(error as Error).message}`, { status: 599 });
    }
    const answer = new Uint8Array(await upstream.arrayBuffer());
    let parsed: unknown = undefined;
    try {
      parsed = answer.length > 0 ? JSON.parse(new TextDecoder().decode(answer)) : undefined;
    } catch {
      parsed = undefined;
    }
    for (let i = 0; i < this.#watches.length; i++) {
      const w = this.#watches[i];
      if (!matches(w.spec) || !w.spec.when(upstream.status, parsed, seen)) continue;
      this.#watches.splice(i--, 1);
      await w.spec.before?.(upstream.status, parsed, seen);
      w.resolve(seen);
    }
    const out = new Headers(upstream.headers);
    for (const h of HOP_HEADERS) out.delete(h);
    const nullBody = upstream.status === 204 || upstream.status === 304;
    return new Response(nullBody ? null : answer, { status: upstream.status, headers: out });
  }
}
