/** The whole fault matrix, in the order the table prints it. */
import type { Row } from "./row.ts";
import { cutRows } from "./rows_cuts.ts";
import { apiRows } from "./rows_api.ts";
import { inputRows } from "./rows_input.ts";
import { PENDING_FIXES, SLICE } from "./slice.ts";

export function allRows(): Row[] {
  const rows = [...inputRows(), ...apiRows(), ...cutRows()];
  const ids = new Set<string>();
  for (const row of rows) {
    if (ids.has(row.id)) throw new Error(`duplicate fault row id ${row.id}`);
    ids.add(row.id);
    row.slice = SLICE.includes(row.id);
    row.pending = PENDING_FIXES.includes(row.id);
  }
  for (const id of [...SLICE, ...PENDING_FIXES]) {
    if (!ids.has(id)) throw new Error(`slice.ts names ${id}, which is not a row of the matrix`);
  }
  return rows;
}
