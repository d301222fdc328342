/**
 * Every pond member's /etc/hosts lists `<slug>.cbx` for each member's private IP (docs/ponds.md),
 * rewritten over ssh when a member joins or leaves. Only members whose key is on this machine can be
 * reached; the others are named in a warning. A failure here never fails the command that joined.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { hostsEntries, pondMembersSelector, renderHostsBlock } from "../labels/pond.ts";
import { pondHostsScript } from "../ssh/scripts.ts";
import { boxFor, type BoxShape } from "./pool.ts";
import { hasLocalKey, pinHostKey, readLeaseRecord } from "./store.ts";
import { pondNetworks } from "./pond_network.ts";

const GONE = new Set(["released", "failed", "expired"]);

export interface PondHostsContext {
  deps: Deps;
  api: HetznerApi;
  out: Output;
  signal?: AbortSignal;
}

/** Live members of a pond (a released or failed box is leaving). */
export async function pondMembers(api: HetznerApi, pond: string, signal?: AbortSignal): Promise<Server[]> {
  const servers = await api.listServers({ labelSelector: pondMembersSelector(pond) }, { signal });
  return servers.filter((s) => s.labels.pond === pond && !GONE.has(s.labels.state ?? ""))
    .sort((a, b) => a.id - b.id);
}

/**
 * Rewrites the block on every reachable member. `ready` names a member known to be up although its
 * label still says provisioning (the one joining); other provisioning members refresh when they join.
 */
export async function refreshPondHosts(
  ctx: PondHostsContext,
  pond: string,
  shape: Omit<BoxShape, "controlPersist">,
  options: { ready?: number; leaving?: number } = {},
): Promise<{ refreshed: string[]; skipped: string[] }> {
  const { deps, api, out } = ctx;
  const refreshed: string[] = [], skipped: string[] = [];
  try {
    const members = (await pondMembers(api, pond, ctx.signal)).filter((m) => m.id !== options.leaving);
    const [network] = await pondNetworks(api, pond, { signal: ctx.signal });
    const block = renderHostsBlock(pond, hostsEntries(members, network?.id ?? null));
    for (const member of members) {
      const leaseId = member.labels.lease;
      const slug = member.labels.slug ?? leaseId;
      const booting = member.labels.state === "provisioning" && member.id !== options.ready;
      if (booting) continue;
      if (!member.ipv4 || !leaseId || !(await hasLocalKey(deps, leaseId))) {
        skipped.push(slug);
        continue;
      }
      await pinHostKey(deps, leaseId);
      const record = await readLeaseRecord(deps, leaseId);
      const box = boxFor(deps, out, member, { ...shape, controlPersist: 0 }, record?.sshPort ?? null);
      const result = await box.run(pondHostsScript({ block }));
      if (result.code === 0) refreshed.push(slug);
      else {
        const why = new TextDecoder().decode(result.stderr).trim().split("\n").pop() ?? "";
        out.warn(`pond ${pond}: could not refresh /etc/hosts on ${slug} (exit ${result.code}) ${why}`);
      }
    }
  } catch (error) {
    out.warn(`pond ${pond}: could not refresh the members' /etc/hosts: ${(error as Error).message}`);
  }
  if (skipped.length > 0) {
    out.warn(
      `pond ${pond}: /etc/hosts not refreshed on ${skipped.join(", ")} (no key on this machine or no IP yet)`,
    );
  }
  if (refreshed.length > 0) out.progress(`pond ${pond}: /etc/hosts refreshed on ${refreshed.join(", ")}`);
  return { refreshed, skipped };
}
