/** The Lease JSON object of SPEC §2.3, built from a server and its labels. */
import type { Server } from "../providers/hetzner/port.ts";
import { formatIso } from "../core/format.ts";
import { decodeLeaseLabels } from "./codec.ts";

export interface LeaseObject {
  id: string;
  slug: string | null;
  serverId: number;
  serverName: string;
  state: string | null;
  hetznerStatus: string;
  keep: boolean;
  pool: string | null;
  owner: string | null;
  repo: string | null;
  profile: string | null;
  class: string | null;
  serverType: string;
  location: string | null;
  ipv4: string | null;
  sshUser: string;
  sshPort: number;
  sshFallbackPorts: number[];
  createdAt: string;
  lastTouchedAt: string | null;
  idleTimeoutSecs: number | null;
  ttlSecs: number | null;
  expiresAt: string | null;
  ttlDeadline: string | null;
  run: string | null;
  localKey: boolean;
  /** Net price per started hour (docs/cost.md); null when unknown. */
  priceHourly: number | null;
  /** What the server has cost since its creation, by the same model; null when unknown. */
  costSoFar: number | null;
  /** The unit of both ("EUR"); null when there is no price. */
  currency: string | null;
  labels: Record<string, string>;
}

export type LeaseCostFields = Pick<LeaseObject, "priceHourly" | "costSoFar" | "currency">;

export interface LeaseViewOptions {
  localKey: boolean;
  sshUser?: string;
  /** The port this machine last used (lease.json); default the primary port. */
  sshPort?: number;
  ports?: number[];
  /** From the price table (lease/cost.ts); absent: no price known. */
  cost?: LeaseCostFields;
}

export function toLeaseObject(server: Server, options: LeaseViewOptions): LeaseObject {
  const labels = server.labels;
  const decoded = decodeLeaseLabels(labels);
  const ports = options.ports ?? [2222, 22];
  const sshPort = options.sshPort ?? ports[0];
  const secs = (value: number | null) => (value === null ? null : formatIso(value * 1000));
  return {
    id: labels.lease ?? "",
    slug: labels.slug ?? null,
    serverId: server.id,
    serverName: server.name,
    state: labels.state ?? null,
    hetznerStatus: server.status,
    keep: decoded.keep,
    pool: labels.pool ?? null,
    owner: labels.owner ?? null,
    repo: labels.repo ?? null,
    profile: labels.profile ?? null,
    class: labels.class ?? null,
    serverType: server.serverType,
    location: server.location,
    ipv4: server.ipv4,
    sshUser: options.sshUser ?? "crabbox",
    sshPort,
    sshFallbackPorts: ports.filter((p) => p !== sshPort),
    createdAt: formatIso(server.createdMs),
    lastTouchedAt: secs(decoded.lastTouchedAtSecs),
    idleTimeoutSecs: decoded.idleSecs,
    ttlSecs: decoded.ttlSecs,
    expiresAt: secs(decoded.expiresAtSecs),
    ttlDeadline: decoded.ttlSecs === null ? null : formatIso(server.createdMs + decoded.ttlSecs * 1000),
    run: labels.run ?? null,
    localKey: options.localKey,
    priceHourly: options.cost?.priceHourly ?? null,
    costSoFar: options.cost?.costSoFar ?? null,
    currency: options.cost?.currency ?? null,
    labels: { ...labels },
  };
}
