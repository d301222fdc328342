/**
 * What a box says of a repo's last sync (ssh/scripts/sync_state.sh, alone or after the lock's LOCKED):
 * `<fingerprint> <source>` when a sync completed, `hydrated <commit>` once its git is at that commit, and
 * `records none` when the box keeps no content ids for the repo (a new box, or one --full-resync wiped).
 */
export interface BoxSyncState {
  fingerprint: string | null;
  source: string | null;
  hydratedAt: string | null;
  /** The box has content ids to compare against; without them every file is new to it. */
  hasRecords: boolean;
}

const KEYWORD = /^(hydrated|records) /;

export function parseBoxSyncState(text: string): BoxSyncState {
  const lines = text.split("\n").map((line) => line.trim()).filter(Boolean);
  const first = lines[0] !== undefined && !KEYWORD.test(lines[0]) ? lines[0].split(" ") : [];
  return {
    fingerprint: first[0] || null,
    source: first[1] || null,
    hydratedAt: lines.find((line) => line.startsWith("hydrated "))?.split(" ")[1] || null,
    hasRecords: !lines.includes("records none"),
  };
}
