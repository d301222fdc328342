/**
 * crabbox's Hetzner Cloud client (SPEC §6): every list paginates, idempotent calls retry, POST /servers
 * is never retried blindly, and the token lives only in a #private field of HetznerHttp.
 */
import type { Clock } from "../../core/deps.ts";
import { usageError } from "../../core/errors.ts";
import type {
  Action,
  CallOptions,
  CreateServerRequest,
  HetznerApi,
  Labels,
  Location,
  Server,
  ServerType,
  SshKey,
} from "./port.ts";
import type { paths } from "./schema.d.ts";
import { HetznerApiError } from "./errors.ts";
import { HetznerHttp } from "./http.ts";
import { decodeAction, decodeLocation, decodeServer, decodeServerType, decodeSshKey } from "./decode.ts";

export const DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1";

type CreateServerBody = paths["/servers"]["post"]["requestBody"]["content"]["application/json"];
type CreateSshKeyBody = paths["/ssh_keys"]["post"]["requestBody"]["content"]["application/json"];

export interface HetznerClientOptions {
  token: string;
  endpoint: string;
  clock: Clock;
  random?: () => number;
  fetch?: typeof fetch;
  notify?: (message: string) => void;
  debug?: (message: string) => void;
  requestTimeoutMs?: number;
}

/** https anywhere, or http to loopback only (the local harness); trailing "/" trimmed. */
export function resolveEndpoint(raw: string | undefined): string {
  const value = (raw ?? "").trim() || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`HCLOUD_ENDPOINT is not a URL: ${value}`, `unset it to use ${DEFAULT_ENDPOINT}`);
  }
  const loopback = ["localhost", "[::1]", "::1"].includes(url.hostname) || /^127\./.test(url.hostname);
  if (url.username || url.password) {
    throw usageError(
      "HCLOUD_ENDPOINT must not contain credentials",
      "the token is read from HCLOUD_TOKEN only",
    );
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw usageError(
      `HCLOUD_ENDPOINT must use https (http only to loopback): ${value}`,
      `unset it to use ${DEFAULT_ENDPOINT}`,
    );
  }
  return value.replace(/\/+$/, "");
}

