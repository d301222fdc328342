/**
 * Scripted Hetzner exchanges in the style of hcloud-go's mockutil: the exact calls in order, each with a
 * canned answer. Every request body the client sends and every canned answer is checked against
 * Hetzner's document (tests/contract/ajv.ts); answers that are deliberately off-contract must name
 * their expected violations. done() fails on any mismatched, extra or missing call.
 */
import assert from "node:assert/strict";
import type { Clock } from "../../core/deps.ts";
import { createHetznerClient, type HetznerClientOptions } from "../../providers/hetzner/client.ts";
import type { HetznerApi } from "../../providers/hetzner/port.ts";
import { validateRequestBody, validateResponseBody } from "../contract/ajv.ts";

export const TOKEN = "CanaryTok3n-9f8e7d6c5b4a39281706f5e4d3c2b1a0ZyXwVuTsRqPoNmLkJiHgFeDcBa";
export const ENDPOINT = "https://api.example.test/v1";
export const T0 = Date.parse("2026-05-01T12:00:00Z");

/** Records every sleep and advances time instantly; honours the abort signal like the real one. */
export class FakeClock implements Clock {
  sleeps: number[] = [];
  constructor(public nowMs = T0) {}
  now = (): number => this.nowMs;
  sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    this.nowMs += ms;
    return Promise.resolve();
  };
  every = (): () => void => () => {};
}

export interface Exchange {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path and query after the endpoint, e.g. /servers?page=1&per_page=50. */
  path: string;
  /** Expected JSON request body (deep-equal). */
  body?: unknown;
  status?: number;
  response?: unknown;
  headers?: Record<string, string>;
  /** A raw (non-JSON) body instead of `response`. */
  raw?: string;
  /** Exact ajv problems expected for an off-contract `response`. */
  offContract?: string[];
  /** Throw this from fetch instead of answering (a network failure). */
  fail?: Error;
  /** Never answer: resolve only when the request's signal aborts. */
  hang?: boolean;
}

/** /servers/61234567/actions → /servers/{id}/actions, as the document names its paths. */
export function templateOf(path: string): string {
  return path.split("?")[0].replace(/\/\d+(?=\/|$)/g, "/{id}");
}

export class Script {
  readonly #queue: Exchange[];
  readonly mismatches: string[] = [];
  readonly sent: { method: string; path: string; headers: Headers }[] = [];

  constructor(exchanges: Exchange[]) {
    this.#queue = [...exchanges];
    for (const exchange of exchanges) this.#checkCanned(exchange);
  }

  fetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const method = init.method ?? "GET";
    const path = url.pathname.replace(/^\/v1/, "") + url.search;
    const headers = new Headers(init.headers);
    this.sent.push({ method, path, headers });
    const expected = this.#queue.shift();
    const problem = !expected
      ? `unexpected call ${method} ${path}`
      : `${method} ${path}` !== `${expected.method} ${expected.path}`
      ? `expected ${expected.method} ${expected.path}, got ${method} ${path}`
      : headers.get("authorization") !== `Bearer ${TOKEN}`
      ? `${method} ${path} without the bearer token`
      : this.#bodyProblem(expected, init.body);
    if (problem || !expected) {
      this.mismatches.push(problem ?? "no exchange");
      return Promise.reject(new Error(`script mismatch: ${problem}`));
    }
    if (expected.fail) return Promise.reject(expected.fail);
    if (expected.hang) {
      return new Promise((_, reject) => {
        const signal = init.signal!;
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    }
    const status = expected.status ?? 200;
    const text = expected.raw ?? (expected.response === undefined ? null : JSON.stringify(expected.response));
    const contentType = expected.raw === undefined ? "application/json" : "text/html; charset=utf-8";
    return Promise.resolve(
      new Response(text, { status, headers: { "content-type": contentType, ...expected.headers } }),
    );
  };

  /** Every scripted call happened, in order, and nothing else. */
  done(): void {
    assert.deepEqual(this.mismatches, []);
    assert.deepEqual(this.#queue.map((e) => `${e.method} ${e.path}`), [], "scripted calls never made");
  }

  #bodyProblem(expected: Exchange, raw: BodyInit | null | undefined): string | null {
    const body = raw === undefined || raw === null ? undefined : JSON.parse(String(raw));
    if (body !== undefined) {
      const problems = validateRequestBody(expected.method, templateOf(expected.path), body);
      if (problems.length > 0) return `request body off contract: ${problems.join("; ")}`;
    }
    try {
      assert.deepEqual(body, expected.body);
      return null;
    } catch {
      return `body ${JSON.stringify(body)} != ${JSON.stringify(expected.body)}`;
    }
  }

  #checkCanned(exchange: Exchange): void {
    if (exchange.fail || exchange.hang || exchange.raw !== undefined) return;
    const problems = validateResponseBody(
      exchange.method,
      templateOf(exchange.path),
      exchange.status ?? 200,
      exchange.response ?? null,
    );
    assert.deepEqual(problems, exchange.offContract ?? [], `canned ${exchange.method} ${exchange.path}`);
  }
}

