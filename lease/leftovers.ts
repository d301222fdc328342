/**
 * What a second signal leaves behind while a lease is being created, in one sentence with the command
 * that cleans it up (printed just before crabbox exits at once).
 */
export interface LeaseResources {
  leaseId: string;
  serverId: number | null;
  serverName: string;
  keyId: number | null;
}

export function leftoversNote(resources: LeaseResources): string {
  const what = resources.serverId !== null
    ? `server ${resources.serverId} (${resources.serverName}) and its ssh key may remain; the sweep deletes them after expiry`
    : `ssh key ${
      resources.keyId ?? "?"
    } of ${resources.leaseId} and possibly a server may remain; the sweep deletes them`;
  return `${what}, or run: crabbox stop ${resources.leaseId}`;
}
