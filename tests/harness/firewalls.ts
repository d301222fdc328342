/**
 * The fake's Hetzner Firewalls: /firewalls (create, list by label_selector, get, delete, refused with
 * 422 resource_in_use while applied), `firewalls` in POST /servers, and real enforcement: the applied
 * rules become an nft table inside the box's network namespace, dropping what no rule admits on the
 * box's public interface only, as Hetzner does: a Cloud Firewall is applied to "the public network
 * interface of this Server" (the official document, Server.public_net.firewalls) and does not filter
 * private Network traffic (docs.hetzner.com/cloud/firewalls/faq, "Can Firewalls secure traffic to my
 * private Hetzner Cloud Networks?"), so pond members' veths stay open. Test code.
 */
import { isoTime } from "./fake_json.ts";
import { labelProblem, parseSelector } from "./labels.ts";

interface RuleJson {
  direction: "in" | "out";
  protocol: string;
  port: string | null;
  source_ips: string[];
  destination_ips: string[];
  description: string | null;
}

export interface FakeFirewall {
  id: number;
  name: string;
  labels: Record<string, string>;
  created: string;
  createdMs: number;
  rules: RuleJson[];
  servers: Set<number>;
}

/** What fake_api.ts's Replier and Lister offer (kept private there). */
interface Reply {
  json(status: number, body: unknown): Response;
  error(status: number, code: string, message: string, details?: unknown): Response;
  empty(status: number): Response;
}
interface List {
  page(key: string, all: object[]): Response;
}

/** A box's namespace, as far as the firewall needs it. */
export interface Enforceable {
  netns: string;
  /** The public interface inside the namespace (box.ts peerIf); private Network veths are never filtered. */
  peerIf: string;
}

const PROTOCOLS = new Set(["tcp", "udp", "icmp", "esp", "gre"]);
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const PORT = /^(\d{1,5})(?:-(\d{1,5}))?$/;

/** Hetzner: "networks (with empty host bits) or single hosts" in CIDR notation; IPv6 loosely. */
function cidrProblem(cidr: unknown): string | null {
  if (typeof cidr !== "string") return "source_ips must be strings";
  if (cidr.includes(":")) return /^[0-9a-f:]+\/\d{1,3}$/i.test(cidr) ? null : `invalid CIDR ${cidr}`;
  const m = cidr.match(IPV4_CIDR);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return `invalid CIDR ${cidr}`;
  const address = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  return address % 2 ** (32 - Number(m[5])) === 0 ? null : `${cidr} has host bits set`;
}

function ruleProblem(raw: unknown): string | null {
  const rule = raw as Record<string, unknown> | null;
  if (typeof rule !== "object" || rule === null) return "rules must be objects";
  if (rule.direction !== "in" && rule.direction !== "out") return "direction must be in or out";
  if (!PROTOCOLS.has(String(rule.protocol))) return "invalid protocol";
  const wantsPort = rule.protocol === "tcp" || rule.protocol === "udp";
  if (wantsPort && (typeof rule.port !== "string" || !PORT.test(rule.port))) {
    return "port is required for tcp/udp";
  }
  if (!wantsPort && rule.port !== undefined && rule.port !== null) return "port only applies to tcp and udp";
  const ips = rule.direction === "in" ? rule.source_ips : rule.destination_ips;
  if (!Array.isArray(ips) || ips.length === 0) {
    return `${rule.direction === "in" ? "source" : "destination"}_ips required`;
  }
  if (ips.length > 100) return "at most 100 CIDR blocks per rule";
  return ips.map(cidrProblem).find(Boolean) ?? null;
}

export class FirewallStore {
  readonly firewalls = new Map<number, FakeFirewall>();

  constructor(
    private nextId: () => number,
    private now: () => number,
    private boxOf: (serverId: number) => Enforceable | null,
  ) {}

  get size(): number {
    return this.firewalls.size;
  }

  /** Answers a /firewalls request, or null when the path is not one of them. */
  async route(
    method: string,
    path: string,
    body: Record<string, unknown>,
    url: URL,
    list: List,
    reply: Reply,
  ) {
    if (path === "/firewalls" && method === "GET") {
      const selector = url.searchParams.get("label_selector");
      const match = selector === null ? () => true : parseSelector(selector);
      if (!match) return reply.error(422, "invalid_input", "invalid label_selector");
      const name = url.searchParams.get("name");
      const found = [...this.firewalls.values()]
        .filter((f) => match(f.labels) && (name === null || f.name === name))
        .sort((a, b) => a.id - b.id);
      return list.page("firewalls", found.map((f) => this.json(f)));
    }
    if (path === "/firewalls" && method === "POST") return this.#create(body, reply);
    const m = path.match(/^\/firewalls\/(\d+)$/);
    if (!m) return null;
    const firewall = this.firewalls.get(Number(m[1]));
    if (!firewall) return reply.error(404, "not_found", "firewall not found");
    if (method === "GET") return reply.json(200, { firewall: this.json(firewall) });
    if (method === "DELETE") {
      if (firewall.servers.size > 0) {
        // Hetzner's words (hetznercloud/terraform-provider-hcloud#334).
        return reply.error(422, "resource_in_use", `firewall with ID ${firewall.id} is still in use`);
      }
      this.firewalls.delete(firewall.id);
      await Promise.resolve();
      return reply.empty(204);
    }
    return null;
  }

