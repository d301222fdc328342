/**
 * The provider port: everything crabbox asks of Hetzner, in crabbox's own plain types.
 * Nothing above providers/ sees HTTP, raw API objects or the token.
 */

export type Labels = Record<string, string>;

export interface Server {
  id: number;
  name: string;
  /** Hetzner's own status: running, initializing, starting, off, deleting, … */
  status: string;
  /** Server creation time from Hetzner, epoch ms. */
  createdMs: number;
  ipv4: string | null;
  labels: Labels;
  serverType: string;
  location: string | null;
  /** Attached private networks (`private_net`); absent where a fake builds a server without them. */
  privateNet?: PrivateNet[];
  /** public_net.firewalls (applied or pending); absent when the answer listed none. */
  firewallIds?: number[];
}

export interface PrivateNet {
  network: number;
  ip: string | null;
}

/** A Hetzner private Network (a pond's; docs/ponds.md). */
export interface Network {
  id: number;
  name: string;
  ipRange: string;
  subnets: { ipRange: string | null; networkZone: string }[];
  /** Ids of the attached servers. */
  serverIds: number[];
  labels: Labels;
  createdMs: number;
}

export interface CreateNetworkRequest {
  name: string;
  ipRange: string;
  /** One `cloud` subnet spanning ipRange in this zone (servers attach to subnets, not networks). */
  networkZone: string;
  labels: Labels;
}

export interface SshKey {
  id: number;
  name: string;
  publicKey: string;
  fingerprint: string;
  labels: Labels;
  createdMs: number;
}

export interface CreateServerRequest {
  name: string;
  serverType: string;
  image: string;
  location?: string;
  sshKeys: string[];
  userData: string;
  labels: Labels;
  /** Network ids attached at create time (a pond member's network). */
  networks?: number[];
  /** Firewalls applied at create time (`firewalls` in POST /servers). */
  firewalls?: number[];
}

/** A Hetzner image; crabbox makes and reads only `snapshot` ones (checkpoints, labels/checkpoint.ts). */
export interface Image {
  id: number;
  /** system, app, snapshot or backup. */
  type: string;
  /** available, creating or unavailable. */
  status: string;
  description: string;
  /** GB of the compressed image; null while it is being created. */
  imageSizeGb: number | null;
  /** GB a server needs at least to boot it. */
  diskSizeGb: number;
  createdMs: number;
  createdFrom: { id: number; name: string } | null;
  architecture: string | null;
  labels: Labels;
}

export interface FirewallRule {
  direction: "in" | "out";
  protocol: "tcp" | "udp" | "icmp" | "esp" | "gre";
  /** A port or `low-high`; null for protocols without ports. */
  port: string | null;
  sourceIps: string[];
  description: string | null;
}

export interface Firewall {
  id: number;
  name: string;
  labels: Labels;
  createdMs: number;
  rules: FirewallRule[];
  /** Servers it is applied to, directly or through a label selector. */
  serverIds: number[];
}

export interface Action {
  id: number;
  status: "running" | "success" | "error";
  error: { code: string; message: string } | null;
}

/** A price with and without VAT, in the project's currency (GET /server_types names none; Hetzner bills EUR). */
export interface Money {
  net: number;
  gross: number;
}

/** One location's prices of a server type: per hour, and the monthly cap Hetzner bills at most. */
export interface ServerTypePrice {
  location: string;
  hourly: Money;
  monthly: Money;
}

export interface ServerType {
  name: string;
  deprecated: boolean;
  architecture: string | null;
  /** Per location; an entry whose decimals do not parse is left out. */
  prices: ServerTypePrice[];
}

export interface Location {
  name: string;
}

/** What GET /servers?per_page=1 tells: the total count and the rate limit (doctor's api check). */
export interface ServerCount {
  total: number;
  /** From the RateLimit-* headers; null when the answer had none. */
  rateLimit: { limit: number; remaining: number } | null;
}

/**
 * What an invalid POST /servers says about the token (doctor): `read_write` (422, the body was judged),
 * `read_only` (401 token_readonly or 403 forbidden: refused before the body), or `created` — which an
 * invalid name makes impossible, and which is reported, never hidden.
 */
export type WriteAccess =
  | { kind: "read_write" }
  | { kind: "read_only"; status: number; code: string }
  | { kind: "created"; serverId: number | null };

/** The ssh identity and host key of a box that existed before its lease (a static host). */
/** The provider's own words where lease/ speaks of servers, so the use cases need no provider branch. */
export interface ProviderTerms {
  /** The `provider` label on what it creates: `hetzner`, or `ssh` for static hosts (labels/ownership.ts). */
  label: string;
  /** A server in a message: `server 123`. */
  server(id: number): string;
  /** The count noun: `server`/`servers`. */
  servers(count: number): string;
  /** What deleting a server is: `delete`/`deleting`/`deleted` (a static host's slot is freed). */
  verbs: { delete: string; deleting: string; deleted: string };
  /** Whether its servers have types with prices (the `leasing <type> at …/h` line before a create). */
  priced: boolean;
  /** The progress line once a server exists (the caller adds the stop hint). */
  created(server: Server, serverType: string, location: string | null): string;
}

