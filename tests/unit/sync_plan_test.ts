/** The offline plan's pure parts: how skipped non-regular files are named (SPEC §10.9). */
import assert from "node:assert/strict";
import { describeNonRegular } from "../../sync/plan.ts";

Deno.test("non-regular files: one line naming them, a count when there are many", () => {
  const fifo = (path: string) => ({ path, kind: "fifo" as const });
  const table: [string, Parameters<typeof describeNonRegular>[0], string][] = [
    ["one", [fifo("pipe")], "1 non-regular file (never synced): pipe (fifo)"],
    [
      "two kinds",
      [fifo("pipe"), { path: "run/app.sock", kind: "socket" }],
      "2 non-regular files (never synced): pipe (fifo), run/app.sock (socket)",
    ],
    [
      "many",
      ["a", "b", "c", "d", "e", "f", "g"].map(fifo),
      "7 non-regular files (never synced): a (fifo), b (fifo), c (fifo), d (fifo), e (fifo), … (+2 more)",
    ],
  ];
  for (const [name, list, expected] of table) assert.equal(describeNonRegular(list), expected, name);
});
