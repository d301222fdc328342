/** The whole fault matrix, in the order the table prints it. */
import type { Row } from "./row.ts";
import { cutRows } from "./rows_cuts.ts";
import { apiRows } from "./rows_api.ts";
import { inputRows } from "./rows_input.ts";

export function allRows(): Row[] {
  const rows = [...inputRows(), ...apiRows(), ...cutRows()];
  const ids = new Set<string>();
  for (const row of rows) {
    if (ids.has(row.id)) throw new Error(`duplicate fault row id ${row.id}`);
    ids.add(row.id);
  }
  return rows;
}
