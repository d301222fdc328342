/** One row of the fault matrix and the loop that runs rows independently on a shared world. */
import { checkCanaries } from "./checks.ts";
import { newRow, type RowRun, type World } from "./world.ts";

export type Category = "cut" | "api" | "input";

export interface Row {
  /** Unique and stable: `category/…`, used by filters and in the CI slice. */
  id: string;
  category: Category;
  /** What "handled" means for this row, in a few words (printed in the table). */
  expect: string;
  /** In the CI slice (tests/e2e/faults_matrix_test.ts); set from slice.ts. */
  slice?: boolean;
  /** Proves a fix of issue 8 still pending (slice.ts PENDING_FIXES). */
  pending?: boolean;
  /** Hard deadline of each crabbox process the row starts (it is killed and the row fails). */
  deadlineMs: number;
  run(row: RowRun): Promise<void>;
}

export interface RowResult {
  row: Row;
  handled: boolean;
  problems: string[];
  notes: string[];
  ms: number;
}

/** Runs one row in a fresh sandbox; any exception is a problem, never a crash of the matrix. */
export async function runRow(world: World, def: Row): Promise<RowResult> {
  const started = Date.now();
  const violationsBefore = world.harness.violations().length;
  const row = await newRow(world, def.deadlineMs);
  try {
    await def.run(row);
  } catch (error) {
    row.fail(`row aborted: ${(error as Error).message.split("\n")[0].slice(0, 300)}`);
  } finally {
    checkCanaries(row);
    await row.finish();
  }
  const violations = world.harness.violations().slice(violationsBefore);
  if (violations.length > 0) {
    row.fail(`Prism contract violation: ${JSON.stringify(violations[0]).slice(0, 200)}`);
  }
  return {
    row: def,
    handled: row.problems.length === 0,
    problems: row.problems,
    notes: row.notes,
    ms: Date.now() - started,
  };
}

export function selectRows(
  rows: Row[],
  options: { filters: string[]; category?: string; slice?: boolean; pending?: boolean },
): Row[] {
  return rows.filter((r) =>
    (!options.slice || r.slice) &&
    (!options.pending || r.pending) &&
    (!options.category || r.category === options.category) &&
    (options.filters.length === 0 || options.filters.some((f) => r.id.includes(f)))
  );
}