  #create(body: Record<string, unknown>, reply: Reply): Response {
    const invalid = (message: string) => reply.error(422, "invalid_input", message);
    const { name } = body;
    if (typeof name !== "string" || name === "" || name.length > 128) return invalid("invalid firewall name");
    if ([...this.firewalls.values()].some((f) => f.name === name)) {
      return reply.error(409, "uniqueness_error", "firewall name is already used", {
        fields: [{ name: "name" }],
      });
    }
    const labels = (body.labels ?? {}) as Record<string, string>;
    const problem = labelProblem(labels);
    if (problem) return invalid(problem);
    const rules = (body.rules ?? []) as unknown[];
    if (!Array.isArray(rules) || rules.length > 50) return invalid("at most 50 rules");
    const ruleError = rules.map(ruleProblem).find(Boolean);
    if (ruleError) return invalid(ruleError);
    if (Array.isArray(body.apply_to) && body.apply_to.length > 0) {
      return invalid("fake: apply_to at create is not implemented (crabbox applies at server create)");
    }
    const now = this.now();
    const firewall: FakeFirewall = {
      id: this.nextId(),
      name,
      labels,
      created: isoTime(now),
      createdMs: now,
      rules: rules.map((raw) => {
        const r = raw as Record<string, unknown>;
        return {
          direction: r.direction as "in" | "out",
          protocol: String(r.protocol),
          port: typeof r.port === "string" ? r.port : null,
          source_ips: r.direction === "in" ? (r.source_ips as string[]) : [],
          destination_ips: r.direction === "out" ? (r.destination_ips as string[]) : [],
          description: typeof r.description === "string" ? r.description : null,
        };
      }),
      servers: new Set(),
    };
    this.firewalls.set(firewall.id, firewall);
    return reply.json(201, { firewall: this.json(firewall), actions: [] });
  }

  json(f: FakeFirewall) {
    return {
      id: f.id,
      name: f.name,
      labels: f.labels,
      created: f.created,
      rules: f.rules,
      applied_to: [...f.servers].sort((a, b) => a - b).map((id) => ({ type: "server", server: { id } })),
    };
  }

  /** POST /servers `firewalls`: the ids, or a problem for a malformed or unknown reference. */
  references(raw: unknown): number[] | string {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) return "firewalls must be an array";
    const ids: number[] = [];
    for (const entry of raw) {
      const id = (entry as { firewall?: unknown } | null)?.firewall;
      if (typeof id !== "number") return "firewalls[].firewall must be an id";
      if (!this.firewalls.has(id)) return `firewall ${id} not found`;
      ids.push(id);
    }
    return ids;
  }

  idsFor(serverId: number): number[] {
    return [...this.firewalls.values()].filter((f) => f.servers.has(serverId)).map((f) => f.id);
  }

  /** `public_net.firewalls` of a server. */
  serverJson(serverId: number) {
    return this.idsFor(serverId).map((id) => ({ id, status: "applied" }));
  }

  async attach(serverId: number, ids: number[]): Promise<void> {
    for (const id of ids) this.firewalls.get(id)?.servers.add(serverId);
    await this.enforce(serverId);
  }

  /** A deleted server leaves every firewall at once (the fake deletes synchronously). */
  detach(serverId: number): void {
    for (const firewall of this.firewalls.values()) firewall.servers.delete(serverId);
  }

  /** The union of the server's inbound rules as one nft table in its namespace; none applied: open. */
  async enforce(serverId: number): Promise<void> {
    const box = this.boxOf(serverId);
    if (!box) return;
    const applied = [...this.firewalls.values()].filter((f) => f.servers.has(serverId));
    const table = applied.length === 0 ? null : nftTable(applied.flatMap((f) => f.rules), box.peerIf);
    await nft(box.netns, `table inet crabbox_fw\ndelete table inet crabbox_fw\n${table ?? ""}`);
  }
}

/**
 * Stateful like Hetzner's: replies to what the box opened pass, new inbound traffic on the public
 * interface needs a rule; anything arriving on another interface (lo, a pond's private veth) passes.
 */
export function nftTable(rules: RuleJson[], publicIf: string): string {
  const lines = rules.filter((r) => r.direction === "in").flatMap((r) => {
    const v4 = r.source_ips.filter((ip) => !ip.includes(":"));
    if (v4.length === 0) return [];
    const from = `ip saddr { ${v4.join(", ")} }`;
    if (r.protocol === "tcp" || r.protocol === "udp") return [`${r.protocol} dport ${r.port} ${from} accept`];
    return [`ip protocol ${r.protocol} ${from} accept`];
  });
  return [
    "table inet crabbox_fw {",
    "  chain input {",
    "    type filter hook input priority 0; policy drop;",
    "    ct state established,related accept",
    `    iifname != "${publicIf}" accept`,
    ...lines.map((l) => `    ${l}`),
    "  }",
    "}",
    "",
  ].join("\n");
}

async function nft(netns: string, script: string): Promise<void> {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", netns, "nft", "-f", "-"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(
      `nft in ${netns} failed: ${new TextDecoder().decode(out.stderr).trim()} (apt install nftables)`,
    );
  }
}
