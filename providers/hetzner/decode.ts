/**
 * Lenient decoding of Hetzner JSON into crabbox's plain types (SPEC §6, §16 #27): unknown fields are
 * ignored and null IPs tolerated. Only what crabbox cannot work without (id, name, a valid `created`
 * for servers and keys) makes an item undecodable: null, which a list skips with a warning.
 */
import type {
  Action,
  Firewall,
  FirewallRule,
  Image,
  Location,
  Money,
  Network,
  PrivateNet,
  Server,
  ServerType,
  ServerTypePrice,
  SshKey,
} from "./port.ts";
import type { paths } from "./schema.d.ts";

type ApiServer = paths["/servers/{id}"]["get"]["responses"][200]["content"]["application/json"]["server"];
type ApiSshKey = paths["/ssh_keys/{id}"]["get"]["responses"][200]["content"]["application/json"]["ssh_key"];
type ApiImage = paths["/images/{id}"]["get"]["responses"][200]["content"]["application/json"]["image"];
type ApiFirewall =
  paths["/firewalls/{id}"]["get"]["responses"][200]["content"]["application/json"]["firewall"];
type ApiAction = paths["/actions/{id}"]["get"]["responses"][200]["content"]["application/json"]["action"];
type ApiServerType =
  paths["/server_types"]["get"]["responses"][200]["content"]["application/json"]["server_types"][number];
type ApiNetwork = paths["/networks/{id}"]["get"]["responses"][200]["content"]["application/json"]["network"];
type ApiLocation =
  paths["/locations"]["get"]["responses"][200]["content"]["application/json"]["locations"][number];

/** What the wire may hold: any field of the documented shape may be missing or of another type. */
type Wire<T> = { [K in keyof T]?: unknown };

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : null;
}

const isId = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value);
const text = (value: unknown): string | null => typeof value === "string" ? value : null;

function timestamp(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Non-string label values are dropped rather than failing the whole item. */
function labelsOf(value: unknown): Record<string, string> {
  const entries = Object.entries(record(value) ?? {}).filter(([, v]) => typeof v === "string");
  return Object.fromEntries(entries) as Record<string, string>;
}

function nameOf(value: unknown): string | null {
  return text(record(value)?.name);
}

export function decodeServer(raw: unknown): Server | null {
  const server = record(raw) as Wire<ApiServer> | null;
  if (!server || !isId(server.id) || text(server.name) === null) return null;
  const createdMs = timestamp(server.created);
  if (createdMs === null) return null;
  const ipv4 = text(record(record(server.public_net)?.ipv4)?.ip);
  const location = nameOf(server.location) ?? nameOf(record(server.datacenter)?.location);
  const privateNet = decodePrivateNet(server.private_net);
  return {
    id: server.id,
    name: server.name as string,
    status: text(server.status) ?? "unknown",
    createdMs,
    ipv4,
    labels: labelsOf(server.labels),
    serverType: nameOf(server.server_type) ?? "unknown",
    location,
    ...firewallIdsOf(record(server.public_net)?.firewalls),
    // Absent when empty: most boxes are in no pond.
    ...(privateNet.length > 0 ? { privateNet } : {}),
  };
}

function decodePrivateNet(raw: unknown): PrivateNet[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item) => {
    const entry = record(item);
    return entry && isId(entry.network) ? [{ network: entry.network, ip: text(entry.ip) }] : [];
  });
}

export function decodeNetwork(raw: unknown): Network | null {
  const network = record(raw) as Wire<ApiNetwork> | null;
  if (!network || !isId(network.id) || text(network.name) === null) return null;
  const createdMs = timestamp(network.created);
  if (createdMs === null) return null;
  const subnets = Array.isArray(network.subnets) ? network.subnets : [];
  return {
    id: network.id,
    name: network.name as string,
    ipRange: text(network.ip_range) ?? "",
    subnets: subnets.flatMap((item) => {
      const subnet = record(item);
      const zone = text(subnet?.network_zone);
      return zone === null ? [] : [{ ipRange: text(subnet?.ip_range), networkZone: zone }];
    }),
    serverIds: Array.isArray(network.servers) ? network.servers.filter(isId) : [],
    labels: labelsOf(network.labels),
    createdMs,
  };
}

function firewallIdsOf(value: unknown): { firewallIds?: number[] } {
  const ids = (Array.isArray(value) ? value : []).map((f) => record(f)?.id).filter(isId);
  return ids.length > 0 ? { firewallIds: ids } : {};
}

