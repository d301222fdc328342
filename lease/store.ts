/**
 * The local lease record (SPEC §4.3): key material and a cache of where the box is. Never an authority —
 * the labels are the truth. Every path component under the config dir is checked not to be a symlink.
 */
import { join } from "node:path";
import type { Deps } from "../core/deps.ts";
import { CrabboxError } from "../core/errors.ts";
import { configDir, stateDir } from "../core/xdg.ts";
import type { BoxKeys, Server } from "../providers/hetzner/port.ts";

export interface LeaseRecord {
  id: string;
  slug: string;
  serverId: number;
  serverName: string;
  ipv4: string | null;
  sshPort: number | null;
  /** How the box is reached (login user, candidate ports); absent in records written before they were kept. */
  sshUser?: string;
  sshPorts?: number[];
  createdAt: string;
  repoRoot: string | null;
  /** The server as this machine last wrote its labels (lease/labels_write.ts decides when it is trusted). */
  lastWrite?: LastWrite;
}

export interface LastWrite {
  server: Server;
  /** Hetzner time of that answer, and Hetzner minus local clock then. */
  atMs: number;
  offsetMs: number;
}

type StoreDeps = Pick<Deps, "fs" | "env" | "system">;

export { configDir, stateDir };

export function leasesDir(deps: Pick<Deps, "env" | "system">): string {
  return join(configDir(deps), "leases");
}

export function leaseDir(deps: Pick<Deps, "env" | "system">, leaseId: string): string {
  return join(leasesDir(deps), leaseId);
}

export interface LeasePaths {
  dir: string;
  clientKey: string;
  clientPub: string;
  hostKey: string;
  hostPub: string;
  knownHosts: string;
  record: string;
}

export function leasePaths(deps: Pick<Deps, "env" | "system">, leaseId: string): LeasePaths {
  const dir = leaseDir(deps, leaseId);
  return {
    dir,
    clientKey: join(dir, "id_ed25519"),
    clientPub: join(dir, "id_ed25519.pub"),
    hostKey: join(dir, "host_ed25519"),
    hostPub: join(dir, "host_ed25519.pub"),
    knownHosts: join(dir, "known_hosts"),
    record: join(dir, "lease.json"),
  };
}

/** Creates the lease dir (0700), refusing symlinked components below the config dir. */
export async function createLeaseDir(deps: StoreDeps, leaseId: string): Promise<LeasePaths> {
  const paths = leasePaths(deps, leaseId);
  for (const dir of [configDir(deps), leasesDir(deps), paths.dir]) {
    const info = await deps.fs.lstat(dir);
    if (info?.isSymlink) {
      throw new CrabboxError(
        "config",
        `${dir} is a symlink; crabbox keeps lease keys only in real directories`,
        {
          hint: `remove the symlink ${dir} and re-run`,
        },
      );
    }
    if (!info) await deps.fs.mkdir(dir, { recursive: true, mode: 0o700 });
  }
  return paths;
}

export async function writeLeaseRecord(deps: StoreDeps, record: LeaseRecord): Promise<void> {
  const paths = leasePaths(deps, record.id);
  await deps.fs.writeTextFile(paths.record, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
}

export async function readLeaseRecord(deps: StoreDeps, leaseId: string): Promise<LeaseRecord | null> {
  try {
    return JSON.parse(await deps.fs.readTextFile(leasePaths(deps, leaseId).record)) as LeaseRecord;
  } catch {
    return null;
  }
}

/** The known_hosts line pinning the box's host key under its lease id (HostKeyAlias), never its IP. */
export function knownHostsLine(leaseId: string, hostPub: string): string {
  const [type, key] = hostPub.trim().split(/\s+/);
  return `${leaseId} ${type} ${key}\n`;
}

/**
 * Writes known_hosts from the stored host public key when it is missing: a lease whose creator was
 * killed before it got that far can still be made ready by `status --wait` or `run --id`.
 */
export async function pinHostKey(deps: StoreDeps, leaseId: string): Promise<void> {
  const paths = leasePaths(deps, leaseId);
  if (await deps.fs.lstat(paths.knownHosts)) return;
  if (!(await deps.fs.lstat(paths.hostPub))?.isFile) return;
  const hostPub = await deps.fs.readTextFile(paths.hostPub);
  await deps.fs.writeTextFile(paths.knownHosts, knownHostsLine(leaseId, hostPub), { mode: 0o600 });
}

/**
 * A box that existed before its lease (the provider's boxKeys, e.g. a static host): its trusted key and its
 * host key replace the generated pair, so the lease's ssh reads the same files as for any other box.
 */
export async function adoptBoxKeys(deps: StoreDeps, leaseId: string, keys: BoxKeys | null): Promise<void> {
  if (!keys) return;
  const paths = leasePaths(deps, leaseId);
  await deps.fs.writeTextFile(paths.clientKey, keys.privateKey, { mode: 0o600 });
  await deps.fs.remove(paths.clientPub).catch(() => {});
  await deps.fs.writeTextFile(paths.hostPub, `${keys.hostPublicKey}\n`, { mode: 0o600 });
  await deps.fs.writeTextFile(paths.knownHosts, knownHostsLine(leaseId, keys.hostPublicKey), { mode: 0o600 });
}

export async function hasLocalKey(deps: StoreDeps, leaseId: string): Promise<boolean> {
  return (await deps.fs.lstat(leasePaths(deps, leaseId).clientKey))?.isFile ?? false;
}

export async function removeLeaseDir(deps: StoreDeps, leaseId: string): Promise<void> {
  await deps.fs.remove(leaseDir(deps, leaseId), { recursive: true });
}

/** Every lease directory by its name (a crash can leave keys without a lease.json). */
export async function listLeaseDirs(deps: StoreDeps): Promise<{ leaseId: string; mtimeMs: number | null }[]> {
  const root = leasesDir(deps);
  if (!(await deps.fs.lstat(root))?.isDirectory) return [];
  const dirs = [];
  for (const entry of await deps.fs.readDir(root)) {
    if (!entry.isDirectory || !/^cbx_[a-f0-9]{12}$/.test(entry.name)) continue;
    dirs.push({
      leaseId: entry.name,
      mtimeMs: (await deps.fs.lstat(join(root, entry.name)))?.mtimeMs ?? null,
    });
  }
  return dirs;
}

/** Every local lease record (for slug lookups of vanished leases and local pruning). */
export async function listLeaseRecords(deps: StoreDeps): Promise<LeaseRecord[]> {
  const root = leasesDir(deps);
  if (!(await deps.fs.lstat(root))?.isDirectory) return [];
  const records: LeaseRecord[] = [];
  for (const entry of await deps.fs.readDir(root)) {
    if (!entry.isDirectory) continue;
    const record = await readLeaseRecord(deps, entry.name);
    if (record) records.push(record);
  }
  return records;
}
