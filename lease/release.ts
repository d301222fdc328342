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
  /** What the caller already holds: a fresh copy of the server (no GET) and the key it created (no list). */
  mine: { known?: KnownServer; sshKeyId?: number } = {},
): Promise<ReleaseResult> {
  const leaseId = server.labels.lease;
  let firewallIds = server.firewallIds;
  try {
    const fresh = mine.known && api.now() - mine.known.atMs <= KNOWN_MAX_AGE_MS
      ? mine.known.server
      : await api.getServer(server.id, { signal });
    if (fresh) {
      firewallIds = fresh.firewallIds ?? firewallIds;
      await api.replaceServerLabels(server.id, mergeCrabboxLabels(fresh.labels, { state: "released" }), {
        signal,
      });
    }
  } catch {
    // The label is advisory; deletion below is what matters.
  }
  const sshKeyDeleted = mine.sshKeyId !== undefined
    ? (await api.deleteSshKey(mine.sshKeyId, { signal })) === "deleted"
    : await deleteLeaseKey(
      api,
      server.labels.provider_key ?? (leaseId ? sshKeyName(leaseId) : ""),
      signal,
    );
  const serverDeleted = await api.deleteServer(server.id, { signal });
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
