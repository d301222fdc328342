/**
 * The fake's private Networks (HARNESS §networks): /networks create, get, list (name, label_selector,
 * sort, pages), delete (attached servers are detached, as the document says), and servers' private_net,
 * attached at create (`networks` in POST /servers) or by attach_to_network. Each network is a bridge in
 * the root namespace (`cbx<run>b<n>`); each attached box gets one more veth (`cbx<run>p<i>` on the
 * bridge, its peer inside the box with the private IP), so members really reach each other's private
 * IPs. Interface names carry the run id, so leaks.ts finds survivors. Test code.
 */
import type { Box } from "./box.ts";
import { isoTime } from "./fake_json.ts";
import { labelProblem, parseSelector } from "./labels.ts";

export interface FakeNetwork {
  id: number;
  name: string;
  ipRange: string;
  subnets: { type: string; ipRange: string; networkZone: string; gateway: string }[];
  labels: Record<string, string>;
  created: string;
  createdMs: number;
  /** Attached server ids. */
  servers: Set<number>;
  bridge: string;
}

interface Attachment {
  network: number;
  ip: string;
  mac: string;
  /** The root-namespace end of the member's private veth; null for paper servers (no namespace). */
  hostIf: string | null;
}

/** What the fake's reply builder offers (fake_api.ts Replier). */
export interface Reply {
  json(status: number, body: unknown): Response;
  error(status: number, code: string, message: string, details?: unknown): Response;
  empty(status: number): Response;
}

/** What the fake's lister offers (fake_api.ts Lister): pages, sort, Link. */
export interface Pages {
  page(key: string, all: object[]): Response;
}

export type AttachProblem = { status: number; code: string; message: string };