export function decodeSshKey(raw: unknown): SshKey | null {
  const key = record(raw) as Wire<ApiSshKey> | null;
  if (!key || !isId(key.id) || text(key.name) === null) return null;
  const createdMs = timestamp(key.created);
  if (createdMs === null) return null;
  return {
    id: key.id,
    name: key.name as string,
    publicKey: text(key.public_key) ?? "",
    fingerprint: text(key.fingerprint) ?? "",
    labels: labelsOf(key.labels),
    createdMs,
  };
}

export function decodeAction(raw: unknown): Action | null {
  const action = record(raw) as Wire<ApiAction> | null;
  if (!action || !isId(action.id)) return null;
  const status = action.status === "success" || action.status === "error" ? action.status : "running";
  const error = record(action.error);
  return {
    id: action.id,
    status,
    error: error ? { code: text(error.code) ?? "unknown", message: text(error.message) ?? "" } : null,
  };
}

export function decodeServerType(raw: unknown): ServerType | null {
  const type = record(raw) as Wire<ApiServerType> | null;
  const name = text(type?.name);
  if (!type || name === null) return null;
  return {
    name,
    // `deprecated` is a boolean (or null); newer answers also carry a `deprecation` object.
    deprecated: type.deprecated === true || record(type.deprecation) !== null,
    architecture: text(type.architecture),
    prices: Array.isArray(type.prices) ? type.prices.flatMap((raw) => decodePrice(raw) ?? []) : [],
  };
}

/** Hetzner's prices are decimal strings ("0.0119000000"); anything else leaves that location unpriced. */
function decodePrice(raw: unknown): ServerTypePrice | null {
  const price = record(raw);
  const location = text(price?.location);
  const hourly = money(price?.price_hourly);
  const monthly = money(price?.price_monthly);
  return location !== null && hourly && monthly ? { location, hourly, monthly } : null;
}

function money(raw: unknown): Money | null {
  const value = record(raw);
  const amount = (v: unknown) => (typeof v === "string" && /^\d+(\.\d+)?$/.test(v) ? Number(v) : null);
  const net = amount(value?.net), gross = amount(value?.gross);
  return net === null || gross === null ? null : { net, gross };
}

export function decodeLocation(raw: unknown): Location | null {
  const name = text((record(raw) as Wire<ApiLocation> | null)?.name);
  return name === null ? null : { name };
}

export function decodeImage(raw: unknown): Image | null {
  const image = record(raw) as Wire<ApiImage> | null;
  if (!image || !isId(image.id)) return null;
  const createdMs = timestamp(image.created);
  if (createdMs === null) return null;
  const from = record(image.created_from);
  const size = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null);
  return {
    id: image.id,
    type: text(image.type) ?? "unknown",
    status: text(image.status) ?? "unknown",
    description: text(image.description) ?? "",
    imageSizeGb: size(image.image_size),
    diskSizeGb: size(image.disk_size) ?? 0,
    createdMs,
    createdFrom: from && isId(from.id) ? { id: from.id, name: text(from.name) ?? "" } : null,
    architecture: text(image.architecture),
    labels: labelsOf(image.labels),
  };
}

const PROTOCOLS = new Set(["tcp", "udp", "icmp", "esp", "gre"]);

export function decodeFirewall(raw: unknown): Firewall | null {
  const firewall = record(raw) as Wire<ApiFirewall> | null;
  if (!firewall || !isId(firewall.id) || text(firewall.name) === null) return null;
  const createdMs = timestamp(firewall.created);
  if (createdMs === null) return null;
  const rules = (Array.isArray(firewall.rules) ? firewall.rules : []).flatMap((r): FirewallRule[] => {
    const rule = record(r);
    const direction = rule?.direction, protocol = rule?.protocol;
    if ((direction !== "in" && direction !== "out") || !PROTOCOLS.has(String(protocol))) return [];
    return [{
      direction,
      protocol: protocol as FirewallRule["protocol"],
      port: text(rule?.port),
      sourceIps: (Array.isArray(rule?.source_ips) ? rule.source_ips : []).filter((ip) =>
        typeof ip === "string"
      ),
      description: text(rule?.description),
    }];
  });
  // Direct servers, and the servers a label selector reaches.
  const serverIds = new Set<number>();
  for (const entry of Array.isArray(firewall.applied_to) ? firewall.applied_to : []) {
    const id = record(record(entry)?.server)?.id;
    if (isId(id)) serverIds.add(id);
    const reached = record(entry)?.applied_to_resources;
    for (const resource of Array.isArray(reached) ? reached : []) {
      const rid = record(record(resource)?.server)?.id;
      if (isId(rid)) serverIds.add(rid);
    }
  }
  return {
    id: firewall.id,
    name: firewall.name as string,
    labels: labelsOf(firewall.labels),
    createdMs,
    rules,
    serverIds: [...serverIds],
  };
}
