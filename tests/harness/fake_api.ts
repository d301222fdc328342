/**
 * A stateful fake of the Hetzner Cloud API (the endpoints crabbox uses), with full-fidelity JSON, a
 * skewable clock, a rate-limit bucket, correlation ids, scripted faults, and servers that become real
 * sshd boxes. Responses are checked against Hetzner's document by Prism in front of it.
 */
import { createHash } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { Box, type BoxKnobs } from "./box.ts";
import { labelProblem, parseSelector } from "./labels.ts";

export interface Knobs extends BoxKnobs {
  /** ms after create until public_net.ipv4 is set. */
  tIp: number;
  /** ms until the create action succeeds and status is running. */
  tRunning: number;
  /** ms until the image's sshd (port 22, root keys) starts. */
  tSsh22: number;
  /** ms until cloud-init applies the user-data. */
  tCloudInit: number;
  /** Never assign an IPv4. */
  nullIpv4: boolean;
}

export const DEFAULT_KNOBS: Knobs = {
  tIp: 100,
  tRunning: 200,
  tSsh22: 300,
  tCloudInit: 500,
  nullIpv4: false,
  hostKeyMismatch: false,
  sshNeverReady: false,
};

export interface Fault {
  method: string;
  /** Regular expression over the path (without /v1 and query). */
  path: string;
  /** How many matching requests get it (default 1). */
  count?: number;
  status?: number;
  code?: string;
  message?: string;
  details?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Reply with an HTML body instead of JSON. */
  html?: boolean;
  /** POST /servers only: create the server, then answer with this fault (ambiguous create). */
  afterCreate?: boolean;
}

export interface CapacityRule {
  serverType: string;
  location?: string;
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

export interface FakeServer {
  id: number;
  name: string;
  created: string;
  createdMs: number;
  labels: Record<string, string>;
  serverType: string;
  location: string;
  image: string;
  status: string;
  ipv4: string | null;
  index: number | null;
  userData: string | null;
  box: Box | null;
  paper: boolean;
  timers: ReturnType<typeof setTimeout>[];
}

export interface FakeKey {
  id: number;
  name: string;
  public_key: string;
  fingerprint: string;
  labels: Record<string, string>;
  created: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  at: number;
}

const SERVER_TYPES = [
  ["cx23", 2, 4, 40, "shared", "x86"],
  ["cx33", 4, 8, 80, "shared", "x86"],
  ["cx53", 16, 32, 320, "shared", "x86"],
  ["cpx22", 2, 4, 80, "shared", "x86"],
  ["cpx32", 4, 8, 160, "shared", "x86"],
  ["cpx62", 16, 32, 640, "shared", "x86"],
  ["ccx13", 2, 8, 80, "dedicated", "x86"],
  ["ccx23", 4, 16, 160, "dedicated", "x86"],
  ["ccx33", 8, 32, 240, "dedicated", "x86"],
  ["ccx43", 16, 64, 360, "dedicated", "x86"],
  ["ccx53", 32, 128, 600, "dedicated", "x86"],
  ["ccx63", 48, 192, 960, "dedicated", "x86"],
  ["cax11", 2, 4, 40, "shared", "arm"],
] as const;
const LOCATIONS = [
  ["fsn1", "Falkenstein DC Park 1", "DE", "Falkenstein", 50.47612, 12.370071, "eu-central"],
  ["nbg1", "Nuremberg DC Park 1", "DE", "Nuremberg", 49.452102, 11.076665, "eu-central"],
  ["hel1", "Helsinki DC Park 1", "FI", "Helsinki", 60.169855, 24.938379, "eu-central"],
] as const;

export class FakeHetzner {
  readonly servers = new Map<number, FakeServer>();
  readonly keys = new Map<number, FakeKey>();
  readonly actions = new Map<
    number,
    { id: number; command: string; started: string; doneAt: number; resourceId: number; type: string }
  >();
  readonly log: LoggedRequest[] = [];
  faults: (Fault & { remaining: number })[] = [];
  capacity: CapacityRule[] = [];
  knobs: Knobs = { ...DEFAULT_KNOBS };
  skewMs = 0;
  rateLimit = { limit: 3600, remaining: 3600 };
  #nextId = 40_000_000;
  #usedIndexes = new Set<number>();
  #runId: string;
  #root: string;
  validateUserData: (yaml: string) => string[] = () => [];

