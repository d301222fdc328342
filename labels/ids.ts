/** Lease ids, run ids, slugs, server and key names (SPEC §4.1, §4.2). */

const ADJECTIVES = [
  "amber",
  "blue",
  "brisk",
  "coral",
  "crimson",
  "golden",
  "harbor",
  "jade",
  "pearl",
  "quick",
  "silver",
  "swift",
  "tidal",
  "violet",
];
const NOUNS = ["barnacle", "crab", "crayfish", "hermit", "krill", "lobster", "prawn", "shrimp"];
const CANONICAL_LEASE = /^cbx_[a-f0-9]{12}$/;
const KEY_NAME = /^crabbox-cbx-[0-9a-f]{12}$/;
const MAX_SLUG = 41;

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

export function newLeaseId(randomBytes: (n: number) => Uint8Array): string {
  return `cbx_${hex(randomBytes(6))}`;
}

export function newRunId(randomBytes: (n: number) => Uint8Array): string {
  return `run_${hex(randomBytes(6))}`;
}

export function isCanonicalLeaseId(id: string): boolean {
  return CANONICAL_LEASE.test(id);
}

export function slugFromLeaseId(leaseId: string): string {
  const h = fnv1a32(leaseId);
  return `${ADJECTIVES[h % 14]}-${NOUNS[Math.floor(h / 14) % 8]}`;
}

/** Lowercase; runs of other characters become one "-"; trimmed. Throws when empty or too long. */
export function normalizeSlug(text: string): string {
  const slug = text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  if (slug === "" || slug.length > MAX_SLUG) {
    throw new Error(`slug "${text}" must have 1–${MAX_SLUG} letters, digits or dashes`);
  }
  return slug;
}

/** First free of: base, base-<4 hex> for attempts 1..20, the normalized lease id; null if all taken. */
export function allocateSlug(base: string, leaseId: string, taken: Set<string>): string | null {
  if (!taken.has(base)) return base;
  for (let attempt = 1; attempt <= 20; attempt++) {
    const suffix = (fnv1a32(`${leaseId}-${attempt}`) & 0xffff).toString(16).padStart(4, "0");
    const candidate = `${base.slice(0, MAX_SLUG)}-${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
  const fallback = leaseId.replace("_", "-");
  return taken.has(fallback) ? null : fallback;
}

export function serverName(slug: string, leaseId: string): string {
  return `crabbox-${slug}-${fnv1a32(leaseId).toString(16).padStart(8, "0")}`;
}

export function sshKeyName(leaseId: string): string {
  return `crabbox-${leaseId.replace("_", "-")}`;
}

export function isSshKeyName(name: string): boolean {
  return KEY_NAME.test(name);
}

export function leaseIdFromKeyName(name: string): string | null {
  return isSshKeyName(name) ? name.slice("crabbox-".length).replace("-", "_") : null;
}
