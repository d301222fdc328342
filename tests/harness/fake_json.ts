/**
 * JSON shapes of the fake's resources, complete per Hetzner's OpenAPI schemas (all required fields,
 * `private_net: []`, `public_net.ipv4` null until the IP exists, `ipv6: null`). Pure.
 */
import {
  type Architecture,
  datacenterJson,
  imageIndex,
  imageJson,
  locationIndex,
  locationJson,
  SERVER_TYPES,
  serverTypeIndex,
  serverTypeJson,
} from "./catalog.ts";

export interface ServerFields {
  id: number;
  name: string;
  status: string;
  created: string;
  labels: Record<string, string>;
  serverType: string;
  location: string;
  image: string;
  ipv4: string | null;
}

export interface FakeAction {
  id: number;
  command: string;
  started: string;
  /** Real (unskewed) ms when the action began and when it is done. */
  startedAt: number;
  doneAt: number;
  resourceId: number;
  type: string;
  error: { code: string; message: string } | null;
}

/** Unix ms → Hetzner's ISO 8601 (`2016-01-30T23:55:00+00:00`). */
export function isoTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "+00:00");
}

export function architectureOf(serverType: string): Architecture {
  const index = serverTypeIndex(serverType);
  return index === null ? "x86" : SERVER_TYPES[index][5];
}

export function serverJson(s: ServerFields) {
  const typeIndex = serverTypeIndex(s.serverType) ?? 0;
  const locIndex = locationIndex(s.location) ?? 0;
  const image = imageIndex(s.image, architectureOf(s.serverType)) ?? 0;
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    created: s.created,
    public_net: {
      ipv4: s.ipv4
        ? { id: s.id + 1, ip: s.ipv4, blocked: false, dns_ptr: `static.${s.ipv4}.example.invalid` }
        : null,
      ipv6: null,
      floating_ips: [],
      firewalls: [],
    },
    private_net: [],
    server_type: serverTypeJson(typeIndex),
    location: locationJson(locIndex),
    datacenter: datacenterJson(locIndex),
    image: imageJson(image),
    iso: null,
    rescue_enabled: false,
    locked: false,
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: 21990232555520,
    protection: { delete: false, rebuild: false },
    labels: s.labels,
    volumes: [],
    load_balancers: [],
    primary_disk_size: SERVER_TYPES[typeIndex][3],
    placement_group: null,
  };
}

/**
 * The action at real time `nowMs`: progress runs from start to done, a failed action ends `error`;
 * `started`/`finished` are on the fake's clock, `skewMs` ahead of real time.
 */
export function actionJson(a: FakeAction, nowMs: number, skewMs: number) {
  const done = nowMs >= a.doneAt;
  const span = Math.max(1, a.doneAt - a.startedAt);
  return {
    id: a.id,
    command: a.command,
    status: done ? (a.error ? "error" : "success") : "running",
    progress: done ? 100 : Math.min(99, Math.floor(((nowMs - a.startedAt) / span) * 100)),
    started: a.started,
    finished: done ? isoTime(a.doneAt + skewMs) : null,
    resources: [{ id: a.resourceId, type: a.type }],
    error: done ? a.error : null,
  };
}

export function paginationJson(page: number, perPage: number, total: number) {
  const last = Math.max(1, Math.ceil(total / perPage));
  return {
    page,
    per_page: perPage,
    previous_page: page > 1 ? page - 1 : null,
    next_page: page < last ? page + 1 : null,
    last_page: last,
    total_entries: total,
  };
}

/** `sort=field[:asc|:desc]`, repeatable; the first key decides, later keys break ties. */
export function sortBy<T extends object>(items: T[], sorts: string[]): T[] | string {
  const keys: { field: string; dir: number }[] = [];
  for (const sort of sorts) {
    const [field, dir = "asc"] = sort.split(":");
    if (dir !== "asc" && dir !== "desc") return `invalid sort direction "${dir}"`;
    if (items.length > 0 && !(field in items[0])) return `invalid sort field "${field}"`;
    keys.push({ field, dir: dir === "asc" ? 1 : -1 });
  }
  return [...items].sort((a, b) => {
    for (const { field, dir } of keys) {
      const x = (a as Record<string, string | number>)[field];
      const y = (b as Record<string, string | number>)[field];
      if (x < y) return -dir;
      if (x > y) return dir;
    }
    return 0;
  });
}
