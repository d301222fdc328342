/**
 * The ssh allowlist (ssh.allowCidrs, --allow-cidr) as pure rules: CIDR parsing, the label hash that finds
 * an owner's firewall again, the Hetzner rules it renders to, and the sweep's verdict on a firewall.
 */
import { createHash } from "node:crypto";
import type { Firewall, FirewallRule, Labels } from "../providers/hetzner/port.ts";

/** The label holding the short hash of the firewall's CIDR set and ports. */
export const ALLOW_LABEL = "allow";

/**
 * `203.0.113.0/24` → itself, canonical (no leading zeros); a problem ("… has host bits set") otherwise.
 * IPv4 only: boxes are created without IPv6 (public_net.enable_ipv6: false), so an IPv6 range would admit
 * nothing.
 */
export function parseCidr(text: string): { cidr: string } | { problem: string } {
  const value = text.trim();
  if (value.includes(":")) {
    return { problem: `${JSON.stringify(value)} is IPv6; boxes have IPv4 only, so list IPv4 ranges` };
  }
  const m = value.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/);
  if (!m) {
    return {
      problem: /^[\d.]+$/.test(value)
        ? `${JSON.stringify(value)} has no prefix length (a single address is ${value}/32)`
        : `${JSON.stringify(value)} is not an IPv4 CIDR such as 203.0.113.0/24`,
    };
  }
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) {
    return { problem: `${JSON.stringify(value)} is not an IPv4 CIDR such as 203.0.113.0/24` };
  }
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  if (network !== address) {
    const fixed = `${toDotted(network)}/${prefix}`;
    return { problem: `${value} has host bits set (did you mean ${fixed} or ${toDotted(address)}/32?)` };
  }
  return { cidr: `${octets.join(".")}/${prefix}` };
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** config/schema.ts's check for ssh.allowCidrs: the first bad entry, or null. */
export function cidrListProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  for (const entry of value) {
    const parsed = parseCidr(String(entry));
    if ("problem" in parsed) return `entry ${parsed.problem}`;
  }
  // Hetzner: "You can specify 100 CIDR blocks at most" per rule.
  return value.length > 100 ? "has more than 100 ranges (Hetzner's limit per rule)" : null;
}

/** Sorted, canonical, without duplicates: one set, one firewall, whatever order the files list it in. */
export function normalizeCidrs(cidrs: string[]): string[] {
  const parsed = cidrs.map((c) => parseCidr(c)).flatMap((p) => ("cidr" in p ? [p.cidr] : []));
  return [...new Set(parsed)].sort();
}

/** 12 hex digits of sha256 over the set and the ports: the `allow` label value. */
export function allowSetHash(cidrs: string[], ports: number[]): string {
  const text = `${normalizeCidrs(cidrs).join(",")}|${[...new Set(ports)].sort((a, b) => a - b).join(",")}`;
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** Unique per project (Hetzner enforces it), so two racing creators end with one firewall. */
export function firewallName(owner: string, hash: string): string {
  return `crabbox-ssh-${owner}-${hash}`.slice(0, 128);
}

export function firewallLabels(owner: string, hash: string, nowSecs: number): Labels {
  return {
    crabbox: "true",
    created_by: "crabbox",
    owner,
    [ALLOW_LABEL]: hash,
    created_at: String(nowSecs),
  };
}

/** What finds an owner's firewall for this set (unencoded; the client encodes). */
export function firewallSelector(owner: string, hash: string): string {
  return `crabbox=true,created_by=crabbox,owner=${owner},${ALLOW_LABEL}=${hash}`;
}

export const crabboxFirewalls = () => "crabbox=true,created_by=crabbox";

/**
 * One inbound TCP rule per ssh port; Hetzner drops whatever no rule admits on the public interface.
 * No rule for a pond's network: a Cloud Firewall applies to "the Server's public network interface"
 * (the official document, POST /servers `firewalls`, Server.public_net.firewalls) and does not filter
 * private Network traffic (docs.hetzner.com/cloud/firewalls/faq, "Can Firewalls secure traffic to my
 * private Hetzner Cloud Networks?"), so pond members reach each other whatever ssh.allowCidrs says.
 */
export function renderRules(cidrs: string[], ports: number[]): FirewallRule[] {
  const sources = normalizeCidrs(cidrs);
  return [...new Set(ports)].sort((a, b) => a - b).map((port) => ({
    direction: "in",
    protocol: "tcp",
    port: String(port),
    sourceIps: sources,
    description: `crabbox ssh ${port}`,
  }));
}

/** Several found for one selector (made outside crabbox's name rule): the lowest id is the one. */
export function pickFirewall(found: Firewall[]): Firewall | null {
  return [...found].sort((a, b) => a.id - b.id)[0] ?? null;
}

export interface FirewallDecision {
  firewall: Firewall;
  decision: "delete" | "skip";
  reason: "not_canonical" | "in_use" | "in_grace" | "unused";
}

/**
 * A crabbox firewall no server uses is deleted once it is older than the server grace (a create in
 * flight makes the firewall before its server); one that is applied is never touched.
 */
export function decideFirewall(firewall: Firewall, nowMs: number, graceSecs: number): FirewallDecision {
  const labels = firewall.labels;
  if (labels.crabbox !== "true" || labels.created_by !== "crabbox" || !labels[ALLOW_LABEL]) {
    return { firewall, decision: "skip", reason: "not_canonical" };
  }
  if (firewall.serverIds.length > 0) return { firewall, decision: "skip", reason: "in_use" };
  if (nowMs - firewall.createdMs <= graceSecs * 1000) {
    return { firewall, decision: "skip", reason: "in_grace" };
  }
  return { firewall, decision: "delete", reason: "unused" };
}
