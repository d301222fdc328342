/** Stop (SPEC §2.7): resolve, check ownership and busy state, then release. Already gone = success. */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi } from "../providers/hetzner/port.ts";
import { usageError } from "../core/errors.ts";
import { resolveLease } from "./resolve.ts";
import { deleteLeaseKey, releaseServer } from "./release.ts";
import { removeLeaseDir } from "./store.ts";
import { sshKeyName } from "../labels/ids.ts";
import type { StatusSettings } from "./status.ts";
import { probeBoxLock } from "./box_lock_probe.ts";
import { refreshPondHosts } from "./pond_hosts.ts";

export interface StopResult {
  id: string;
  result: "released" | "already_gone";
  serverId: number | null;
  serverName: string | null;
  sshKeyDeleted: boolean;
}

export async function stopLease(
  ctx: { deps: Deps; api: HetznerApi; out: Output; signal: AbortSignal },
  request: { id: string; force: boolean; localOwner: string; box: StatusSettings },
): Promise<StopResult> {
  const { deps, api } = ctx;
  const resolution = await resolveLease(deps, api, request.id, ctx.signal);
  if (resolution.kind === "gone") {
    const sshKeyDeleted = await deleteLeaseKey(api, sshKeyName(resolution.leaseId), ctx.signal);
    await removeLeaseDir(deps, resolution.leaseId);
    return {
      id: resolution.leaseId,
      result: "already_gone",
      serverId: null,
      serverName: null,
      sshKeyDeleted,
    };
  }
  const server = resolution.server;
  const owner = server.labels.owner;
  const state = server.labels.state ?? "";
  if (!request.force && owner && owner !== request.localOwner) {
    throw usageError(
      `lease ${server.labels.lease} belongs to ${owner}, not ${request.localOwner}`,
      `pass --force to stop it anyway: crabbox stop ${server.labels.lease} --force`,
    );
  }
  if (!request.force && (state === "leased" || state === "running")) {
    // The label is advisory; the box lock says whether anyone is really using it (SPEC §8.1).
    const lock = await probeBoxLock(ctx, server, request.box);
    if (lock.kind !== "free") {
      throw usageError(
        `lease ${server.labels.lease} is ${state}${server.labels.run ? ` by ${server.labels.run}` : ""} and ${
          lock.kind === "held" ? `its box lock is held by ${lock.holder}` : lock.reason
        }`,
        `pass --force to stop it anyway: crabbox stop ${server.labels.lease} --force`,
      );
    }
    ctx.out.progress(`lease ${server.labels.lease} is labelled ${state} but nobody holds its box lock`);
  }
  ctx.out.phase("release", `deleting server ${server.id}`);
  const released = await releaseServer(deps, api, server, ctx.signal);
  // A pond member leaving: the others' /etc/hosts drop its line.
  if (server.labels.pond) {
    await refreshPondHosts(ctx, server.labels.pond, request.box, { leaving: server.id });
  }
  return {
    id: server.labels.lease,
    result: released.serverDeleted === "gone" ? "already_gone" : "released",
    serverId: server.id,
    serverName: server.name,
    sshKeyDeleted: released.sshKeyDeleted,
  };
}
