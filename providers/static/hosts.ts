/**
 * `provider: ssh` (the Go CLI's static hosts): which hosts, as whom, where crabbox may write on them.
 * A host is one lease slot; its server id is a stable hash of where it is, so reordering
 * `static.hosts` keeps every id. Pure.
 */
import { configError } from "../../core/errors.ts";

export interface StaticHost {
  host: string;
  user: string;
  port: number;
  /** Crabbox's own directory on the host: lease record, box lock, sync state and lease workdirs. */
  workRoot: string;
}

export interface StaticConfigInput {
  host: string;
  hosts: string[];
  user: string;
  port: number;
  workRoot: string;
  /** Where each value came from (`default`, `flag --static-host`, a file:line), for the errors. */
  sources: Record<string, string>;
}

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:]+\]?$/;

/** `static.host` first, then `static.hosts` (an extension), without repeats; exit 2 when none or a bad one. */
export function staticHosts(input: StaticConfigInput): StaticHost[] {
  const names = [...new Set([input.host, ...input.hosts].map((h) => h.trim()).filter(Boolean))];
  if (names.length === 0) {
    throw configError(
      "provider ssh needs a host: static.host is not set",
      "set static.host (or static.hosts) in the config, or pass --static-host <host>",
    );
  }
  for (const name of names) {
    if (!HOSTNAME.test(name)) {
      const key = name === input.host.trim() ? "static.host" : "static.hosts";
      throw configError(
        `${key}: ${JSON.stringify(name)} is not a host name or address (${input.sources[key] ?? "config"})`,
        "use a DNS name or an IP address; the port goes in static.port",
      );
    }
  }
  return names.map((host) => ({
    host: host.replace(/^\[(.*)\]$/, "$1"),
    user: input.user,
    port: input.port,
    workRoot: input.workRoot,
  }));
}

/** A positive 31-bit FNV-1a hash of the slot: the host's server id. */
export function hostId(host: StaticHost): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`${host.user}@${host.host}:${host.port}${host.workRoot}`)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return (hash & 0x7fffffff) || 1;
}

/** `user@host:port`, for messages. */
export function describeHost(host: StaticHost): string {
  return `${host.user}@${host.host}:${host.port}`;
}

/** The alias the host's pinned key is filed under in crabbox's own known_hosts (never the user's). */
export function hostKeyAlias(host: StaticHost): string {
  return `crabbox-static-${hostId(host).toString(16)}`;
}
