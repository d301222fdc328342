/**
 * What a harness run may leave behind on the host: its network namespaces and veths (names carry the
 * run id) and any process still living in one of the namespaces it made (found by namespace inode,
 * so a `ip netns del` that left a process running is still caught).
 */

export async function leftoverNetworkObjects(runId: string): Promise<string[]> {
  const netns = await lines(["ip", "netns", "list"]);
  const links = await lines(["ip", "-o", "link", "show"]);
  return [
    ...netns.map((l) => l.split(" ")[0]).filter((n) => n.startsWith(`cbx-${runId}-`)),
    ...links.map((l) => l.split(":")[1]?.trim().split("@")[0] ?? "").filter((n) =>
      n.startsWith(`cbx${runId}`)
    )
      .map((n) => `veth ${n}`),
  ];
}

/**
 * Processes whose network namespace is one of `namespaces` (inode → name). A namespace of ours that still
 * holds a process is alive, so its inode cannot have been reused; an inode that now names another run's
 * namespace (a harness running beside this one) means ours is gone, and its processes are not ours.
 */
export async function processesInNamespaces(namespaces: Map<number, string>): Promise<string[]> {
  if (namespaces.size === 0) return [];
  const ours = new Set(namespaces.values());
  const others = await namedNamespaceInodes((name) => !ours.has(name));
  const found: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const link = await Deno.readLink(`/proc/${entry.name}/ns/net`);
      const inode = Number(link.match(/^net:\[(\d+)\]$/)?.[1]);
      const name = namespaces.get(inode);
      if (!name || others.has(inode)) continue;
      const cmdline = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).replaceAll("\0", " ").trim();
      found.push(`${name}: pid ${entry.name} (${cmdline.slice(0, 80)})`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** Inodes of the named namespaces (`ip netns` mounts under /run/netns) whose name passes `keep`. */
async function namedNamespaceInodes(keep: (name: string) => boolean): Promise<Set<number>> {
  const inodes = new Set<number>();
  try {
    for await (const entry of Deno.readDir("/run/netns")) {
      if (!keep(entry.name)) continue;
      const ino = await Deno.stat(`/run/netns/${entry.name}`).then((info) => info.ino).catch(() => null);
      if (ino !== null) inodes.add(ino);
    }
  } catch {
    // no named namespace at all
  }
  return inodes;
}

async function lines(cmd: string[]): Promise<string[]> {
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

/** The teardown verdict. `netns` lists every network object or namespaced process of the run still alive. */
export interface LeakReport {
  servers: number;
  sshKeys: number;
  /** Snapshot images left; present only when some are (so a clean report reads as before). */
  images?: number;
  /** Firewalls still in the fake; absent when none (so older `deepEqual`s stay exact). */
  firewalls?: number;
  netns: string[];
}
