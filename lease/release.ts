/**
 * Release of a lease: state=released, SSH key deleted, server deleted (404 = done), local dir removed.
 * Shared by `run` (one-shot leases) and `stop`.
 */
import type { Deps } from "../core/deps.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { mergeCrabboxLabels } from "../labels/codec.ts";
import { isSshKeyName, sshKeyName } from "../labels/ids.ts";
import { removeLeaseDir } from "./store.ts";
import { rememberReleased } from "./tombstones.ts";
import { releaseFirewalls } from "./firewall.ts";
import { KNOWN_MAX_AGE_MS, type KnownServer } from "./labels_write.ts";

export interface ReleaseResult {
  serverDeleted: "deleted" | "gone";
  sshKeyDeleted: boolean;
}

export async function releaseServer(
  deps: Deps,
  api: HetznerApi,
  server: Server,
  signal?: AbortSignal,
  /**
   * What the caller already holds: a fresh copy of the server (no GET) and the key it created (no list).
   * labelOnlyIfDeleteFails: `released` is written only when the delete fails (a run's own box).
   */
  mine: { known?: KnownServer; sshKeyId?: number; labelOnlyIfDeleteFails?: boolean } = {},
): Promise<ReleaseResult> {
  const leaseId = server.labels.lease;
  const firewallIds = mine.known?.server.firewallIds ?? server.firewallIds;
  if (!mine.labelOnlyIfDeleteFails) await labelReleased(api, server, signal, mine.known);
  // Key and server at once: neither needs the other gone first, and each is a round trip to Hetzner.
  const deleteKey = async () =>
    mine.sshKeyId !== undefined
      ? (await api.deleteSshKey(mine.sshKeyId, { signal })) === "deleted"
      : await deleteLeaseKey(api, server.labels.provider_key ?? (leaseId ? sshKeyName(leaseId) : ""), signal);
  const deleteBox = async () => await api.deleteServer(server.id, { signal });
  const [key, deleted] = await Promise.allSettled([deleteKey(), deleteBox()]);
  if (deleted.status === "rejected") {
    // Still there: the label tells the sweep (and `list`) it is on its way out.
    if (mine.labelOnlyIfDeleteFails) await labelReleased(api, server, signal, mine.known);
    throw deleted.reason;
  }
  // A key left behind carries its labels: the sweep deletes it as an orphan (SPEC §7.3).
  if (key.status === "rejected") throw key.reason;
  const sshKeyDeleted = key.value;
  const serverDeleted = deleted.value;
  // The firewall goes with the last box that used it (lease/firewall.ts).
  await releaseFirewalls(api, firewallIds, {
    signal,
    serverId: server.id,
    sleep: (ms) => deps.clock.sleep(ms, signal),
  });
  if (leaseId) {
    await removeLeaseDir(deps, leaseId);
    await rememberReleased(deps, leaseId, server.labels.slug).catch(() => {});
  }
  return { serverDeleted, sshKeyDeleted };
}

/** state=released, best effort: the label is advisory; deletion is what matters. */
async function labelReleased(
  api: HetznerApi,
  server: Server,
  signal: AbortSignal | undefined,
  mine: KnownServer | undefined,
): Promise<void> {
  try {
    const fresh = mine && api.now() - mine.atMs <= KNOWN_MAX_AGE_MS
      ? mine.server
      : await api.getServer(server.id, { signal });
    if (fresh) {
      await api.replaceServerLabels(server.id, mergeCrabboxLabels(fresh.labels, { state: "released" }), {
        signal,
      });
    }
  } catch {
    // The label is advisory.
  }
}

/** Deletes the lease's labelled key by name; false when there was none. */
export async function deleteLeaseKey(
  api: HetznerApi,
  keyName: string,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!isSshKeyName(keyName)) return false;
  const keys = await api.listSshKeys({ name: keyName }, { signal });
  let deleted = false;
  for (const key of keys) {
    if (key.labels.crabbox !== "true") continue;
    deleted = (await api.deleteSshKey(key.id, { signal })) === "deleted" || deleted;
  }
  return deleted;
}