  constructor(readonly token: string, root: string, runId: string) {
    this.#root = root;
    this.#runId = runId;
  }

  now(): number {
    return Date.now() + this.skewMs;
  }

  #iso(ms = this.now()): string {
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "+00:00");
  }

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/v1(?=\/)/, "");
    const method = request.method;
    const response = await this.#route(request, method, path, url).catch((error) =>
      this.#error(500, "server_error", `fake: ${(error as Error).message}`)
    );
    this.log.push({ method, path, query: url.search, status: response.status, at: Date.now() });
    return response;
  }

  async #route(request: Request, method: string, path: string, url: URL): Promise<Response> {
    if (request.headers.get("authorization") !== `Bearer ${this.token}`) {
      return this.#error(401, "unauthorized", "unable to authenticate");
    }
    const fault = this.#takeFault(method, path);
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault && !fault.afterCreate) return this.#faultResponse(fault);
    if (this.rateLimit.remaining <= 0) {
      return this.#error(429, "rate_limit_exceeded", "Limit of '3600' requests per hour for token reached.");
    }
    this.rateLimit.remaining--;
    const body = method === "POST" || method === "PUT"
      ? await request.json().catch(() => undefined)
      : undefined;
    if ((method === "POST" || method === "PUT") && (body === undefined || typeof body !== "object")) {
      return this.#error(400, "json_error", "invalid JSON body");
    }
    let m: RegExpMatchArray | null;
    if (path === "/servers" && method === "GET") return this.#listServers(url);
    if (path === "/servers" && method === "POST") {
      const created = await this.#createServer(body);
      return fault ? this.#faultResponse(fault) : created;
    }
    if ((m = path.match(/^\/servers\/(\d+)$/))) {
      const server = this.servers.get(Number(m[1]));
      if (!server) return this.#error(404, "not_found", "server not found");
      if (method === "GET") return this.#json(200, { server: this.#serverJson(server) });
      if (method === "PUT") return this.#updateServer(server, body);
      if (method === "DELETE") return this.#deleteServer(server);
    }
    if ((m = path.match(/^\/(?:servers\/\d+\/)?actions\/(\d+)$/)) && method === "GET") {
      const action = this.actions.get(Number(m[1]));
      return action
        ? this.#json(200, { action: this.#actionJson(action) })
        : this.#error(404, "not_found", "action not found");
    }
    if (path === "/actions" && method === "GET") {
      const ids = url.searchParams.getAll("id").map(Number);
      if (ids.length === 0) return this.#error(422, "invalid_input", "id is required");
      const found = ids.map((id) => this.actions.get(id)).filter((a) => a !== undefined).map((a) =>
        this.#actionJson(a!)
      );
      return this.#json(200, { actions: found, meta: { pagination: this.#pagination(1, 25, found.length) } });
    }
    if (path === "/ssh_keys" && method === "GET") return this.#listKeys(url);
    if (path === "/ssh_keys" && method === "POST") return this.#createKey(body);
    if ((m = path.match(/^\/ssh_keys\/(\d+)$/))) {
      const key = this.keys.get(Number(m[1]));
      if (!key) return this.#error(404, "not_found", "ssh key not found");
      if (method === "GET") return this.#json(200, { ssh_key: key });
      if (method === "DELETE") {
        this.keys.delete(key.id);
        return new Response(null, { status: 204, headers: this.#headers() });
      }
    }
    if (path === "/server_types" && method === "GET") {
      return this.#paged(url, "server_types", SERVER_TYPES.map((_, i) => serverTypeJson(i)));
    }
    if (path === "/locations" && method === "GET") {
      return this.#paged(
        url,
        "locations",
        LOCATIONS.map((l, i) => this.#locationJson(l, i)),
      );
    }
    return this.#error(404, "not_found", `no route for ${method} ${path}`);
  }

  #takeFault(method: string, path: string): Fault | null {
    const index = this.faults.findIndex((f) => f.method === method && new RegExp(`^${f.path}$`).test(path));
    if (index < 0) return null;
    const fault = this.faults[index];
    if (--fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  #faultResponse(fault: Fault): Response {
    const status = fault.status ?? 500;
    if (fault.html) {
      return new Response(`<html><body><h1>${status} Bad Gateway</h1></body></html>`, {
        status,
        headers: { ...this.#headers(), "content-type": "text/html", ...fault.headers },
      });
    }
    const response = this.#error(
      status,
      fault.code ?? "server_error",
      fault.message ?? "injected fault",
      fault.details,
    );
    for (const [k, v] of Object.entries(fault.headers ?? {})) response.headers.set(k, v);
    if (status === 429 && !fault.headers?.["RateLimit-Remaining"]) {
      response.headers.set("RateLimit-Remaining", "0");
    }
    return response;
  }

  #headers(): Record<string, string> {
    return {
      "Date": new Date(this.now()).toUTCString(),
      "RateLimit-Limit": String(this.rateLimit.limit),
      "RateLimit-Remaining": String(Math.max(0, this.rateLimit.remaining)),
      "RateLimit-Reset": String(
        Math.floor(this.now() / 1000) + (this.rateLimit.limit - this.rateLimit.remaining),
      ),
      "x-correlation-id": crypto.randomUUID().replaceAll("-", "").slice(0, 16),
    };
  }

  #json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), {
      status,
      headers: { ...this.#headers(), "content-type": "application/json", ...extra },
    });
  }

  #error(status: number, code: string, message: string, details: unknown = null): Response {
    return this.#json(status, { error: { code, message, details } });
  }

  #pagination(page: number, perPage: number, total: number) {
    const last = Math.max(1, Math.ceil(total / perPage));
    return {
      page,
      per_page: perPage,
      previous_page: page > 1 ? page - 1 : null,
      next_page: page < last ? page + 1 : null,
      last_page: last,
      total_entries: total,
    };
  }

  #paged(url: URL, key: string, items: unknown[]): Response {
    const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
    const perPage = Math.min(50, Math.max(1, Number(url.searchParams.get("per_page") ?? 25) || 25));
    const pagination = this.#pagination(page, perPage, items.length);
    const link = (p: number) => {
      const u = new URL(url);
      u.searchParams.set("page", String(p));
      return u.toString();
    };
    const links = [
      pagination.previous_page ? `<${link(pagination.previous_page)}>; rel="prev"` : null,
      pagination.next_page ? `<${link(pagination.next_page)}>; rel="next"` : null,
      `<${link(pagination.last_page)}>; rel="last"`,
    ].filter(Boolean).join(", ");
    return this.#json(
      200,
      { [key]: items.slice((page - 1) * perPage, page * perPage), meta: { pagination } },
      { Link: links },
    );
  }

  #listServers(url: URL): Response {
    const selector = url.searchParams.get("label_selector");
    const match = selector ? parseSelector(selector) : () => true;
    if (!match) return this.#error(400, "invalid_input", `invalid label_selector`);
    const name = url.searchParams.get("name");
    const statuses = url.searchParams.getAll("status");
    const servers = [...this.servers.values()]
      .filter((s) =>
        match(s.labels) && (name === null || s.name === name) &&
        (statuses.length === 0 || statuses.includes(s.status))
      )
      .sort((a, b) => a.id - b.id)
      .map((s) => this.#serverJson(s));
    return this.#paged(url, "servers", servers);
  }

  #listKeys(url: URL): Response {
    const selector = url.searchParams.get("label_selector");
    const match = selector ? parseSelector(selector) : () => true;
    if (!match) return this.#error(400, "invalid_input", "invalid label_selector");
    const name = url.searchParams.get("name");
    const fingerprint = url.searchParams.get("fingerprint");
    const keys = [...this.keys.values()].filter((k) =>
      match(k.labels) && (name === null || k.name === name) &&
      (fingerprint === null || k.fingerprint === fingerprint)
    );
    return this.#paged(url, "ssh_keys", keys);
  }

  #createKey(body: Record<string, unknown>): Response {
    const name = body.name, publicKey = body.public_key;
    if (typeof name !== "string" || typeof publicKey !== "string") {
      return this.#error(422, "invalid_input", "name and public_key are required");
    }
    const labels = (body.labels ?? {}) as Record<string, string>;
    const problem = labelProblem(labels);
    if (problem) return this.#error(422, "invalid_input", problem);
    const blob = publicKey.trim().split(/\s+/)[1];
    if (!blob) return this.#error(422, "invalid_input", "invalid public key");
    const fingerprint = createHash("md5").update(Uint8Array.from(atob(blob), (c) => c.charCodeAt(0))).digest(
      "hex",
    )
      .match(/../g)!.join(":");
    if ([...this.keys.values()].some((k) => k.name === name)) {
      return this.#error(409, "uniqueness_error", "SSH key with the same name already exists", {
        fields: [{ name: "name" }],
      });
    }
    if ([...this.keys.values()].some((k) => k.fingerprint === fingerprint)) {
      return this.#error(409, "uniqueness_error", "SSH key with the same fingerprint already exists", {
        fields: [{ name: "public_key" }],
      });
    }
    const key: FakeKey = {
      id: this.#nextId++,
      name,
      public_key: publicKey.trim(),
      fingerprint,
      labels,
      created: this.#iso(),
    };
    this.keys.set(key.id, key);
    return this.#json(201, { ssh_key: key });
  }

  async #createServer(body: Record<string, unknown>): Promise<Response> {
    const { name, server_type: type, image } = body as Record<string, unknown>;
    if (typeof name !== "string" || type === undefined || image === undefined) {
      return this.#error(422, "invalid_input", "name, server_type and image are required");
    }
    if (!/^(?=.{1,63}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(name)) {
      return this.#error(422, "invalid_input", "invalid server name");
    }
    if ([...this.servers.values()].some((s) => s.name === name)) {
      return this.#error(409, "uniqueness_error", "server name is already used", {});
    }
    const typeName = String(type);
    if (!SERVER_TYPES.some(([n]) => n === typeName)) {
      return this.#error(422, "invalid_input", "server type not found");
    }
    const location = String(body.location ?? "fsn1");
    if (!LOCATIONS.some(([n]) => n === location)) {
      return this.#error(422, "invalid_input", "location not found");
    }
    const rule = this.capacity.find((c) =>
      c.serverType === typeName && (!c.location || c.location === location)
    );
    if (rule) return this.#error(rule.status, rule.code, rule.message, rule.details ?? null);
    const labels = (body.labels ?? {}) as Record<string, string>;
    const problem = labelProblem(labels);
    if (problem) return this.#error(422, "invalid_input", problem);
    const userData = typeof body.user_data === "string" ? body.user_data : null;
    if (userData && new TextEncoder().encode(userData).length > 32 * 1024) {
      return this.#error(422, "invalid_input", "user_data is limited to 32KiB");
    }
    const sshKeys = (body.ssh_keys ?? []) as (string | number)[];
    const rootKeys: string[] = [];
    for (const ref of sshKeys) {
      const key = [...this.keys.values()].find((k) => k.name === ref || k.id === ref);
      if (!key) return this.#error(422, "invalid_input", `ssh key ${ref} not found`);
      rootKeys.push(key.public_key);
    }
    const index = this.#allocateIndex();
    if (index === null) {
      return this.#error(403, "resource_limit_exceeded", "server limit exceeded", {
        limits: [{ name: "server" }],
      });
    }
    const now = this.now();
    const server: FakeServer = {
      id: this.#nextId++,
      name,
      created: this.#iso(now),
      createdMs: now,
      labels,
      serverType: typeName,
      location,
      image: String(image),
      status: "initializing",
      ipv4: null,
      index,
      userData,
      box: null,
      paper: false,
      timers: [],
    };
    this.servers.set(server.id, server);
    const action = {
      id: this.#nextId++,
      command: "create_server",
      started: this.#iso(now),
      doneAt: Date.now() + this.knobs.tRunning,
      resourceId: server.id,
      type: "server",
    };
    this.actions.set(action.id, action);
    await this.#boot(server, rootKeys);
    return this.#json(201, {
      server: this.#serverJson(server),
      action: this.#actionJson(action),
      next_actions: [],
      root_password: null,
    });
  }

  #allocateIndex(): number | null {
    for (let i = 1; i <= 254; i++) {
      if (!this.#usedIndexes.has(i)) {
        this.#usedIndexes.add(i);
        return i;
      }
    }
    return null;
  }

  async #boot(server: FakeServer, rootKeys: string[]): Promise<void> {
    const knobs = { ...this.knobs };
    const box = new Box(this.#runId, server.index!, this.#root, server.name);
    server.box = box;
    const pinned = pinnedHostKey(server.userData);
    await box.create(pinned, rootKeys);
    const at = (ms: number, fn: () => void | Promise<void>) => {
      server.timers.push(setTimeout(() => {
        if (this.servers.get(server.id) === server) void Promise.resolve(fn()).catch(() => {});
      }, ms));
    };
    if (!knobs.nullIpv4) at(knobs.tIp, () => void (server.ipv4 = box.ip));
    at(knobs.tRunning, () => void (server.status = "running"));
    at(knobs.tSsh22, () => box.powerOn());
    at(knobs.tCloudInit, () => box.applyUserData(server.userData ?? "", this.validateUserData, knobs));
  }

  #updateServer(server: FakeServer, body: Record<string, unknown>): Response {
    if (body.labels !== undefined) {
      const problem = labelProblem(body.labels);
      if (problem) return this.#error(422, "invalid_input", problem);
      server.labels = { ...(body.labels as Record<string, string>) };
    }
    if (typeof body.name === "string") server.name = body.name;
    return this.#json(200, { server: this.#serverJson(server) });
  }

  async #deleteServer(server: FakeServer): Promise<Response> {
    this.servers.delete(server.id);
    server.timers.forEach(clearTimeout);
    const action = {
      id: this.#nextId++,
      command: "delete_server",
      started: this.#iso(),
      doneAt: Date.now(),
      resourceId: server.id,
      type: "server",
    };
    this.actions.set(action.id, action);
    await server.box?.destroy();
    if (server.index !== null) this.#usedIndexes.delete(server.index);
    return this.#json(200, { action: this.#actionJson(action) });
  }

  /** API-only servers (no sshd), for list and sweep tests. */
  addPaperServers(
    count: number,
    labels: (i: number) => Record<string, string>,
    createdMs?: number,
  ): number[] {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.#nextId++;
      const created = createdMs ?? this.now();
      this.servers.set(id, {
        id,
        name: `paper-${id}`,
        created: this.#iso(created),
        createdMs: created,
        labels: labels(i),
        serverType: "cx23",
        location: "fsn1",
        image: "ubuntu-24.04",
        status: "running",
        ipv4: `203.0.113.${(i % 250) + 1}`,
        index: null,
        userData: null,
        box: null,
        paper: true,
        timers: [],
      });
      ids.push(id);
    }
    return ids;
  }

  #actionJson(
    a: { id: number; command: string; started: string; doneAt: number; resourceId: number; type: string },
  ) {
    const done = Date.now() >= a.doneAt;
    return {
      id: a.id,
      command: a.command,
      status: done ? "success" : "running",
      progress: done ? 100 : 50,
      started: a.started,
      finished: done ? this.#iso() : null,
      resources: [{ id: a.resourceId, type: a.type }],
      error: null,
    };
  }

  #locationJson(l: readonly [string, string, string, string, number, number, string], i: number) {
    const [name, description, country, city, latitude, longitude, network_zone] = l;
    return { id: i + 1, name, description, country, city, latitude, longitude, network_zone };
  }

  #serverJson(s: FakeServer) {
    const typeIndex = SERVER_TYPES.findIndex(([n]) => n === s.serverType);
    const [, , , disk, , arch] = SERVER_TYPES[typeIndex];
    const locIndex = LOCATIONS.findIndex(([n]) => n === s.location);
    const location = this.#locationJson(LOCATIONS[locIndex], locIndex);
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      created: s.created,
      public_net: {
        ipv4: s.ipv4
          ? { id: s.id + 1, ip: s.ipv4, blocked: false, dns_ptr: `static.${s.ipv4}.example.invalid` }
          : null,
        ipv6: null,
        floating_ips: [],
        firewalls: [],
      },
      private_net: [],
      server_type: serverTypeJson(typeIndex),
      location,
      datacenter: {
        id: locIndex + 1,
        name: `${s.location}-dc14`,
        description: `${s.location} DC 14`,
        location,
        server_types: { supported: [], available: [], available_for_migration: [] },
      },
      image: {
        id: 161547269,
        type: "system",
        status: "available",
        name: s.image,
        description: "Ubuntu 24.04",
        image_size: null,
        disk_size: 5,
        created: "2024-04-25T13:45:50+00:00",
        created_from: null,
        bound_to: null,
        os_flavor: "ubuntu",
        os_version: "24.04",
        rapid_deploy: true,
        protection: { delete: false },
        deprecated: null,
        deleted: null,
        labels: {},
        architecture: arch,
      },
      iso: null,
      rescue_enabled: false,
      locked: false,
      backup_window: null,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      included_traffic: 21990232555520,
      protection: { delete: false, rebuild: false },
      labels: s.labels,
      volumes: [],
      load_balancers: [],
      primary_disk_size: disk,
      placement_group: null,
    };
  }

  async shutdown(): Promise<void> {
    for (const server of this.servers.values()) {
      server.timers.forEach(clearTimeout);
      await server.box?.destroy();
    }
  }
}

function serverTypeJson(index: number) {
  const [name, cores, memory, disk, cpu, arch] = SERVER_TYPES[index];
  return {
    id: index + 1,
    name,
    description: name.toUpperCase(),
    cores,
    memory,
    disk,
    deprecated: false,
    deprecation: null,
    prices: [],
    storage_type: "local",
    cpu_type: cpu,
    category: cpu === "dedicated" ? "dedicated" : "shared",
    architecture: arch,
    locations: LOCATIONS.map(([loc], i) => ({
      id: i + 1,
      name: loc,
      deprecation: null,
      recommended: true,
      available: true,
    })),
  };
}

/** cloud-init's ssh_keys.ed25519_* become the box's host key before sshd first starts. */
function pinnedHostKey(userData: string | null): { priv: string; pub: string } | null {
  try {
    const keys = userData ? parseYaml(userData)?.ssh_keys : null;
    if (typeof keys?.ed25519_private !== "string" || typeof keys?.ed25519_public !== "string") return null;
    return { priv: keys.ed25519_private.trimEnd() + "\n", pub: keys.ed25519_public.trim() };
  } catch {
    return null;
  }
}
