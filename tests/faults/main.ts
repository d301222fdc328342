/**
 * `deno task faults [--slice | --pending] [--category cut|api|input] [--list] [--verbose] [FILTER…]`
 *
 * Runs the fault matrix on one shared harness and prints one line per row (verdict, id, expectation,
 * time), the problems of every row that was not handled, and `faults: N tried, N handled`. Exits 0
 * only when every row tried was handled. FILTERs are substrings of row ids (any may match).
 */
import { allRows } from "./matrix.ts";
import { type RowResult, runRow, selectRows } from "./row.ts";
import { startWorld } from "./world.ts";
import { formatDurationMs } from "../../core/duration.ts";

function parseArgs(args: string[]) {
  const options = {
    filters: [] as string[],
    category: undefined as string | undefined,
    slice: false,
    pending: false,
    list: false,
    verbose: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--slice") options.slice = true;
    else if (a === "--pending") options.pending = true;
    else if (a === "--list") options.list = true;
    else if (a === "--verbose" || a === "-v") options.verbose = true;
    else if (a === "--category") options.category = args[++i];
    else if (a.startsWith("--category=")) options.category = a.slice("--category=".length);
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else options.filters.push(a);
  }
  if (options.category && !["cut", "api", "input"].includes(options.category)) {
    throw new Error(`--category must be cut, api or input`);
  }
  return options;
}

export function formatResult(r: RowResult, idWidth: number): string {
  const verdict = r.handled ? "handled" : "FAILED ";
  const time = formatDurationMs(r.ms).padStart(6);
  return `${verdict}  ${r.row.id.padEnd(idWidth)}  ${r.row.expect.padEnd(44)}  ${time}`;
}

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  const rows = selectRows(allRows(), options);
  if (options.list) {
    for (const r of rows) {
      console.log(`${r.slice ? "slice" : r.pending ? "fix? " : "     "}  ${r.id.padEnd(54)}  ${r.expect}`);
    }
    console.log(`${rows.length} rows`);
    return 0;
  }
  if (rows.length === 0) {
    console.error("faults: no row matches");
    return 2;
  }
  const started = Date.now();
  const world = await startWorld();
  const width = Math.max(...rows.map((r) => r.id.length));
  const results: RowResult[] = [];
  const onSignal = () => {
    console.error("faults: interrupted; tearing down the harness");
    void world.stop().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    for (const row of rows) {
      const result = await runRow(world, row);
      results.push(result);
      console.log(formatResult(result, width));
      if (!result.handled || options.verbose) {
        for (const p of result.problems) console.log(`           - ${p}`);
        if (options.verbose) { for (const n of result.notes) console.log(`           · ${n}`); }
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    const teardown = await world.stop();
    for (const p of teardown) console.log(`faults: teardown: ${p}`);
  }
  const handled = results.filter((r) => r.handled).length;
  const failed = results.filter((r) => !r.handled);
  if (failed.length > 0) {
    console.log(`\nnot handled (${failed.length}):`);
    for (const r of failed) console.log(`  ${r.row.id}: ${r.problems[0] ?? ""}`);
  }
  console.log("");
  for (const category of ["input", "api", "cut"]) {
    const of = results.filter((r) => r.row.category === category);
    if (of.length === 0) continue;
    console.log(`  ${category.padEnd(5)}  ${of.length} tried, ${of.filter((r) => r.handled).length} handled`);
  }
  console.log(
    `faults: ${results.length} tried, ${handled} handled (${formatDurationMs(Date.now() - started)})`,
  );
  return handled === results.length ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