export interface BoxKeys {
  /** The private key the box already trusts (the user's ssh.key), copied into the lease directory. */
  privateKey: string;
  /** `ssh-ed25519 <base64>`, pinned for the lease as crabbox pins a generated one. */
  hostPublicKey: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface HetznerApi {
  /** Every page, 50 per page. labelSelector uses Hetzner's selector grammar, unencoded. */
  listServers(query: { labelSelector?: string; name?: string }, options?: CallOptions): Promise<Server[]>;
  /** null on 404. */
  getServer(id: number, options?: CallOptions): Promise<Server | null>;
  /** Never retried blindly: ambiguous failures are resolved by looking the lease label up first. */
  createServer(
    request: CreateServerRequest,
    options?: CallOptions,
  ): Promise<{ server: Server; actionId: number | null }>;
  /** PUT of the whole label map (Hetzner replaces it). Callers merge first. */
  replaceServerLabels(id: number, labels: Labels, options?: CallOptions): Promise<Server>;
  /** "gone" when Hetzner answered 404. */
  deleteServer(id: number, options?: CallOptions): Promise<"deleted" | "gone">;
  getAction(id: number, options?: CallOptions): Promise<Action | null>;
  listSshKeys(query: { name?: string; labelSelector?: string }, options?: CallOptions): Promise<SshKey[]>;
  createSshKey(
    request: { name: string; publicKey: string; labels: Labels },
    options?: CallOptions,
  ): Promise<SshKey>;
  deleteSshKey(id: number, options?: CallOptions): Promise<"deleted" | "gone">;
  /**
   * POST /servers/{id}/actions/create_image (type snapshot), sent once: an ambiguous failure is resolved
   * by the caller looking the image up by its labels.
   */
  createSnapshot(
    serverId: number,
    request: { description: string; labels: Labels },
    options?: CallOptions,
  ): Promise<{ image: Image; actionId: number | null }>;
  /** Every page of GET /images; crabbox always passes type snapshot and a label selector. */
  listImages(query: { type?: string; labelSelector?: string }, options?: CallOptions): Promise<Image[]>;
  /** null on 404. */
  getImage(id: number, options?: CallOptions): Promise<Image | null>;
  /** PUT of the whole label map (Hetzner replaces it). Callers merge first. */
  replaceImageLabels(id: number, labels: Labels, options?: CallOptions): Promise<Image>;
  /** "gone" when Hetzner answered 404. */
  deleteImage(id: number, options?: CallOptions): Promise<"deleted" | "gone">;
  /** Every page. labelSelector uses Hetzner's selector grammar, unencoded. */
  listNetworks(query: { labelSelector?: string; name?: string }, options?: CallOptions): Promise<Network[]>;
  /** null on 404. */
  getNetwork(id: number, options?: CallOptions): Promise<Network | null>;
  /** Sent once (never retried blindly): the caller resolves ambiguity by listing by label. */
  createNetwork(request: CreateNetworkRequest, options?: CallOptions): Promise<Network>;
  /** "gone" when Hetzner answered 404. */
  deleteNetwork(id: number, options?: CallOptions): Promise<"deleted" | "gone">;
  listFirewalls(query: { labelSelector?: string; name?: string }, options?: CallOptions): Promise<Firewall[]>;
  /** Sent once; a 409 uniqueness_error on the name is the caller's to resolve (look it up, adopt). */
  createFirewall(
    request: { name: string; labels: Labels; rules: FirewallRule[] },
    options?: CallOptions,
  ): Promise<Firewall>;
  /** "in_use" when Hetzner refused (422 resource_in_use: still applied to a server). */
  deleteFirewall(id: number, options?: CallOptions): Promise<"deleted" | "gone" | "in_use">;
  listServerTypes(options?: CallOptions): Promise<ServerType[]>;
  listLocations(options?: CallOptions): Promise<Location[]>;
  /** One GET /servers?per_page=1 (never paginated): how many match, and the rate-limit headers. */
  countServers(query: { labelSelector?: string }, options?: CallOptions): Promise<ServerCount>;
  /**
   * POST /servers with a body Hetzner must refuse (an invalid server name, an empty type and image): a
   * read/write token gets 422, a read-only one 401 `token_readonly`. Sent once, never retried. Other
   * failures throw.
   */
  probeWriteAccess(options?: CallOptions): Promise<WriteAccess>;
  /**
   * Present on providers whose boxes exist before the lease (`provider: ssh`): the keys the lease uses
   * instead of the pair crabbox generates and hands over in user data. Absent (Hetzner) or null: those.
   */
  boxKeys?(server: Server, options?: CallOptions): Promise<BoxKeys | null>;
  /** How this provider labels and names its servers in shared messages; absent: Hetzner's (terms.ts). */
  readonly terms?: ProviderTerms;
  /** Hetzner's clock: local time plus the offset from the latest response's Date header (epoch ms). */
  now(): number;
  /**
   * Resolves once some answer has set now() (from its Date header, or the local clock when it had
   * none); rejects with the signal's reason if it aborts first. Sends no request itself.
   */
  clockSynced(options?: CallOptions): Promise<void>;
}
