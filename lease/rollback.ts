/**
 * Rollback (SPEC §5.6) on a fresh 2-minute budget, never tied to the cancelled signal:
 * delete the server, then its key, then the local lease dir. A server that cannot be deleted is
 * labelled state=failed so the next sweep takes it.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi } from "../providers/hetzner/port.ts";
import { termsOf } from "../providers/hetzner/terms.ts";
import { removeLeaseDir } from "./store.ts";
import { deleteLeaseKey } from "./release.ts";
import { releaseFirewalls } from "./firewall.ts";
import { mergeCrabboxLabels } from "../labels/codec.ts";
import { leaseServer } from "../labels/selectors.ts";

const ROLLBACK_BUDGET_MS = 120_000;

export interface RollbackTarget {
  leaseId: string;
  serverId: number | null;
  serverName: string;
  keyId: number | null;
  /** POST /ssh_keys was sent: with no id known (cut short mid-request), the key is found by this name. */
  keyName?: string;
  /** POST /servers was sent: a server may exist even though no answer named it. */
  createAttempted?: boolean;
  /** Firewalls the create applied: deleted with the server when no other box uses them. */
  firewallIds?: number[];
}

export async function rollback(
  ctx: { deps: Deps; api: HetznerApi; out: Output },
  target: RollbackTarget,
): Promise<void> {
  const { deps, api, out } = ctx;
  const signal = AbortSignal.timeout(ROLLBACK_BUDGET_MS);
  if (target.serverId === null && target.createAttempted) {
    try {
      const [orphan] = await api.listServers({ labelSelector: leaseServer(target.leaseId) }, { signal });
      if (orphan) target = { ...target, serverId: orphan.id, serverName: orphan.name };
    } catch (error) {
      out.warn(`could not look up ${target.leaseId} after a failed create: ${(error as Error).message}`);
      out.notice(
        `a server for ${target.leaseId} may remain; it carries full labels for the sweep, or run: crabbox stop ${target.leaseId}`,
      );
      return;
    }
  }
  let serverGone = target.serverId === null;
  if (target.serverId !== null) {
    const terms = termsOf(api);
    const what = terms.server(target.serverId);
    out.progress(`rolling back ${target.leaseId} (${terms.verbs.deleting} ${what})`);
    out.phase("rollback", `${terms.verbs.deleting} ${what}`);
    try {
      await api.deleteServer(target.serverId, { signal });
      serverGone = true;
      out.progress(`rolled back ${target.leaseId}: ${what} ${terms.verbs.deleted}`);
    } catch (error) {
      out.warn(`could not ${terms.verbs.delete} ${what}: ${(error as Error).message}`);
      await markFailed(api, target.serverId, signal);
      out.notice(
        `server ${target.serverId} (${target.serverName}) may remain; it is labelled for the sweep, or run: crabbox stop ${target.leaseId}`,
      );
    }
  }
  if (target.keyId !== null || target.keyName) {
    try {
      if (target.keyId !== null) await api.deleteSshKey(target.keyId, { signal });
      else await deleteLeaseKey(api, target.keyName!, signal);
    } catch (error) {
      out.warn(
        `could not delete ssh key ${target.keyId ?? target.keyName}: ${
          (error as Error).message
        }; the sweep removes it after 1h`,
      );
    }
  }
  if (serverGone) {
    await releaseFirewalls(api, target.firewallIds, {
      signal,
      serverId: target.serverId ?? undefined,
      sleep: (ms) => deps.clock.sleep(ms, signal),
    });
  }
  if (serverGone) await removeLeaseDir(deps, target.leaseId);
}

async function markFailed(api: HetznerApi, serverId: number, signal: AbortSignal): Promise<void> {
  try {
    const server = await api.getServer(serverId, { signal });
    if (server) {
      await api.replaceServerLabels(serverId, mergeCrabboxLabels(server.labels, { state: "failed" }), {
        signal,
      });
    }
  } catch {
    // best effort: the provisioning deadline in the labels still lets the sweep find it
  }
}
