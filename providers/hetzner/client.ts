/**
 * crabbox's Hetzner Cloud client (SPEC §6): every list paginates, idempotent calls retry, POST /servers
 * is never retried blindly, answers decode leniently, and the token lives only in HetznerHttp's #token.
 */
import type { Clock } from "../../core/deps.ts";
import type {
  Action,
  CallOptions,
  CreateNetworkRequest,
  CreateServerRequest,
  Firewall,
  FirewallRule,
  HetznerApi,
  Image,
  Labels,
  Location,
  Network,
  Server,
  ServerCount,
  ServerType,
  SshKey,
  WriteAccess,
} from "./port.ts";
import type { paths } from "./schema.d.ts";
import { HetznerApiError } from "./errors.ts";
import { HetznerHttp, type HttpResponse } from "./http.ts";
import {
  decodeAction,
  decodeFirewall,
  decodeImage,
  decodeLocation,
  decodeNetwork,
  decodeServer,
  decodeServerType,
  decodeSshKey,
} from "./decode.ts";
import { nextPage, pageProblem, pageUrl } from "./pagination.ts";
import { createServerSafely } from "./create_server.ts";

export { DEFAULT_ENDPOINT, resolveEndpoint } from "./endpoint.ts";

type CreateSshKeyBody = paths["/ssh_keys"]["post"]["requestBody"]["content"]["application/json"];
type CreateServerBody = paths["/servers"]["post"]["requestBody"]["content"]["application/json"];
type CreateImageBody =
  paths["/servers/{id}/actions/create_image"]["post"]["requestBody"]["content"]["application/json"];
type UpdateImageBody = paths["/images/{id}"]["put"]["requestBody"]["content"]["application/json"];
type CreateNetworkBody = paths["/networks"]["post"]["requestBody"]["content"]["application/json"];
type CreateFirewallBody = paths["/firewalls"]["post"]["requestBody"]["content"]["application/json"];
type UpdateServerBody = paths["/servers/{id}"]["put"]["requestBody"]["content"]["application/json"];

export interface HetznerClientOptions {
  token: string;
  /** Already validated by resolveEndpoint. */
  endpoint: string;
  /** sleep() paces backoff; now() plus the Date-header offset is Hetzner time. */
  clock: Clock;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** For idempotent calls; may pool connections. */
  fetch?: typeof fetch;
  /**
   * For POSTs (creates): must open a fresh connection per request and never re-send it (main.ts wires
   * core/runtime.ts fetchOnFreshConnection). Defaults to `fetch`, which is only right for test fakes.
   */
  fetchUnpooled?: typeof fetch;
  /** User-visible progress and warnings, without the "crabbox: " prefix. */
  notify?: (message: string) => void;
  /**
   * --debug: per request "hetzner GET /servers?… 200 123ms (correlation …)" and its redacted bodies
   * (http_debug.ts); never headers. Absent, nothing is formatted.
   */
  debug?: (message: string) => void;
  requestTimeoutMs?: number;
}

export function createHetznerClient(options: HetznerClientOptions): HetznerApi {
  return new HetznerClient(options);
}

class HetznerClient implements HetznerApi {
  readonly #http: HetznerHttp;
  readonly #notify: (message: string) => void;
  readonly #clock: Clock;