export interface TestClient {
  api: HetznerApi;
  clock: FakeClock;
  script: Script;
  notes: string[];
  debugs: string[];
}

export function clientFor(
  exchanges: Exchange[],
  overrides: Partial<HetznerClientOptions> & { clock?: FakeClock } = {},
): TestClient {
  const script = new Script(exchanges);
  const clock = overrides.clock ?? new FakeClock();
  const notes: string[] = [];
  const debugs: string[] = [];
  const api = createHetznerClient({
    token: TOKEN,
    endpoint: ENDPOINT,
    random: () => 0.5,
    fetch: script.fetch as typeof fetch,
    notify: (m) => notes.push(m),
    debug: (m) => debugs.push(m),
    requestTimeoutMs: 1_000,
    ...overrides,
    clock,
  });
  return { api, clock, script, notes, debugs };
}

// ---- Canned bodies that satisfy Hetzner's document -------------------------------------------------

const location = {
  id: 1,
  name: "fsn1",
  description: "Falkenstein DC Park 1",
  country: "DE",
  city: "Falkenstein",
  latitude: 50.47612,
  longitude: 12.370071,
  network_zone: "eu-central",
};

export function serverJson(
  id: number,
  labels: Record<string, string> = {},
  options: { ip?: string | null; name?: string; created?: string } = {},
) {
  const ip = options.ip === undefined ? "203.0.113.7" : options.ip;
  return {
    id,
    name: options.name ?? `crabbox-box-${id}`,
    status: "running",
    created: options.created ?? "2026-05-01T12:00:00+00:00",
    public_net: {
      ipv4: ip === null ? null : { id: 1, ip, blocked: false, dns_ptr: "static.example" },
      ipv6: null,
      floating_ips: [],
      firewalls: [],
    },
    private_net: [],
    server_type: serverTypeJson("ccx13"),
    location,
    datacenter: {
      id: 1,
      name: "fsn1-dc14",
      description: "Falkenstein 1 virtual DC 14",
      location,
      server_types: { supported: [], available: [], available_for_migration: [] },
    },
    image: null,
    iso: null,
    rescue_enabled: false,
    locked: false,
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: 0,
    protection: { delete: false, rebuild: false },
    labels,
    volumes: [],
    load_balancers: [],
    primary_disk_size: 80,
    placement_group: null,
  };
}

export function serverTypeJson(name: string, architecture = "x86") {
  return {
    id: 1,
    name,
    description: name.toUpperCase(),
    cores: 2,
    memory: 8,
    disk: 80,
    deprecated: false,
    prices: [],
    storage_type: "local",
    cpu_type: "dedicated",
    architecture,
    locations: [{ id: 1, name: "fsn1", deprecation: null, recommended: true, available: true }],
  };
}

export function locationJson(name: string) {
  return { ...location, name };
}

export function sshKeyJson(id: number, name: string, publicKey: string, labels: Record<string, string> = {}) {
  return {
    id,
    name,
    fingerprint: "b7:2f:30:a0:2f:6c:58:6c:21:04:58:61:ba:06:3b:2f",
    public_key: publicKey,
    labels,
    created: "2026-05-01T12:00:00+00:00",
  };
}

export function actionJson(id: number, command: string, status: "running" | "success" | "error" = "running") {
  return {
    id,
    command,
    status,
    progress: status === "running" ? 0 : 100,
    started: "2026-05-01T12:00:00+00:00",
    finished: status === "running" ? null : "2026-05-01T12:00:30+00:00",
    resources: [{ id: 42, type: "server" }],
    error: status === "error" ? { code: "action_failed", message: "Action failed" } : null,
  };
}

export function meta(page: number, lastPage: number, total: number) {
  return {
    pagination: {
      page,
      per_page: 50,
      previous_page: page > 1 ? page - 1 : null,
      next_page: page < lastPage ? page + 1 : null,
      last_page: lastPage,
      total_entries: total,
    },
  };
}

export function apiError(code: string, message: string, details: unknown = null) {
  return { error: { code, message, details } };
}

/** Every text an error could surface through: String, JSON, inspect, stack, and its cause chain. */
export function renderings(value: unknown): string[] {
  const texts: string[] = [];
  for (let e: unknown = value, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    texts.push(String(e), JSON.stringify(e) ?? "", Deno.inspect(e, { depth: 10, showHidden: true }));
    if (e instanceof Error) texts.push(e.stack ?? "");
    e = (e as { cause?: unknown }).cause;
  }
  return texts;
}
