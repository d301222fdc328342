/**
 * A stateful fake of the Hetzner Cloud API (the endpoints crabbox uses), with full-fidelity JSON, a
 * skewable clock, a rate-limit bucket, correlation ids, scripted faults, and servers that become real
 * sshd boxes. Responses are checked against Hetzner's document by Prism in front of it.
 */
import { createHash } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { Box, type BoxKnobs } from "./box.ts";
import {
  datacenterJson,
  datacenterLocationIndex,
  imageIndex,
  IMAGES,
  locationIndex,
  locationJson,
  LOCATIONS,
  SERVER_TYPES,
  serverTypeIndex,
  serverTypeJson,
} from "./catalog.ts";
import {
  actionJson,
  architectureOf,
  type FakeAction,
  isoTime,
  paginationJson,
  serverJson,
  sortBy,
} from "./fake_json.ts";
import { claimIndex, releaseIndexSync } from "./ip_pool.ts";
import { FakeNetworks } from "./networks.ts";
import { FirewallStore } from "./firewalls.ts";
import { labelProblem, parseSelector } from "./labels.ts";
import { peakRate, TokenBucket } from "./rate_limit.ts";
import { FakeImages } from "./images.ts";

/**
 * A server's timeline, in ms from the moment its machine exists (netns and disk made: "booted"), never
 * from the POST: a slow host must not make the create action finish before the server runs.
 */
export interface Knobs extends BoxKnobs {
  /**
   * ms after boot until public_net.ipv4 is set. 0: already in the create answer, as the official document's
   * example shows (an `initializing` server with its IPv4); faults and interrupt tests set a delay.
   */
  tIp: number;
  /** ms after boot until the create action succeeds and, at the same instant, status is running. */
  tRunning: number;
  /** ms after boot until the image's sshd (port 22, root keys) starts. */
  tSsh22: number;
  /** ms after boot until cloud-init applies the user-data (then the box power-cycles). */
  tCloudInit: number;
  /** Never assign an IPv4. */
  nullIpv4: boolean;
  /** The create action ends `error` with this; the server stays off. */
  createActionError: { code: string; message: string } | null;
}

export const DEFAULT_KNOBS: Knobs = {
  tIp: 0,
  tRunning: 200,
  tSsh22: 300,
  tCloudInit: 600,
  nullIpv4: false,
  hostKeyMismatch: false,
  sshNeverReady: false,
  sshBlackhole: false,
  createActionError: null,
};

export interface Fault {
  method: string;
  /** Regular expression over the whole path (without /v1 and query). */
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
  /** Close the connection without answering (direct endpoint only; Prism turns it into its own 5xx). */
  drop?: boolean;
  /** POST /servers only: create the server, then answer with this fault or drop (ambiguous create). */
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
  /** Real ms when the machine was booted (t=0 of its timeline); null while booting and for paper. */
  bootedAt: number | null;
  /** The timeline's side effects (sshd start, cloud-init); status and IP are derived by settle(). */
  timers: ReturnType<typeof setTimeout>[];
  knobs: Knobs;
  /** The snapshot's disk this server boots from (a copy of it becomes its box dir). */
  fromDisk?: string;
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
  /** 0 when the connection was dropped. */
  status: number;
  /** Real ms. */
  at: number;
  /** The Authorization header, redacted to what it was. */
  auth: "valid" | "readonly" | "missing" | "invalid";
  correlationId: string;
}

/** Per-request hooks from the transport. */
export interface RequestContext {
  /** Closes this request's connection without an answer. */
  drop?: () => void;
}

