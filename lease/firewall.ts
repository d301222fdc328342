/**
 * The ssh allowlist's Hetzner Firewall: found again by label (owner + hash of the CIDR set and ports),
 * created once, applied at create time, deleted when its last box goes (or by the sweep).
 */
import type { CallOptions, Firewall, HetznerApi } from "../providers/hetzner/port.ts";
import { HetznerApiError } from "../providers/hetzner/errors.ts";
import { CrabboxError } from "../core/errors.ts";
import type { Net } from "../core/deps.ts";
import {
  allowSetHash,
  crabboxFirewalls,
  firewallLabels,
  firewallName,
  firewallSelector,
  normalizeCidrs,
  pickFirewall,
  renderRules,
} from "./firewall_rules.ts";

export interface Allowlist {
  cidrs: string[];
  ports: number[];
  owner: string;
  /** Where the list came from (`repo .crabbox.yaml:4`, `flag --allow-cidr`), for error messages. */
  source: string;
}

/** The owner's firewall for this set: the lowest id found by label, else a new one. */
export async function ensureFirewall(
  api: HetznerApi,
  allow: Allowlist,
  options: CallOptions = {},
): Promise<Firewall> {
  const hash = allowSetHash(allow.cidrs, allow.ports);
  const selector = firewallSelector(allow.owner, hash);
  const found = pickFirewall(await api.listFirewalls({ labelSelector: selector }, options));
  if (found) return found;
  const name = firewallName(allow.owner, hash);
  try {
    return await api.createFirewall({
      name,
      labels: firewallLabels(allow.owner, hash, Math.floor(api.now() / 1000)),
      rules: renderRules(allow.cidrs, allow.ports),
    }, options);
  } catch (error) {
    // A racing creator won the name (or an ambiguous POST landed): adopt what the label finds.
    const raced = pickFirewall(await api.listFirewalls({ labelSelector: selector }, options).catch(() => []));
    if (raced) return raced;
    if (error instanceof HetznerApiError && error.code === "uniqueness_error") {
      throw new CrabboxError("provider", `a firewall named ${name} exists without crabbox's labels`, {
        hint: "rename or delete that firewall in the Hetzner console, or change ssh.allowCidrs",
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Runs `create` with the allowlist's firewall (none without an allowlist). A firewall deleted between
 * the look-up and the POST (its last box was just released) is made again once.
 */
export async function createWithFirewall<T>(
  api: HetznerApi,
  allow: Allowlist | null,
  create: (firewallIds: number[]) => Promise<T>,
  options: CallOptions & { onFirewall?: (firewall: Firewall) => void } = {},
): Promise<T> {
  if (!allow) return await create([]);
  let firewall = await ensureFirewall(api, allow, options);
  options.onFirewall?.(firewall);
  try {
    return await create([firewall.id]);
  } catch (error) {
    if (!isFirewallGone(error)) throw error;
    firewall = await ensureFirewall(api, allow, options);
    options.onFirewall?.(firewall);
    return await create([firewall.id]);
  }
}

function isFirewallGone(error: unknown): boolean {
  return error instanceof HetznerApiError && (error.status === 404 || error.status === 422) &&
    /firewall/i.test(error.message);
}

/**
 * After a box is deleted: its crabbox firewalls that no other server uses are deleted. Hetzner refuses
 * (resource_in_use) until the server's delete has finished, so that is retried a few times while the
 * deleted box is the only user; one another box uses stays, and so does any error, for the sweep.
 */
export async function releaseFirewalls(
  api: HetznerApi,
  firewallIds: number[] | undefined,
  options: CallOptions & { serverId?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<number[]> {
  if (!firewallIds?.length) return [];
  const deleted: number[] = [];
  const othersUse = (f: Firewall) => f.serverIds.some((id) => id !== options.serverId);
  try {
    const ours = await api.listFirewalls({ labelSelector: crabboxFirewalls() }, options);
    for (let firewall of ours.filter((f) => firewallIds.includes(f.id))) {
      for (let attempt = 1; !othersUse(firewall); attempt++) {
        const result = await api.deleteFirewall(firewall.id, options);
        if (result === "deleted") deleted.push(firewall.id);
        if (result !== "in_use" || !options.sleep || attempt >= RELEASE_ATTEMPTS) break;
        await options.sleep(RELEASE_RETRY_MS);
        const fresh = (await api.listFirewalls({ name: firewall.name }, options)).find((f) =>
          f.id === firewall.id
        );
        if (!fresh) break;
        firewall = fresh;
      }
    }
  } catch {
    // best effort: the sweep deletes crabbox firewalls no server uses
  }
  return deleted;
}

const RELEASE_ATTEMPTS = 5;
const RELEASE_RETRY_MS = 2_000;

/** The readiness failure with a firewall applied: say it may be the allowlist, and what to check. */
export function blockedByFirewallHint(allow: Allowlist): { detail: string; hint: string } {
  return {
    detail: `a firewall admits ssh (ports ${allow.ports.join(",")}) only from ssh.allowCidrs ${
      normalizeCidrs(allow.cidrs).join(", ")
    } (${allow.source})`,
    hint: "crabbox cannot see your public address: check that it lies inside one of those ranges " +
      "(e.g. curl -4 https://ifconfig.me), then fix ssh.allowCidrs or pass --allow-cidr",
  };
}

/**
 * An existing box that stopped answering (run --id, ssh): when crabbox firewalls are applied to it, the
 * timeout says which ranges they admit, read from Hetzner (null when none applies or the look-up fails).
 */
export async function appliedFirewallHint(
  api: HetznerApi,
  firewallIds: number[] | undefined,
  ports: number[],
  options: CallOptions = {},
): Promise<{ detail: string; hint: string } | null> {
  if (!firewallIds?.length) return null;
  try {
    const applied = (await api.listFirewalls({ labelSelector: crabboxFirewalls() }, options))
      .filter((f) => firewallIds.includes(f.id));
    const cidrs = applied.flatMap((f) => f.rules.flatMap((r) => (r.direction === "in" ? r.sourceIps : [])));
    if (cidrs.length === 0) return null;
    const names = applied.map((f) => `${f.id} ${f.name}`).join(", ");
    const allow = { cidrs, ports, owner: "", source: `firewall ${names}` };
    return blockedByFirewallHint(allow);
  } catch {
    return null;
  }
}

/**
 * `crabbox ssh` whose ssh failed (exit 255) on a box with crabbox firewalls: when the box's ssh port
 * takes no TCP connection either, the error says which ranges the firewalls admit, as run --id does.
 * Null when the port answers (the failure was something else) or no crabbox firewall applies.
 */
export async function sshBlockedError(
  net: Net,
  api: HetznerApi,
  target: { leaseId: string; host: string; port: number; ports: number[]; firewallIds?: number[] },
  options: CallOptions = {},
): Promise<CrabboxError | null> {
  if (!target.firewallIds?.length) return null;
  if (await net.tcpProbe(target.host, target.port, 3_000)) return null;
  const why = await appliedFirewallHint(api, target.firewallIds, target.ports, options);
  if (!why) return null;
  return new CrabboxError(
    "timeout",
    `ssh to ${target.leaseId} (${target.host}:${target.port}) got no answer; ${why.detail}`,
    { hint: why.hint },
  );
}
