/**
 * Typed client for the harness's admin API (a separate 127.0.0.1 port, because Prism answers 404 to
 * paths outside Hetzner's document). Tests in other processes (or scripts next to `deno task harness`)
 * drive faults, knobs, the clock and the fake servers through it.
 */
import type { AppliedUserData } from "./box.ts";
import type { CapacityRule, FakeKey, Fault, Knobs, LoggedRequest } from "./fake_api.ts";
import type { LeakReport } from "./leaks.ts";
import type { Violation } from "./prism.ts";
import type { RateLimitSettings } from "./rate_limit.ts";

export type { CapacityRule, Fault, Knobs, LeakReport, LoggedRequest, Violation };

export interface ServerState {
  id: number;
  name: string;
  status: string;
  labels: Record<string, string>;
  ipv4: string | null;
  serverType: string;
  location: string;
  paper: boolean;
  /** The server's directory on the host ($D), null for paper servers. */
  dir: string | null;
  netns: string | null;
  /** The recorded user-data, as sent in POST /servers. */
  userData: string | null;
  /** What the emulated cloud-init made of it (null before t_cloudinit). */
  applied: AppliedUserData | null;
  blackholed: boolean;
  knobs: Knobs;
}

export interface HarnessState {
  servers: ServerState[];
  sshKeys: FakeKey[];
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class AdminClient {
  constructor(readonly url: string) {}

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** The next `count` (default 1) requests matching method + path regex get this fault. */
  async fault(fault: Fault | Fault[]): Promise<void> {
    await this.#call("POST", "/faults", fault);
  }

  async clearFaults(): Promise<void> {
    await this.#call("DELETE", "/faults");
  }

  /** Default knobs for servers created from now on; returns the result. */
  knobs(knobs: Partial<Knobs> = {}): Promise<Knobs> {
    return this.#call("POST", "/knobs", knobs);
  }

  /** Knobs for the next created server only (queued, first in first out). */
  async nextServerKnobs(knobs: Partial<Knobs>): Promise<void> {
    await this.#call("POST", "/knobs/next", knobs);
  }

  /** Capacity and quota answers for POST /servers per type (and location); [] clears. */
  async capacity(rules: CapacityRule[]): Promise<void> {
    await this.#call("POST", "/capacity", rules);
  }

  /** Server-count quota (403 `resource_limit_exceeded`, `server limit exceeded`); null lifts it. */
  async serverLimit(limit: number | null): Promise<void> {
    await this.#call("POST", "/server_limit", { limit });
  }

  /** A new read-only token of the same project: GETs succeed, anything else is 401 token_readonly. */
  async readOnlyToken(): Promise<string> {
    return (await this.#call<{ token: string }>("POST", "/tokens", { readOnly: true })).token;
  }

  /** Sets (`skewMs`) or moves (`advanceMs`) the fake's clock; returns the skew and the fake's now. */
  clock(change: { skewMs?: number; advanceMs?: number }): Promise<{ skewMs: number; now: number }> {
    return this.#call("POST", "/clock", change);
  }

  rateLimit(
    change: Partial<RateLimitSettings> & { remaining?: number } = {},
  ): Promise<RateLimitSettings & { remaining: number }> {
    return this.#call("POST", "/rate_limit", change);
  }

  /** API-only servers without sshd; `labels` is used for all, or per index when an array. */
  async paperServers(
    count: number,
    labels: Record<string, string> | Record<string, string>[],
    createdMs?: number,
  ): Promise<number[]> {
    return (await this.#call<{ ids: number[] }>("POST", "/paper_servers", { count, labels, createdMs })).ids;
  }

  state(): Promise<HarnessState> {
    return this.#call("GET", "/state");
  }

  /** Every request the fake answered (Authorization reduced to valid/missing/invalid). */
  log(): Promise<LoggedRequest[]> {
    return this.#call("GET", "/log");
  }

  async peakRequestRate(windowMs = 1000): Promise<number> {
    return (await this.#call<{ peak: number }>("GET", `/peak_rate?windowMs=${windowMs}`)).peak;
  }

  async serverDir(id: number): Promise<string> {
    return (await this.#call<{ dir: string }>("GET", `/servers/${id}/dir`)).dir;
  }

  /** kill -9 the server's `sshd: crabbox@notty` session processes; returns how many died. */
  async dropConnections(id: number): Promise<number> {
    return (await this.#call<{ killed: number }>("POST", `/servers/${id}/drop_connections`)).killed;
  }

  /** Packets to the server vanish (neighbour-entry trick) until `heal`. */
  async blackhole(id: number): Promise<void> {
    await this.#call("POST", `/servers/${id}/blackhole`);
  }

  async heal(id: number): Promise<void> {
    await this.#call("POST", `/servers/${id}/heal`);
  }

  /** Power-cycle (sshd restarts with the current config and host key). */
  async restart(id: number): Promise<void> {
    await this.#call("POST", `/servers/${id}/restart`);
  }

  /** Runs argv inside the server's mount, pid, net and uts namespaces (nsenter). */
  exec(id: number, argv: string[]): Promise<ExecResult> {
    return this.#call("POST", `/servers/${id}/exec`, { argv });
  }

  /** Leaks right now (servers, keys, namespaces); `Harness.stop()` reports the final one. */
  leaks(): Promise<LeakReport> {
    return this.#call("GET", "/leaks");
  }

  violations(): Promise<Violation[]> {
    return this.#call("GET", "/violations");
  }
}
