/**
 * Host-wide claims on server indexes (10.77.N.2), so harnesses in parallel test processes never
 * route the same address: one file per index in /run (tmpfs, gone after a reboot), created
 * exclusively and holding the owner's pid; a claim whose process is gone is taken over.
 */

const CLAIMS = "/run/cbx-harness";

function claimPath(index: number): string {
  return `${CLAIMS}/10.77.${index}`;
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Indexes whose host side (10.77.N.1) sits on some interface, e.g. a leaked veth of a dead run. */
async function addressesInUse(): Promise<Set<number>> {
  const out = await new Deno.Command("ip", {
    args: ["-4", "-o", "addr", "show"],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  return new Set([...text.matchAll(/ inet 10\.77\.(\d+)\.1\//g)].map((m) => Number(m[1])));
}

/** The lowest index in 1–254 that no live process holds (reuse first), or null when all are taken. */
export async function claimIndex(skip: (index: number) => boolean): Promise<number | null> {
  await Deno.mkdir(CLAIMS, { recursive: true });
  const routed = await addressesInUse();
  for (let index = 1; index <= 254; index++) {
    if (skip(index) || routed.has(index)) continue;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await Deno.writeTextFile(claimPath(index), String(Deno.pid), { createNew: true });
        return index;
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        const owner = Number(await Deno.readTextFile(claimPath(index)).catch(() => "0"));
        if (owner === Deno.pid || (owner > 0 && alive(owner))) break;
        await Deno.remove(claimPath(index)).catch(() => {});
      }
    }
  }
  return null;
}

export function releaseIndexSync(index: number): void {
  try {
    Deno.removeSync(claimPath(index));
  } catch {
    // never claimed or already released
  }
}
