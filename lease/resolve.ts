/**
 * --id resolution (SPEC §4.4): numeric server id, canonical lease id, slug, server name, then a local
 * lease record's slug. Every match must pass the ownership predicate before anything mutates it.
 */
import type { Deps } from "../core/deps.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { CrabboxError, notFoundError, usageError } from "../core/errors.ts";
import { isCanonicalLeaseId, normalizeSlug } from "../labels/ids.ts";
import { isCrabboxOwned } from "../labels/ownership.ts";
import { leaseServer, slugServers } from "../labels/selectors.ts";
import { listLeaseRecords } from "./store.ts";
import { releasedLeaseForSlug } from "./tombstones.ts";

export type Resolution =
  | { kind: "found"; server: Server }
  /** A canonical id (or a slug from a local record) whose server no longer exists. */
  | { kind: "gone"; leaseId: string };

const NOT_FOUND_HINT = "run 'crabbox list' to see your boxes";

/**
 * What can be told about an id without the API, checked by commands before anything else: empty is a
 * usage error; a number that no server can have (0, signed, past 2^53) is not found (exit 4), so no
 * request ever carries a bogus id.
 */
export function checkLeaseRef(id: string): void {
  const trimmed = id.trim();
  if (trimmed === "") {
    throw usageError("empty lease id", "pass a lease id (cbx_…), slug, server id or server name");
  }
  if (/^[+-]?\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (!/^\d+$/.test(trimmed) || n < 1 || !Number.isSafeInteger(n)) {
      throw notFoundError(`lease/server not found: ${trimmed}`, NOT_FOUND_HINT);
    }
  }
}

export async function resolveLease(
  deps: Deps,
  api: HetznerApi,
  id: string,
  signal?: AbortSignal,
): Promise<Resolution> {
  checkLeaseRef(id);
  const trimmed = id.trim();
  if (/^\d+$/.test(trimmed)) {
    const server = await api.getServer(Number(trimmed), { signal });
    if (!server) {
      throw notFoundError(`lease/server not found: ${trimmed}`, NOT_FOUND_HINT);
    }
    return found(server, trimmed);
  }
  if (isCanonicalLeaseId(trimmed)) {
    const [server] = await api.listServers({ labelSelector: leaseServer(trimmed) }, { signal });
    return server ? found(server, trimmed) : { kind: "gone", leaseId: trimmed };
  }
  let slug: string | null = null;
  try {
    slug = normalizeSlug(trimmed);
  } catch {
    slug = null;
  }
  if (slug) {
    const matches = await api.listServers({ labelSelector: slugServers(slug) }, { signal });
    if (matches.length === 1) return found(matches[0], trimmed);
    if (matches.length > 1) {
      const lines = matches.map((s) =>
        `lease=${s.labels.lease ?? "?"} slug=${s.labels.slug ?? "?"} server=${s.id} owner=${
          s.labels.owner ?? "?"
        } ip=${s.ipv4 ?? "-"}`
      );
      throw new CrabboxError("not_found", `slug "${slug}" matches multiple leases:\n${lines.join("\n")}`, {
        hint: "pass the lease id (cbx_…) instead",
      });
    }
  }
  const [byName] = await api.listServers({ name: trimmed }, { signal });
  if (byName) return found(byName, trimmed);
  const record = (await listLeaseRecords(deps)).find((r) => r.slug === slug);
  if (record) return { kind: "gone", leaseId: record.id };
  const released = slug ? await releasedLeaseForSlug(deps, slug) : null;
  if (released) return { kind: "gone", leaseId: released };
  throw notFoundError(`lease/server not found: ${trimmed}`, NOT_FOUND_HINT);
}

function found(server: Server, id: string): Resolution {
  if (!isCrabboxOwned(server.labels)) {
    throw usageError(
      `refusing to operate on non-crabbox server ${id}`,
      "crabbox only touches servers it created (labels crabbox=true, created_by=crabbox, lease=cbx_…)",
    );
  }
  return { kind: "found", server };
}