  constructor(options: HetznerClientOptions) {
    this.#notify = options.notify ?? (() => {});
    this.#clock = options.clock;
    this.#http = new HetznerHttp(options.token, {
      endpoint: options.endpoint,
      clock: options.clock,
      random: options.random ?? Math.random,
      fetch: options.fetch ?? fetch,
      fetchUnpooled: options.fetchUnpooled ?? options.fetch ?? fetch,
      notify: this.#notify,
      debug: options.debug,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    });
  }

  now(): number {
    return this.#http.now();
  }

  async clockSynced(options: CallOptions = {}): Promise<void> {
    await this.#http.clockSynced(options.signal);
  }

  toJSON(): string {
    return "[HetznerClient]";
  }

  [Symbol.for("Deno.customInspect")](): string {
    return "[HetznerClient]";
  }

  async listServers(
    query: { labelSelector?: string; name?: string },
    options: CallOptions = {},
  ): Promise<Server[]> {
    const params = { label_selector: query.labelSelector, name: query.name };
    return await this.#list("/servers", "servers", decodeServer, params, options);
  }

  async getServer(id: number, options: CallOptions = {}): Promise<Server | null> {
    const response = await this.#getOrNull(`/servers/${id}`, options);
    return response && this.#decodeOne(response, "GET", `/servers/${id}`, "server", decodeServer);
  }

  async createServer(
    request: CreateServerRequest,
    options: CallOptions = {},
  ): Promise<{ server: Server; actionId: number | null }> {
    const ports = {
      http: this.#http,
      clock: this.#clock,
      listServers: (query: { labelSelector?: string; name?: string }, o?: CallOptions) =>
        this.listServers(query, o),
    };
    return await createServerSafely(ports, request, options);
  }

  async replaceServerLabels(id: number, labels: Labels, options: CallOptions = {}): Promise<Server> {
    const body: UpdateServerBody = { labels };
    const path = `/servers/${id}`;
    const response = await this.#http.idempotent({ method: "PUT", path, body, signal: options.signal });
    return this.#decodeOne(response, "PUT", path, "server", decodeServer);
  }

  async deleteServer(id: number, options: CallOptions = {}): Promise<"deleted" | "gone"> {
    return await this.#delete(`/servers/${id}`, options);
  }

  async getAction(id: number, options: CallOptions = {}): Promise<Action | null> {
    const response = await this.#getOrNull(`/actions/${id}`, options);
    return response && this.#decodeOne(response, "GET", `/actions/${id}`, "action", decodeAction);
  }

  async listSshKeys(
    query: { name?: string; labelSelector?: string },
    options: CallOptions = {},
  ): Promise<SshKey[]> {
    const params = { name: query.name, label_selector: query.labelSelector };
    return await this.#list("/ssh_keys", "ssh_keys", decodeSshKey, params, options);
  }

  /** Sent once: SPEC §5.4 resolves ambiguous failures by a GET by name in the caller. */
  async createSshKey(
    request: { name: string; publicKey: string; labels: Labels },
    options: CallOptions = {},
  ): Promise<SshKey> {
    const body: CreateSshKeyBody = {
      name: request.name,
      public_key: request.publicKey,
      labels: request.labels,
    };
    const response = await this.#http.once({
      method: "POST",
      path: "/ssh_keys",
      body,
      signal: options.signal,
    });
    return this.#decodeOne(response, "POST", "/ssh_keys", "ssh_key", decodeSshKey);
  }

  async deleteSshKey(id: number, options: CallOptions = {}): Promise<"deleted" | "gone"> {
    return await this.#delete(`/ssh_keys/${id}`, options);
  }

  /** Sent once (a POST that makes something); the caller adopts by label after an ambiguous failure. */
  async createSnapshot(
    serverId: number,
    request: { description: string; labels: Labels },
    options: CallOptions = {},
  ): Promise<{ image: Image; actionId: number | null }> {
    const body: CreateImageBody = {
      type: "snapshot",
      description: request.description,
      labels: request.labels,
    };
    const path = `/servers/${serverId}/actions/create_image`;
    const response = await this.#http.once({ method: "POST", path, body, signal: options.signal });
    const image = this.#decodeOne(response, "POST", path, "image", decodeImage);
    const actionId = (response.json as { action?: { id?: unknown } } | null)?.action?.id;
    return { image, actionId: typeof actionId === "number" ? actionId : null };
  }

  async listImages(
    query: { type?: string; labelSelector?: string },
    options: CallOptions = {},
  ): Promise<Image[]> {
    const params = { type: query.type, label_selector: query.labelSelector };
    return await this.#list("/images", "images", decodeImage, params, options);
  }

  async getImage(id: number, options: CallOptions = {}): Promise<Image | null> {
    const response = await this.#getOrNull(`/images/${id}`, options);
    return response && this.#decodeOne(response, "GET", `/images/${id}`, "image", decodeImage);
  }

  async replaceImageLabels(id: number, labels: Labels, options: CallOptions = {}): Promise<Image> {
    const body: UpdateImageBody = { labels };
    const path = `/images/${id}`;
    const response = await this.#http.idempotent({ method: "PUT", path, body, signal: options.signal });
    return this.#decodeOne(response, "PUT", path, "image", decodeImage);
  }

  async deleteImage(id: number, options: CallOptions = {}): Promise<"deleted" | "gone"> {
    return await this.#delete(`/images/${id}`, options);
  }

  async listNetworks(
    query: { labelSelector?: string; name?: string },
    options: CallOptions = {},
  ): Promise<Network[]> {
    const params = { label_selector: query.labelSelector, name: query.name };
    return await this.#list("/networks", "networks", decodeNetwork, params, options);
  }

  async getNetwork(id: number, options: CallOptions = {}): Promise<Network | null> {
    const response = await this.#getOrNull(`/networks/${id}`, options);
    return response && this.#decodeOne(response, "GET", `/networks/${id}`, "network", decodeNetwork);
  }

  /** Sent once: a pond resolves an ambiguous create by listing its networks by label (lease/pond_network.ts). */
  async createNetwork(request: CreateNetworkRequest, options: CallOptions = {}): Promise<Network> {
    const body: CreateNetworkBody = {
      name: request.name,
      ip_range: request.ipRange,
      labels: request.labels,
      subnets: [{ type: "cloud", ip_range: request.ipRange, network_zone: request.networkZone }],
    };
    const response = await this.#http.once({
      method: "POST",
      path: "/networks",
      body,
      signal: options.signal,
    });
    return this.#decodeOne(response, "POST", "/networks", "network", decodeNetwork);
  }

  async deleteNetwork(id: number, options: CallOptions = {}): Promise<"deleted" | "gone"> {
    return await this.#delete(`/networks/${id}`, options);
  }

  async listFirewalls(
    query: { labelSelector?: string; name?: string },
    options: CallOptions = {},
  ): Promise<Firewall[]> {
    const params = { label_selector: query.labelSelector, name: query.name };
    return await this.#list("/firewalls", "firewalls", decodeFirewall, params, options);
  }

  /** Sent once: the name is unique per project, so the caller resolves a conflict by looking it up. */
  async createFirewall(
    request: { name: string; labels: Labels; rules: FirewallRule[] },
    options: CallOptions = {},
  ): Promise<Firewall> {
    const body: CreateFirewallBody = {
      name: request.name,
      labels: request.labels,
      rules: request.rules.map((rule) => ({
        direction: rule.direction,
        protocol: rule.protocol,
        ...(rule.port === null ? {} : { port: rule.port }),
        ...(rule.direction === "in" ? { source_ips: rule.sourceIps } : {}),
        description: rule.description,
      })),
    };
    const response = await this.#http.once({
      method: "POST",
      path: "/firewalls",
      body,
      signal: options.signal,
    });
    return this.#decodeOne(response, "POST", "/firewalls", "firewall", decodeFirewall);
  }

  async deleteFirewall(id: number, options: CallOptions = {}): Promise<"deleted" | "gone" | "in_use"> {
    try {
      return await this.#delete(`/firewalls/${id}`, options);
    } catch (error) {
      if (error instanceof HetznerApiError && error.code === "resource_in_use") return "in_use";
      throw error;
    }
  }

  async listServerTypes(options: CallOptions = {}): Promise<ServerType[]> {
    return await this.#list("/server_types", "server_types", decodeServerType, {}, options);
  }

  async listLocations(options: CallOptions = {}): Promise<Location[]> {
    return await this.#list("/locations", "locations", decodeLocation, {}, options);
  }

  async countServers(query: { labelSelector?: string }, options: CallOptions = {}): Promise<ServerCount> {
    const params = new URLSearchParams();
    if (query.labelSelector !== undefined) params.set("label_selector", query.labelSelector);
    params.set("per_page", "1");
    const path = `/servers?${params}`;
    const response = await this.#http.idempotent({ method: "GET", path, signal: options.signal });
    const total = (response.json as { meta?: { pagination?: { total_entries?: unknown } } } | null)?.meta
      ?.pagination?.total_entries;
    if (typeof total !== "number" || !Number.isInteger(total) || total < 0) {
      throw paginationError("/servers", "the answer carried no meta.pagination.total_entries");
    }
    const limit = Number(response.headers.get("ratelimit-limit") ?? NaN);
    const remaining = Number(response.headers.get("ratelimit-remaining") ?? NaN);
    return {
      total,
      rateLimit: Number.isFinite(limit) && Number.isFinite(remaining) ? { limit, remaining } : null,
    };
  }

  async probeWriteAccess(options: CallOptions = {}): Promise<WriteAccess> {
    // Schema-valid (so a validating proxy passes it on) but never creatable: a name with spaces is no
    // RFC 1123 hostname, and there is no server type or image named "".
    const body: CreateServerBody = {
      name: "crabbox doctor write probe (never created)",
      server_type: "",
      image: "",
      start_after_create: false,
    };
    try {
      const response = await this.#http.once({
        method: "POST",
        path: "/servers",
        body,
        signal: options.signal,
      });
      const id = (response.json as { server?: { id?: unknown } } | null)?.server?.id;
      return { kind: "created", serverId: typeof id === "number" ? id : null };
    } catch (error) {
      if (!(error instanceof HetznerApiError)) throw error;
      if (error.status === 422) return { kind: "read_write" };
      if (
        (error.status === 401 && error.code === "token_readonly") ||
        error.status === 403 && error.code === "forbidden"
      ) {
        return { kind: "read_only", status: error.status, code: error.code };
      }
      throw error;
    }
  }

  async #getOrNull(path: string, options: CallOptions): Promise<HttpResponse | null> {
    try {
      return await this.#http.idempotent({ method: "GET", path, signal: options.signal });
    } catch (error) {
      if (error instanceof HetznerApiError && error.status === 404) return null;
      throw error;
    }
  }

  async #delete(path: string, options: CallOptions): Promise<"deleted" | "gone"> {
    try {
      await this.#http.idempotent({ method: "DELETE", path, signal: options.signal });
      return "deleted";
    } catch (error) {
      if (error instanceof HetznerApiError && error.status === 404) return "gone";
      throw error;
    }
  }

  /** A single object that does not decode is an error (never "gone": the server may well exist). */
  #decodeOne<T>(
    response: HttpResponse,
    method: string,
    path: string,
    key: string,
    decode: (raw: unknown) => T | null,
  ): T {
    const decoded = decode((response.json as Record<string, unknown> | null)?.[key]);
    if (decoded !== null) return decoded;
    throw new HetznerApiError({
      method,
      path,
      status: response.status,
      code: "bad_response",
      message: `the answer carried no readable ${key.replace("_", " ")}`,
      details: null,
      correlationId: response.headers.get("x-correlation-id"),
      retryAfterMs: null,
    });
  }

  /** Every page, 50 per page; an item that does not decode is skipped with a warning. */
  async #list<T>(
    path: string,
    key: string,
    decode: (raw: unknown) => T | null,
    query: Record<string, string | undefined>,
    options: CallOptions,
  ): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<number>();
    for (let page: number | null = 1; page !== null;) {
      const problem = pageProblem(page, seen);
      if (problem) throw paginationError(path, problem);
      seen.add(page);
      const response = await this.#http.idempotent({
        method: "GET",
        path: pageUrl(path, query, page),
        signal: options.signal,
      });
      const raw = (response.json as Record<string, unknown> | null)?.[key];
      if (!Array.isArray(raw)) throw paginationError(path, `page ${page} has no "${key}" array`);
      for (const item of raw) {
        const decoded = decode(item);
        if (decoded !== null) items.push(decoded);
        else this.#notify(`warning: skipped an unreadable item in GET ${path}${describeItem(item)}`);
      }
      page = nextPage(response.json, response.headers.get("link"));
    }
    return items;
  }
}

function paginationError(path: string, problem: string): HetznerApiError {
  return new HetznerApiError({
    method: "GET",
    path,
    status: 200,
    code: "bad_response",
    message: problem,
    details: null,
    correlationId: null,
    retryAfterMs: null,
  });
}

function describeItem(item: unknown): string {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === "number" ? ` (id ${id})` : "";
}