const RFC1123_NAME = /^(?=.{1,63}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
const USER_DATA_LIMIT = 32 * 1024;
const JSON_METHODS = new Set(["POST", "PUT"]);

export class FakeHetzner {
  readonly servers = new Map<number, FakeServer>();
  readonly keys = new Map<number, FakeKey>();
  readonly actions = new Map<number, FakeAction>();
  readonly log: LoggedRequest[] = [];
  faults: (Fault & { remaining: number })[] = [];
  capacity: CapacityRule[] = [];
  /** Maximum number of servers (403 `server limit exceeded`); null = only the IP pool limits. */
  serverLimit: number | null = null;
  knobs: Knobs = { ...DEFAULT_KNOBS };
  /** Knobs for the next created servers, taken in order, over `knobs`. */
  nextKnobs: Partial<Knobs>[] = [];
  skewMs = 0;
  /** Tokens of the same project that may only GET (admin POST /tokens). */
  readonly readOnlyTokens = new Set<string>();
  readonly bucket = new TokenBucket({ limit: 3600, refillPerSecond: 1 }, Date.now());
  validateUserData: (yaml: string) => string[] = () => [];
  /** Inode → name of every network namespace this fake made (the leak check looks for survivors). */
  readonly namespaces = new Map<number, string>();
  /** Snapshot images (create_image, /images), tests/harness/images.ts. */
  readonly images: FakeImages;
  #nextId = 40_000_000;
  /** /firewalls, enforced in the boxes' namespaces (firewalls.ts). */
  readonly firewalls = new FirewallStore(
    () => this.#nextId++,
    () => this.now(),
    (id) => this.servers.get(id)?.box ?? null,
  );
  #usedIndexes = new Set<number>();
  #runId: string;
  #root: string;

  /** Private networks and servers' private_net (networks.ts). */
  readonly networks: FakeNetworks;

  constructor(readonly token: string, root: string, runId: string) {
    this.#root = root;
    this.#runId = runId;
    this.images = new FakeImages(root);
    this.networks = new FakeNetworks(runId, () => this.#nextId++, () => this.now());
  }

  /** The fake's own (skewable) clock: `Date`, `created`, action times. */
  now(): number {
    return Date.now() + this.skewMs;
  }

  /**
   * Brings every server's status and IP to real time `now` on its timeline. Derived on read, not by
   * timers, so one `now` decides both an action's status and its server's: they never disagree.
   */
  settle(now = Date.now()): void {
    for (const server of this.servers.values()) settleServer(server, now);
  }

  peakRequestRate(windowMs = 1000): number {
    return peakRate(this.log.map((r) => r.at), windowMs);
  }

  async handle(request: Request, context: RequestContext = {}): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/v1(?=\/|$)/, "") || "/";
    const method = request.method;
    const header = request.headers.get("authorization");
    const auth = header === null
      ? "missing"
      : header === `Bearer ${this.token}`
      ? "valid"
      : [...this.readOnlyTokens].some((t) => header === `Bearer ${t}`)
      ? "readonly"
      : "invalid";
    const correlationId = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
    const reply = new Replier(this, correlationId);
    let response: Response | null;
    try {
      response = await this.#route(request, method, path, url, auth, reply);
    } catch (error) {
      response = reply.error(500, "server_error", `fake: ${(error as Error).message}`);
    }
    if (response === null && !context.drop) {
      response = reply.error(500, "server_error", "fake: a dropped connection needs the direct endpoint");
    }
    this.log.push({
      method,
      path,
      query: url.search,
      status: response?.status ?? 0,
      at: Date.now(),
      auth,
      correlationId,
    });
    if (response === null) {
      context.drop!();
      // Never delivered: the connection is already closed.
      return new Response(null, { status: 204 });
    }
    return response;
  }

  async #route(
    request: Request,
    method: string,
    path: string,
    url: URL,
    auth: string,
    reply: Replier,
  ): Promise<Response | null> {
    // Hetzner's table: 401 token_readonly "The token is only allowed to perform GET requests".
    if (auth === "readonly" && method !== "GET") {
      return reply.error(401, "token_readonly", "The token is only allowed to perform GET requests");
    }
    if (auth !== "valid" && auth !== "readonly") {
      return reply.error(401, "unauthorized", "unable to authenticate");
    }
    const fault = this.#takeFault(method, path);
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault && !fault.afterCreate) return fault.drop ? null : reply.fault(fault);
    // One instant per request: the state it answers with and its actions' progress agree.
    const now = Date.now();
    this.settle(now);
    if (!this.bucket.take(now)) {
      return reply.error(
        429,
        "rate_limit_exceeded",
        `Limit of '${this.bucket.settings.limit}' requests per hour reached.`,
      );
    }
    let body: Record<string, unknown> = {};
    if (JSON_METHODS.has(method)) {
      const parsed = await request.json().catch(() => undefined);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return reply.error(400, "json_error", "invalid JSON body");
      }
      body = parsed;
    }
    const list = new Lister(url, request.headers.get("x-forwarded-host"), reply);
    let m: RegExpMatchArray | null;
    if (path === "/servers" && method === "GET") return this.#listServers(list, url, reply);
    if (path === "/servers" && method === "POST") {
      const created = await this.#createServer(body, reply);
      if (!fault || created.status !== 201) return created;
      await created.body?.cancel();
      return fault.drop ? null : reply.fault(fault);
    }
    if ((m = path.match(/^\/servers\/(\d+)$/))) {
      const server = this.servers.get(Number(m[1]));
      if (!server) return reply.error(404, "not_found", "server not found");
      if (method === "GET") return reply.json(200, { server: this.#serverJson(server) });
      if (method === "PUT") return this.#updateServer(server, body, reply);
      if (method === "DELETE") return await this.#deleteServer(server, reply, now);
    }
    if ((m = path.match(/^\/servers\/(\d+)\/actions\/create_image$/)) && method === "POST") {
      return await this.#createImage(Number(m[1]), body, reply, now);
    }
    if (path === "/images" && method === "GET") {
      const images = this.images.list(url, now);
      return images
        ? list.page("images", images)
        : reply.error(422, "invalid_input", "invalid label_selector");
    }
    if ((m = path.match(/^\/images\/(\d+)$/))) {
      const id = Number(m[1]);
      const found = this.images.get(id, now);
      if (!found) return reply.error(404, "not_found", "image not found");
      if (method === "GET") return reply.json(200, { image: found });
      const image = this.images.images.get(id);
      if (!image) return reply.error(403, "forbidden", "system images cannot be changed");
      if (method === "PUT") {
        const updated = this.images.update(id, body);
        if (typeof updated === "string") return reply.error(422, "invalid_input", updated);
        return reply.json(200, { image: this.images.json(image, now) });
      }
      if (method === "DELETE") {
        await this.images.delete(id);
        return reply.empty(204);
      }
    }
    if ((m = path.match(/^\/servers\/(\d+)\/actions\/(\d+)$/)) && method === "GET") {
      const action = this.actions.get(Number(m[2]));
      return action && action.resourceId === Number(m[1])
        ? reply.json(200, { action: this.#actionJson(action, now) })
        : reply.error(404, "not_found", "action not found");
    }
    if ((m = path.match(/^\/actions\/(\d+)$/)) && method === "GET") {
      const action = this.actions.get(Number(m[1]));
      return action
        ? reply.json(200, { action: this.#actionJson(action, now) })
        : reply.error(404, "not_found", "action not found");
    }
    if (path === "/actions" && method === "GET") {
      const ids = url.searchParams.getAll("id").map(Number);
      if (ids.length === 0) return reply.error(422, "invalid_input", "id is required");
      const found = ids.flatMap((id) => this.actions.get(id) ?? []).map((a) => this.#actionJson(a, now));
      return list.page("actions", found);
    }
    if (path === "/ssh_keys" && method === "GET") return this.#listKeys(list, url, reply);
    if (path === "/ssh_keys" && method === "POST") return this.#createKey(body, reply);
    if ((m = path.match(/^\/ssh_keys\/(\d+)$/))) {
      const key = this.keys.get(Number(m[1]));
      if (!key) return reply.error(404, "not_found", "ssh key not found");
      if (method === "GET") return reply.json(200, { ssh_key: key });
      if (method === "DELETE") {
        this.keys.delete(key.id);
        return reply.empty(204);
      }
    }
    const networks = await this.networks.route(method, path, url, body, list, reply);
    if (networks) return networks;
    if ((m = path.match(/^\/servers\/(\d+)\/actions\/attach_to_network$/)) && method === "POST") {
      const server = this.servers.get(Number(m[1]));
      if (!server) return reply.error(404, "not_found", "server not found");
      if (typeof body.network !== "number") return reply.error(422, "invalid_input", "network is required");
      const ip = typeof body.ip === "string" ? body.ip : undefined;
      const problem = await this.networks.attach(server, body.network, zoneOf(server.location), ip);
      if (problem) return reply.error(problem.status, problem.code, problem.message);
      const action = this.#newAction("attach_to_network", server.id, now, 0);
      return reply.json(201, { action: this.#actionJson(action, now) });
    }
    const firewall = await this.firewalls.route(method, path, body, url, list, reply);
    if (firewall) return firewall;
    if (method === "GET") {
      const catalog = this.#catalog(path, url, list);
      if (catalog) return catalog;
    }
    return reply.error(404, "not_found", `no route for ${method} ${path}`);
  }

  #catalog(path: string, url: URL, list: Lister): Response | null {
    const name = url.searchParams.get("name");
    const named = <T extends { name: string }>(items: T[]) =>
      name === null ? items : items.filter((i) => i.name === name);
    if (path === "/server_types") {
      return list.page(
        "server_types",
        named(SERVER_TYPES.map((_, i) => serverTypeJson(i))),
      );
    }
    if (path === "/locations") return list.page("locations", named(LOCATIONS.map((_, i) => locationJson(i))));
    if (path === "/datacenters") {
      // The schema also requires a recommended datacenter.
      return list.page("datacenters", named(LOCATIONS.map((_, i) => datacenterJson(i))), {
        recommendation: 1,
      });
    }
    return null;
  }

  #takeFault(method: string, path: string): Fault | null {
    const index = this.faults.findIndex((f) =>
      f.method === method && new RegExp(`^(?:${f.path})$`).test(path)
    );
    if (index < 0) return null;
    const fault = this.faults[index];
    if (--fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  #listServers(list: Lister, url: URL, reply: Replier): Response {
    const match = this.#selector(url);
    if (!match) return reply.error(422, "invalid_input", "invalid label_selector");
    const name = url.searchParams.get("name");
    const statuses = url.searchParams.getAll("status");
    const servers = [...this.servers.values()]
      .filter((s) =>
        match(s.labels) && (name === null || s.name === name) &&
        (statuses.length === 0 || statuses.includes(s.status))
      )
      .sort((a, b) => a.id - b.id)
      .map((s) => this.#serverJson(s));
    return list.page("servers", servers);
  }

  #selector(url: URL) {
    const selector = url.searchParams.get("label_selector");
    return selector === null ? () => true : parseSelector(selector);
  }

  #listKeys(list: Lister, url: URL, reply: Replier): Response {
    const match = this.#selector(url);
    if (!match) return reply.error(422, "invalid_input", "invalid label_selector");
    const name = url.searchParams.get("name");
    const fingerprint = url.searchParams.get("fingerprint");
    const keys = [...this.keys.values()].filter((k) =>
      match(k.labels) && (name === null || k.name === name) &&
      (fingerprint === null || k.fingerprint === fingerprint)
    );
    return list.page("ssh_keys", keys);
  }

  #createKey(body: Record<string, unknown>, reply: Replier): Response {
    const name = body.name, publicKey = body.public_key;
    if (typeof name !== "string" || typeof publicKey !== "string") {
      return reply.error(422, "invalid_input", "name and public_key are required");
    }
    const labels = (body.labels ?? {}) as Record<string, string>;
    const problem = labelProblem(labels);
    if (problem) return reply.error(422, "invalid_input", problem);
    const fingerprint = md5Fingerprint(publicKey);
    if (!fingerprint) return reply.error(422, "invalid_input", "invalid public key");
    if ([...this.keys.values()].some((k) => k.name === name)) {
      return reply.error(409, "uniqueness_error", "SSH key with the same name already exists", {
        fields: [{ name: "name" }],
      });
    }
    if ([...this.keys.values()].some((k) => k.fingerprint === fingerprint)) {
      return reply.error(409, "uniqueness_error", "SSH key with the same fingerprint already exists", {
        fields: [{ name: "public_key" }],
      });
    }
    const key: FakeKey = {
      id: this.#nextId++,
      name,
      public_key: publicKey.trim(),
      fingerprint,
      labels,
      created: isoTime(this.now()),
    };
    this.keys.set(key.id, key);
    return reply.json(201, { ssh_key: key });
  }

  async #createServer(body: Record<string, unknown>, reply: Replier): Promise<Response> {
    const { name, server_type: typeRef, image: imageRef } = body;
    const invalid = (message: string) => reply.error(422, "invalid_input", message);
    if (typeof name !== "string" || typeRef === undefined || imageRef === undefined) {
      return invalid("name, server_type and image are required");
    }
    if (!RFC1123_NAME.test(name)) return invalid("invalid server name");
    if ([...this.servers.values()].some((s) => s.name === name)) {
      return reply.error(409, "uniqueness_error", "server name is already used", {});
    }
    const typeIndex = serverTypeIndex(typeRef);
    if (typeIndex === null) return invalid("server type not found");
    const serverType = SERVER_TYPES[typeIndex][0];
    const locIndex = body.datacenter !== undefined
      ? datacenterLocationIndex(body.datacenter)
      : locationIndex(body.location ?? "fsn1");
    if (locIndex === null) return invalid("location not found");
    const location = LOCATIONS[locIndex][0];
    const snapshot = this.images.bootable(imageRef, serverType, Date.now());
    if (typeof snapshot === "string") return invalid(snapshot);
    const image = snapshot ? 0 : imageIndex(imageRef, architectureOf(serverType));
    if (image === null) return invalid("image not found");
    const labels = (body.labels ?? {}) as Record<string, string>;
    const problem = labelProblem(labels);
    if (problem) return invalid(problem);
    const userData = typeof body.user_data === "string" ? body.user_data : null;
    if (userData && new TextEncoder().encode(userData).length > USER_DATA_LIMIT) {
      return invalid("user_data is limited to 32KiB");
    }
    const rootKeys: string[] = [];
    for (const ref of (body.ssh_keys ?? []) as (string | number)[]) {
      const key = [...this.keys.values()].find((k) => k.name === ref || String(k.id) === String(ref));
      if (!key) return invalid(`ssh key ${ref} not found`);
      rootKeys.push(key.public_key);
    }
    const networkIds = body.networks ?? [];
    if (!Array.isArray(networkIds) || networkIds.some((id) => !this.networks.networks.has(id))) {
      return invalid("network not found");
    }
    const firewallIds = this.firewalls.references(body.firewalls);
    if (typeof firewallIds === "string") return invalid(firewallIds);
    const rule = this.capacity.find((c) =>
      c.serverType === serverType && (!c.location || c.location === location)
    );
    if (rule) return reply.error(rule.status, rule.code, rule.message, rule.details ?? null);
    const index = this.serverLimit !== null && this.servers.size >= this.serverLimit
      ? null
      : await this.#allocateIndex();
    if (index === null) {
      return reply.error(403, "resource_limit_exceeded", "server limit exceeded", {
        limits: [{ name: "server_limit" }],
      });
    }
    const knobs: Knobs = { ...this.knobs, ...this.nextKnobs.shift() };
    const now = this.now();
    const server: FakeServer = {
      id: this.#nextId++,
      name,
      created: isoTime(now),
      createdMs: now,
      labels,
      serverType,
      location,
      image: IMAGES[image][1],
      status: "initializing",
      ipv4: null,
      index,
      userData,
      box: null,
      paper: false,
      bootedAt: null,
      timers: [],
      knobs,
      fromDisk: snapshot?.disk,
    };
    this.servers.set(server.id, server);
    let bootedAt: number;
    try {
      bootedAt = await this.#boot(server, rootKeys, firewallIds);
    } catch (error) {
      this.servers.delete(server.id);
      await server.box?.destroy();
      releaseIndexSync(index);
      this.#usedIndexes.delete(index);
      throw error;
    }
    const attaches = [];
    for (const id of networkIds as number[]) {
      const problem = await this.networks.attach(server, id, zoneOf(location));
      if (problem) {
        await this.#deleteServer(server, reply, Date.now());
        return reply.error(problem.status, problem.code, problem.message);
      }
      attaches.push(this.#newAction("attach_to_network", server.id, bootedAt, knobs.tRunning));
    }
    const error = knobs.createActionError;
    const create = this.#newAction("create_server", server.id, bootedAt, knobs.tRunning, error);
    const start = this.#newAction("start_server", server.id, bootedAt, knobs.tRunning, error);
    // The answer describes t=0 of the timeline, however long the boot took.
    settleServer(server, bootedAt);
    return reply.json(201, {
      server: this.#serverJson(server),
      action: this.#actionJson(create, bootedAt),
      next_actions: [start, ...attaches].map((a) => this.#actionJson(a, bootedAt)),
      root_password: rootKeys.length === 0 ? randomPassword() : null,
    });
  }

  #newAction(
    command: string,
    resourceId: number,
    startedAt: number,
    durationMs: number,
    error: FakeAction["error"] = null,
  ): FakeAction {
    const action: FakeAction = {
      id: this.#nextId++,
      command,
      started: isoTime(startedAt + this.skewMs),
      startedAt,
      doneAt: startedAt + durationMs,
      resourceId,
      type: "server",
      error,
    };
    this.actions.set(action.id, action);
    return action;
  }

  /** A free 10.77.N.2, lowest first (addresses are reused); claimed host-wide against parallel runs. */
  async #allocateIndex(): Promise<number | null> {
    const index = await claimIndex((i) => this.#usedIndexes.has(i));
    if (index !== null) this.#usedIndexes.add(index);
    return index;
  }

  /** Makes the machine; returns its boot time, t=0 of the timeline (status and IP: settleServer). */
  async #boot(server: FakeServer, rootKeys: string[], firewallIds: number[] = []): Promise<number> {
    const knobs = server.knobs;
    const box = new Box(this.#runId, server.index!, this.#root, server.name);
    server.box = box;
    await box.create(pinnedHostKey(server.userData), rootKeys, server.fromDisk);
    if (box.netnsInode !== null) this.namespaces.set(box.netnsInode, box.netns);
    // Applied at create time: the rules hold before sshd first listens.
    if (firewallIds.length > 0) await this.firewalls.attach(server.id, firewallIds);
    if (knobs.sshBlackhole) await box.blackhole();
    const bootedAt = Date.now();
    server.bootedAt = bootedAt;
    const at = (ms: number, fn: () => void | Promise<void>) => {
      server.timers.push(setTimeout(() => {
        if (this.servers.get(server.id) === server) void Promise.resolve(fn()).catch(() => {});
      }, Math.max(0, bootedAt + ms - Date.now())));
    };
    if (knobs.createActionError) return bootedAt;
    at(knobs.tSsh22, () => box.powerOn());
    at(knobs.tCloudInit, () => box.applyUserData(server.userData ?? "", this.validateUserData, knobs));
    return bootedAt;
  }

  /** The disk is copied at the POST; the image is `creating` until its action is done. */
  async #createImage(
    serverId: number,
    body: Record<string, unknown>,
    reply: Replier,
    now: number,
  ): Promise<Response> {
    const server = this.servers.get(serverId);
    if (!server) return reply.error(404, "not_found", "server not found");
    if (body.type !== undefined && body.type !== "snapshot" && body.type !== "backup") {
      return reply.error(422, "invalid_input", "type must be snapshot or backup");
    }
    const labels = (body.labels ?? {}) as Record<string, string>;
    const problem = labelProblem(labels);
    if (problem) return reply.error(422, "invalid_input", problem);
    if (!server.box) return reply.error(409, "conflict", "fake: a paper server has no disk to snapshot");
    const image = await this.images.snapshot({
      id: this.#nextId++,
      server: { id: server.id, name: server.name, serverType: server.serverType, dir: server.box.dir },
      description: typeof body.description === "string" ? body.description : "",
      labels,
      now,
      clock: this.now(),
    });
    const action = this.#newAction("create_image", server.id, now, image.doneAt - now);
    return reply.json(201, { image: this.images.json(image, now), action: this.#actionJson(action, now) });
  }

  #updateServer(server: FakeServer, body: Record<string, unknown>, reply: Replier): Response {
    if (body.labels !== undefined) {
      const problem = labelProblem(body.labels);
      if (problem) return reply.error(422, "invalid_input", problem);
    }
    if (body.name !== undefined) {
      if (typeof body.name !== "string" || !RFC1123_NAME.test(body.name)) {
        return reply.error(422, "invalid_input", "invalid server name");
      }
      if ([...this.servers.values()].some((s) => s.name === body.name && s !== server)) {
        return reply.error(409, "uniqueness_error", "server name is already used", {});
      }
      server.name = body.name;
    }
    // PUT replaces the whole label map (spec prose).
    if (body.labels !== undefined) server.labels = { ...(body.labels as Record<string, string>) };
    return reply.json(200, { server: this.#serverJson(server) });
  }

  async #deleteServer(server: FakeServer, reply: Replier, now: number): Promise<Response> {
    this.servers.delete(server.id);
    this.firewalls.detach(server.id);
    server.timers.forEach(clearTimeout);
    server.status = "deleting";
    const action = this.#newAction("delete_server", server.id, now, 0);
    await this.networks.detachAll(server.id);
    await server.box?.destroy();
    if (server.index !== null) this.#usedIndexes.delete(server.index);
    return reply.json(200, { action: this.#actionJson(action, now) });
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
        created: isoTime(created),
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
        bootedAt: null,
        timers: [],
        knobs: { ...this.knobs },
      });
      ids.push(id);
    }
    return ids;
  }

  #serverJson(s: FakeServer) {
    const json = serverJson(s);
    return {
      ...json,
      private_net: this.networks.privateNetOf(s.id),
      public_net: { ...json.public_net, firewalls: this.firewalls.serverJson(s.id) },
    };
  }

  #actionJson(a: FakeAction, now: number) {
    return actionJson(a, now, this.skewMs);
  }

  async shutdown(): Promise<void> {
    for (const server of this.servers.values()) {
      server.timers.forEach(clearTimeout);
      await server.box?.destroy();
    }
    await this.networks.shutdown();
  }
}

/** The network zone of a location (catalog.ts). */
function zoneOf(location: string): string {
  return LOCATIONS.find((l) => l[0] === location)?.[6] ?? "eu-central";
}

/** A booted server's status and IP at real time `now`: the same comparisons as its actions' status. */
function settleServer(server: FakeServer, now: number): void {
  if (server.bootedAt === null || !server.box) return;
  const { knobs } = server;
  if (server.status === "initializing" && now >= server.bootedAt + knobs.tRunning) {
    server.status = knobs.createActionError ? "off" : "running";
  }
  if (server.ipv4 === null && !knobs.nullIpv4 && now >= server.bootedAt + knobs.tIp) {
    server.ipv4 = server.box.ip;
  }
}

/** Builds responses with the headers every answer carries. */
class Replier {
  constructor(private fake: FakeHetzner, private correlationId: string) {}

  headers(): Record<string, string> {
    const now = Date.now(), clock = this.fake.now();
    return {
      "Date": new Date(clock).toUTCString(),
      "RateLimit-Limit": String(this.fake.bucket.settings.limit),
      "RateLimit-Remaining": String(this.fake.bucket.remaining(now)),
      "RateLimit-Reset": String(this.fake.bucket.resetAt(now, clock)),
      "x-correlation-id": this.correlationId,
    };
  }

  json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), {
      status,
      headers: { ...this.headers(), "content-type": "application/json", ...extra },
    });
  }

  empty(status: number): Response {
    return new Response(null, { status, headers: this.headers() });
  }

  error(status: number, code: string, message: string, details: unknown = null): Response {
    return this.json(status, { error: { code, message, details } });
  }

  fault(fault: Fault): Response {
    const status = fault.status ?? 500;
    if (fault.html) {
      return new Response(`<html><body><h1>${status} Bad Gateway</h1></body></html>`, {
        status,
        headers: { ...this.headers(), "content-type": "text/html", ...fault.headers },
      });
    }
    const extra: Record<string, string> = status === 429 ? { "RateLimit-Remaining": "0" } : {};
    return this.json(
      status,
      {
        error: {
          code: fault.code ?? "server_error",
          message: fault.message ?? "injected fault",
          details: fault.details ?? null,
        },
      },
      { ...extra, ...fault.headers },
    );
  }
}