async function ip(args: string[], allowFail = false): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success && !allowFail) {
    throw new Error(`ip ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

function parseCidr(cidr: unknown): { base: number; prefix: number } | null {
  const m = String(cidr).match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/);
  if (!m) return null;
  const o = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (o.some((x) => x > 255) || prefix > 32) return null;
  const value = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (value & mask) >>> 0 === value ? { base: value, prefix } : null;
}

const ipText = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
const within = (inner: { base: number; prefix: number }, outer: { base: number; prefix: number }) =>
  inner.prefix >= outer.prefix &&
  ((inner.base & ((0xffffffff << (32 - outer.prefix)) >>> 0)) >>> 0) === outer.base;
const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c)!);

export class FakeNetworks {
  readonly networks = new Map<number, FakeNetwork>();
  readonly #attached = new Map<number, Attachment[]>();
  #slot = 0;

  constructor(
    private readonly runId: string,
    private readonly nextId: () => number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.networks.size;
  }

  /** What the leak check reports for networks still alive. */
  leftovers(): string[] {
    return [...this.networks.values()].map((n) => `network ${n.id} ${n.name}`);
  }

  json(n: FakeNetwork) {
    return {
      id: n.id,
      name: n.name,
      ip_range: n.ipRange,
      subnets: n.subnets.map((s) => ({
        type: s.type,
        ip_range: s.ipRange,
        network_zone: s.networkZone,
        gateway: s.gateway,
        vswitch_id: null,
      })),
      routes: [],
      servers: [...n.servers].sort((a, b) => a - b),
      load_balancers: [],
      protection: { delete: false },
      labels: n.labels,
      created: n.created,
      expose_routes_to_vswitch: false,
    };
  }

  /** A server's `private_net`. */
  privateNetOf(serverId: number) {
    return (this.#attached.get(serverId) ?? []).map((a) => ({
      network: a.network,
      ip: a.ip,
      alias_ips: [],
      mac_address: a.mac,
    }));
  }

  /** /networks and /networks/{id}; null for any other path. */
  async route(
    method: string,
    path: string,
    url: URL,
    body: Record<string, unknown>,
    list: Pages,
    reply: Reply,
  ): Promise<Response | null> {
    if (path === "/networks" && method === "GET") {
      const selector = url.searchParams.get("label_selector");
      const match = selector === null ? () => true : parseSelector(selector);
      if (!match) return reply.error(422, "invalid_input", "invalid label_selector");
      const name = url.searchParams.get("name");
      const found = [...this.networks.values()]
        .filter((n) => match(n.labels) && (name === null || n.name === name))
        .sort((a, b) => a.id - b.id)
        .map((n) => this.json(n));
      return list.page("networks", found);
    }
    if (path === "/networks" && method === "POST") return await this.#create(body, reply);
    const m = path.match(/^\/networks\/(\d+)$/);
    if (!m) return null;
    const network = this.networks.get(Number(m[1]));
    if (!network) return reply.error(404, "not_found", "network not found");
    if (method === "GET") return reply.json(200, { network: this.json(network) });
    if (method === "DELETE") {
      await this.#delete(network);
      return reply.empty(204);
    }
    return null;
  }

  async #create(body: Record<string, unknown>, reply: Reply): Promise<Response> {
    const invalid = (message: string) => reply.error(422, "invalid_input", message);
    const { name, ip_range: ipRange } = body;
    if (typeof name !== "string" || name === "" || typeof ipRange !== "string") {
      return invalid("name and ip_range are required");
    }
    const range = parseCidr(ipRange);
    if (!range || range.prefix > 24 || !PRIVATE.some((p) => within(range, p))) {
      return invalid("ip_range must be a private (RFC 1918) range of at least /24");
    }
    const labels = (body.labels ?? {}) as Record<string, string>;
    const problem = labelProblem(labels);
    if (problem) return invalid(problem);
    if ([...this.networks.values()].some((n) => n.name === name)) {
      return reply.error(409, "uniqueness_error", "network name is already used", {
        fields: [{ name: "name" }],
      });
    }
    const subnets: FakeNetwork["subnets"] = [];
    for (const raw of (body.subnets ?? []) as Record<string, unknown>[]) {
      if (raw.type === "vswitch") return invalid("vswitch subnets are not supported by the fake");
      if (raw.type !== "cloud" && raw.type !== "server") return invalid("invalid subnet type");
      if (typeof raw.network_zone !== "string") return invalid("subnet network_zone is required");
      const sub = parseCidr(raw.ip_range ?? `${ipText(range.base)}/24`);
      if (!sub || !within(sub, range)) {
        return invalid("subnet ip_range must lie inside the network's ip_range");
      }
      if (subnets.some((s) => within(parseCidr(s.ipRange)!, sub) || within(sub, parseCidr(s.ipRange)!))) {
        return invalid("subnets overlap");
      }
      subnets.push({
        type: raw.type,
        ipRange: `${ipText(sub.base)}/${sub.prefix}`,
        networkZone: raw.network_zone,
        gateway: ipText(sub.base + 1),
      });
    }
    const now = this.now();
    const network: FakeNetwork = {
      id: this.nextId(),
      name,
      ipRange: `${ipText(range.base)}/${range.prefix}`,
      subnets,
      labels,
      created: isoTime(now),
      createdMs: now,
      servers: new Set(),
      bridge: `cbx${this.runId}b${++this.#slot}`,
    };
    await ip(["link", "add", network.bridge, "type", "bridge"]);
    await ip(["link", "set", network.bridge, "up"]);
    this.networks.set(network.id, network);
    return reply.json(201, { network: this.json(network) });
  }

  async #delete(network: FakeNetwork): Promise<void> {
    this.networks.delete(network.id);
    for (const serverId of network.servers) await this.#detach(serverId, network.id);
    await ip(["link", "del", network.bridge], true);
  }

  /**
   * Attaches a server (POST /servers `networks`, attach_to_network): an IP from the first cloud
   * subnet in the server's zone, lowest free first (.1 is the gateway); a real veth for a real box.
   */
  async attach(
    server: { id: number; index: number | null; box: Box | null },
    networkId: number,
    zone: string,
    wanted?: string,
  ): Promise<AttachProblem | null> {
    const network = this.networks.get(networkId);
    if (!network) return { status: 404, code: "not_found", message: `network ${networkId} not found` };
    if (network.servers.has(server.id)) {
      return { status: 422, code: "server_already_attached", message: "The server is already attached" };
    }
    const subnet = network.subnets.find((s) => s.type !== "vswitch" && s.networkZone === zone);
    if (!subnet) {
      return { status: 422, code: "no_subnet_available", message: `no subnet in network zone ${zone}` };
    }
    const range = parseCidr(subnet.ipRange)!;
    const used = new Set(
      [...this.#attached.values()].flat().filter((a) => a.network === networkId).map((a) => a.ip),
    );
    const size = 2 ** (32 - range.prefix);
    let address: string | null = null;
    if (wanted !== undefined) {
      const n = parseCidr(`${wanted}/32`);
      if (!n || !within(n, range) || used.has(wanted) || wanted === subnet.gateway) {
        return { status: 422, code: "ip_not_available", message: "The provided Network IP is not available" };
      }
      address = wanted;
    }
    for (let host = 2; address === null && host < size - 1; host++) {
      const candidate = ipText(range.base + host);
      if (!used.has(candidate)) address = candidate;
    }
    if (address === null) {
      return { status: 422, code: "no_subnet_available", message: "No IP is available in the subnet" };
    }
    const mac = `86:00:00:${
      [...crypto.getRandomValues(new Uint8Array(3))].map((b) => b.toString(16).padStart(2, "0")).join(":")
    }`;
    const attachment: Attachment = { network: networkId, ip: address, mac, hostIf: null };
    if (server.box && server.index !== null) {
      const hostIf = `cbx${this.runId}p${server.index}`, peer = `cbx${this.runId}q${server.index}`;
      await ip(["link", "add", hostIf, "type", "veth", "peer", "name", peer]);
      attachment.hostIf = hostIf;
      await ip(["link", "set", hostIf, "master", network.bridge]);
      await ip(["link", "set", hostIf, "up"]);
      await ip(["link", "set", peer, "netns", server.box.netns]);
      await runIn(server.box.netns, ["link", "set", peer, "address", mac]);
      await runIn(server.box.netns, ["addr", "add", `${address}/${range.prefix}`, "dev", peer]);
      await runIn(server.box.netns, ["link", "set", peer, "up"]);
    }
    this.#attached.set(server.id, [...(this.#attached.get(server.id) ?? []), attachment]);
    network.servers.add(server.id);
    return null;
  }

  /** A deleted server leaves every network (its veth goes before its namespace). */
  async detachAll(serverId: number): Promise<void> {
    for (const a of [...this.#attached.get(serverId) ?? []]) await this.#detach(serverId, a.network);
  }

  async #detach(serverId: number, networkId: number): Promise<void> {
    const all = this.#attached.get(serverId) ?? [];
    const gone = all.filter((a) => a.network === networkId);
    this.#attached.set(serverId, all.filter((a) => a.network !== networkId));
    if (this.#attached.get(serverId)!.length === 0) this.#attached.delete(serverId);
    this.networks.get(networkId)?.servers.delete(serverId);
    for (const a of gone) if (a.hostIf) await ip(["link", "del", a.hostIf], true);
  }

  /** Removes the bridges; the networks stay listed, so the leak check still names them. */
  async shutdown(): Promise<void> {
    for (const network of [...this.networks.values()]) await ip(["link", "del", network.bridge], true);
  }

  /** For unload handlers: bridges (and the veths on them) must not outlive a crashed run. */
  destroySync(): void {
    const links = [
      ...[...this.networks.values()].map((n) => n.bridge),
      ...[...this.#attached.values()].flat().flatMap((a) => a.hostIf ?? []),
    ];
    for (const link of links) {
      new Deno.Command("ip", { args: ["link", "del", link], stdout: "null", stderr: "null" }).outputSync();
    }
  }
}

async function runIn(netns: string, args: string[]): Promise<void> {
  await ip(["netns", "exec", netns, "ip", ...args]);
}
