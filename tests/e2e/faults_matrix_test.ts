/**
 * The CI slice of the fault matrix (`deno task faults --slice`): a representative row or few of each
 * category — bad inputs, API faults, runs cut short — on one shared harness. The full matrix is
 * `deno task faults`; a row joins this slice by its id in tests/faults/slice.ts.
 */
import assert from "node:assert/strict";
import { allRows } from "../faults/matrix.ts";
import { runRow, selectRows } from "../faults/row.ts";
import { startWorld } from "../faults/world.ts";

Deno.test("fault matrix slice: bad inputs, API faults and cut-short runs are handled", async (t) => {
  const rows = selectRows(allRows(), { filters: [], slice: true });
  assert.deepEqual(
    [...new Set(rows.map((r) => r.category))].sort(),
    ["api", "cut", "input"],
    "the slice covers every category",
  );
  const world = await startWorld();
  try {
    for (const row of rows) {
      await t.step(row.id, async () => {
        const result = await runRow(world, row);
        assert.deepEqual(result.problems, [], `${row.id} (${row.expect})`);
      });
    }
  } finally {
    assert.deepEqual(await world.stop(), [], "the harness tears down clean");
  }
});