/** `page`/`per_page` (default 25, clamped to 1–50), `sort`, `meta.pagination` and the `Link` header. */
class Lister {
  constructor(private url: URL, private forwardedHost: string | null, private reply: Replier) {}

  page(key: string, all: object[], extra: Record<string, unknown> = {}): Response {
    const params = this.url.searchParams;
    const sorted = params.has("sort") ? sortBy(all, params.getAll("sort")) : all;
    if (typeof sorted === "string") return this.reply.error(422, "invalid_input", sorted);
    const page = Math.max(1, Math.floor(Number(params.get("page") ?? 1)) || 1);
    const perPage = Math.min(50, Math.max(1, Math.floor(Number(params.get("per_page") ?? 25)) || 25));
    const pagination = paginationJson(page, perPage, sorted.length);
    // Behind Prism the Host header names the fake; links must name the endpoint the client used.
    const base = this.forwardedHost ? `http://${this.forwardedHost}` : this.url.origin;
    const link = (p: number) => {
      const u = new URL(this.url.pathname + this.url.search, base);
      u.searchParams.set("page", String(p));
      return u.toString();
    };
    const links = [
      pagination.previous_page ? `<${link(pagination.previous_page)}>; rel="prev"` : null,
      pagination.next_page ? `<${link(pagination.next_page)}>; rel="next"` : null,
      `<${link(pagination.last_page)}>; rel="last"`,
    ].filter(Boolean).join(", ");
    return this.reply.json(
      200,
      { [key]: sorted.slice((page - 1) * perPage, page * perPage), ...extra, meta: { pagination } },
      { Link: links },
    );
  }
}

/** MD5 colon-hex of the key blob, as `ssh-keygen -E md5 -lf` prints after `MD5:`. */
export function md5Fingerprint(publicKey: string): string | null {
  const blob = publicKey.trim().split(/\s+/)[1];
  if (!blob || !/^[A-Za-z0-9+/]+=*$/.test(blob)) return null;
  const bytes = Uint8Array.from(atob(blob), (c) => c.charCodeAt(0));
  return createHash("md5").update(bytes).digest("hex").match(/../g)!.join(":");
}

function randomPassword(): string {
  return [...crypto.getRandomValues(new Uint8Array(15))].map((b) => b.toString(36).padStart(2, "0")).join("")
    .slice(0, 20);
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