const PER_PAGE = 50;
const MAX_PAGES = 200;

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
      notify: this.#notify,
      debug: options.debug ?? (() => {}),
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    });
  }

  now(): number {
    return this.#http.now();
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
    return await this.#list("/servers", "servers", decodeServer, {
      label_selector: query.labelSelector,
      name: query.name,
    }, options.signal);
  }

  async getServer(id: number, options: CallOptions = {}): Promise<Server | null> {
    try {
      const response = await this.#http.idempotent({
        method: "GET",
        path: `/servers/${id}`,
        signal: options.signal,
      });
      return decodeServer(response.json?.server);
    } catch (error) {
      if (error instanceof HetznerApiError && error.status === 404) return null;
      throw error;
    }
  }

  async createServer(
    request: CreateServerRequest,
    options: CallOptions = {},
  ): Promise<{ server: Server; actionId: number | null }> {
    const body: CreateServerBody = {
      name: request.name,
      server_type: request.serverType,
      image: request.image,
      ...(request.location ? { location: request.location } : {}),
      start_after_create: true,
      public_net: { enable_ipv4: true, enable_ipv6: false },
      ssh_keys: request.sshKeys,
      user_data: request.userData,
      labels: request.labels,
    };
    const post = async () => {
      const response = await this.#http.once({
        method: "POST",
        path: "/servers",
        body,
        signal: options.signal,
      });
      const server = decodeServer(response.json?.server);
      if (!server) throw new Error("hetzner POST /servers answered without a server");
      return {
        server,
        actionId: typeof response.json?.action?.id === "number" ? response.json.action.id : null,
      };
    };
    try {
      return await post();
    } catch (error) {
      if (!(error instanceof HetznerApiError)) throw error;
      if (error.code === "uniqueness_error") {
        const [byName] = await this.listServers({ name: request.name }, options);
        if (byName && byName.labels.lease === request.labels.lease) return { server: byName, actionId: null };
        throw error;
      }
      if (!error.ambiguous) throw error;
      // The create may have happened: look the lease up (twice, 5 s apart) before posting again.
      const adopted = await this.#findLease(request.labels.lease, options) ??
        (await this.#clock.sleep(5_000, options.signal),
          await this.#findLease(request.labels.lease, options));
      if (adopted) return { server: adopted, actionId: null };
      return await post();
    }
  }

  async #findLease(lease: string | undefined, options: CallOptions): Promise<Server | null> {
    if (!lease) return null;
    const [server] = await this.listServers({ labelSelector: `lease=${lease}` }, options);
    return server ?? null;
  }

  async replaceServerLabels(id: number, labels: Labels, options: CallOptions = {}): Promise<Server> {
    const response = await this.#http.idempotent({
      method: "PUT",
      path: `/servers/${id}`,
      body: { labels },
      signal: options.signal,
    });
    const server = decodeServer(response.json?.server);
    if (!server) throw new Error(`hetzner PUT /servers/${id} answered without a server`);
    return server;
  }

  async deleteServer(id: number, options: CallOptions = {}): Promise<"deleted" | "gone"> {
    return await this.#delete(`/servers/${id}`, options);
  }

  async getAction(id: number, options: CallOptions = {}): Promise<Action | null> {
    try {
      const response = await this.#http.idempotent({
        method: "GET",
        path: `/actions/${id}`,
        signal: options.signal,
      });
      return decodeAction(response.json?.action);
    } catch (error) {
      if (error instanceof HetznerApiError && error.status === 404) return null;
      throw error;
    }
  }

  async listSshKeys(
    query: { name?: string; labelSelector?: string },
    options: CallOptions = {},
  ): Promise<SshKey[]> {
    return await this.#list("/ssh_keys", "ssh_keys", decodeSshKey, {
      name: query.name,
      label_selector: query.labelSelector,
    }, options.signal);
  }

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
    const key = decodeSshKey(response.json?.ssh_key);
    if (!key) throw new Error("hetzner POST /ssh_keys answered without a key");
    return key;
  }

  async deleteSshKey(id: number, options: CallOptions = {}): Promise<"deleted" | "gone"> {
    return await this.#delete(`/ssh_keys/${id}`, options);
  }

  async listServerTypes(options: CallOptions = {}): Promise<ServerType[]> {
    return await this.#list("/server_types", "server_types", decodeServerType, {}, options.signal);
  }

  async listLocations(options: CallOptions = {}): Promise<Location[]> {
    return await this.#list("/locations", "locations", decodeLocation, {}, options.signal);
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

  /** Follows meta.pagination.next_page (else Link rel="next") to the end; skips undecodable items. */
  async #list<T>(
    path: string,
    key: string,
    decode: (raw: unknown) => T | null,
    query: Record<string, string | undefined>,
    signal?: AbortSignal,
  ): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<number>();
    let page: number | null = 1;
    for (let count = 0; page !== null; count++) {
      if (count >= MAX_PAGES) throw new Error(`hetzner GET ${path}: more than ${MAX_PAGES} pages`);
      if (seen.has(page)) throw new Error(`hetzner GET ${path}: page ${page} was returned twice`);
      seen.add(page);
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
      params.set("page", String(page));
      params.set("per_page", String(PER_PAGE));
      const response = await this.#http.idempotent({ method: "GET", path: `${path}?${params}`, signal });
      const raw = response.json?.[key];
      for (const item of Array.isArray(raw) ? raw : []) {
        const decoded = decode(item);
        if (decoded === null) this.#notify(`warning: skipped an undecodable item in ${path}`);
        else items.push(decoded);
      }
      page = nextPage(response.json?.meta?.pagination?.next_page, response.headers.get("link"));
    }
    return items;
  }
}

function nextPage(fromMeta: unknown, link: string | null): number | null {
  if (typeof fromMeta === "number") return fromMeta;
  if (fromMeta === null) return null;
  const next = link?.split(",").find((part) => /rel="next"/.test(part));
  const url = next?.match(/<([^>]+)>/)?.[1];
  const page = url ? new URL(url, "http://x").searchParams.get("page") : null;
  return page ? Number(page) : null;
}
