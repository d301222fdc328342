/**
 * Pond rules (docs/ponds.md), pure: the name as the Go CLI normalises it, the network's name and labels,
 * which /24 of the configured range a pond takes, the network zone of a location, and the managed
 * /etc/hosts block every member carries.
 */
import type { Labels, Network, Server } from "../providers/hetzner/port.ts";
import { usageError } from "../core/errors.ts";
import { fnv1a32 } from "./ids.ts";

export const MAX_POND = 41;
export const HOSTS_SUFFIX = ".cbx";
/** Config pond.ipRange's default. */
export const DEFAULT_POND_RANGE = "10.90.0.0/16";

/** The Go CLI's normalizePondName: lower-case, runs outside [a-z0-9] become one "-", trimmed. */
export function normalizePondName(value: string): string {
  return value.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

/** The Go CLI's requestedPondName: `where` names the flag or key in the error (exit 2). */
export function requestedPond(value: string | undefined, where = "--pond"): string | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const name = normalizePondName(value);
  if (name === "") throw usageError(`${where} must contain at least one letter or digit`);
  if (name.length > MAX_POND) {
    throw usageError(`${where} must be ${MAX_POND} characters or fewer after normalization`);
  }
  return name;
}

export function pondNetworkName(pond: string): string {
  return `crabbox-pond-${pond}`;
}

export function pondNetworkLabels(pond: string, owner: string): Labels {
  return { crabbox: "true", created_by: "crabbox", pond, owner };
}

/** A network crabbox made for a pond (the only kind the sweep and `pond release` delete). */
export function isPondNetwork(network: Pick<Network, "labels">): boolean {
  const l = network.labels;
  return l.crabbox === "true" && l.created_by === "crabbox" && !!l.pond;
}

/** Hetzner's network zones by location (a network's subnet lives in one zone; its servers too). */
const ZONES: Record<string, string> = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
};

export function networkZoneOf(location: string | undefined): string {
  return (location && ZONES[location]) || "eu-central";
}

/** Parses an IPv4 CIDR; null when it is not one. */
export function parseCidr(cidr: string): { base: number; prefix: number } | null {
  const m = cidr.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return null;
  const ip = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ip & mask) >>> 0, prefix };
}

const ipText = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

/** RFC 1918 and at least a /24 (Hetzner's minimum network), as config pond.ipRange must be. */
export function pondRangeProblem(cidr: string): string | null {
  const parsed = parseCidr(cidr);
  if (!parsed) return `"${cidr}" is not an IPv4 CIDR (e.g. 10.90.0.0/16)`;
  if (parsed.prefix > 24) return `"${cidr}" is smaller than a /24`;
  const inside = (net: string) => {
    const outer = parseCidr(net)!;
    const mask = (0xffffffff << (32 - outer.prefix)) >>> 0;
    return parsed.prefix >= outer.prefix && ((parsed.base & mask) >>> 0) === outer.base;
  };
  if (!["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].some(inside)) {
    return `"${cidr}" is not a private (RFC 1918) range`;
  }
  return null;
}

/**
 * The /24 a new pond network takes: a slot picked by the pond name's hash, so two CLIs racing for the
 * same pond pick the same range, moved on past slots other pond networks already use.
 */
export function choosePondSubnet(pond: string, range: string, used: string[]): string | null {
  const parsed = parseCidr(range);
  if (!parsed || parsed.prefix > 24) return null;
  const slots = 2 ** (24 - parsed.prefix);
  const taken = new Set(used);
  const start = fnv1a32(pond) % slots;
  for (let i = 0; i < slots; i++) {
    const subnet = `${ipText(parsed.base + ((start + i) % slots) * 256)}/24`;
    if (!taken.has(subnet)) return subnet;
  }
  return null;
}

/** A member's private IP on the pond's network (null while Hetzner has not assigned one). */
export function privateIpOf(server: Pick<Server, "privateNet">, networkId: number | null): string | null {
  const nets = server.privateNet ?? [];
  const entry = networkId === null ? nets[0] : nets.find((n) => n.network === networkId);
  return entry?.ip ?? null;
}

export interface HostsEntry {
  ip: string;
  slug: string;
}

/** Members with a private IP, by slug: what every member's /etc/hosts block lists. */
export function hostsEntries(members: Server[], networkId: number | null): HostsEntry[] {
  return members.flatMap((m) => {
    const ip = privateIpOf(m, networkId);
    return ip && m.labels.slug ? [{ ip, slug: m.labels.slug }] : [];
  }).sort((a, b) => a.slug.localeCompare(b.slug));
}

export const HOSTS_BEGIN = "# crabbox pond begin (managed by crabbox; do not edit)";
export const HOSTS_END = "# crabbox pond end";

/** The managed block (the remote script writes exactly these lines between its markers). */
export function renderHostsBlock(pond: string, entries: HostsEntry[]): string {
  const lines = entries.map((e) => `${e.ip}\t${e.slug}${HOSTS_SUFFIX}\t# pond=${pond}`);
  return [HOSTS_BEGIN, ...lines, HOSTS_END].join("\n") + "\n";
}

export const pondMembersSelector = (pond: string) => `crabbox=true,pond=${pond}`;
export const pondNetworksSelector = (pond?: string) =>
  `crabbox=true,created_by=crabbox,${pond === undefined ? "pond" : `pond=${pond}`}`;

export type NetworkSweepReason = "not_canonical" | "has_members" | "in_grace" | "no_members";

export interface NetworkDecision {
  decision: "delete" | "skip";
  reason: NetworkSweepReason;
  /** When it becomes (or became) eligible, epoch ms; null while it has members. */
  deadlineMs: number | null;
}

/**
 * A pond network goes once no live member references it (no server with its pond label, none attached)
 * and it is older than the sweep grace — a first member's create may be between network and server.
 */
export function decideNetwork(
  network: Pick<Network, "labels" | "createdMs" | "serverIds">,
  liveMembers: number,
  nowMs: number,
  graceSecs: number,
): NetworkDecision {
  if (!isPondNetwork(network)) return { decision: "skip", reason: "not_canonical", deadlineMs: null };
  if (liveMembers > 0 || network.serverIds.length > 0) {
    return { decision: "skip", reason: "has_members", deadlineMs: null };
  }
  const deadlineMs = network.createdMs + graceSecs * 1000;
  return nowMs > deadlineMs
    ? { decision: "delete", reason: "no_members", deadlineMs }
    : { decision: "skip", reason: "in_grace", deadlineMs };
}
