/** What the box's hydrate scripts report, read back (pure). */
import assert from "node:assert/strict";
import { type HydrateReport, parseHydrateReport } from "../../sync/hydrate.ts";

Deno.test("hydrate report: hydrated, needs a bundle, or failed with git's own words", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";
  const table: [string, [number, string, string], HydrateReport][] = [
    ["hydrated", [0, "HYDRATED\n", ""], { kind: "hydrated", noBase: false }],
    ["hydrated, base missing", [0, "NOBASE\nHYDRATED\n", ""], { kind: "hydrated", noBase: true }],
    ["empty box", [0, "NEED none\n", ""], { kind: "need", boxHead: null, origin: null, noBase: false }],
    [
      "origin could not serve it",
      [0, "ORIGIN fatal: remote error: not our ref\nNEED " + sha + "\n", ""],
      { kind: "need", boxHead: sha, origin: "fatal: remote error: not our ref", noBase: false },
    ],
    [
      "git failed",
      [0, "FAIL fatal: unable to create temporary file: Not a directory\n", ""],
      { kind: "failed", reason: "fatal: unable to create temporary file: Not a directory", noBase: false },
    ],
    ["git failed silently", [0, "FAIL \n", ""], {
      kind: "failed",
      reason: "git failed on the box",
      noBase: false,
    }],
    [
      "the script itself failed",
      [74, "", "mkdir: cannot create directory: Permission denied\n"],
      {
        kind: "failed",
        reason: "the hydrate script failed on the box: mkdir: cannot create directory: Permission denied",
        noBase: false,
      },
    ],
    [
      "nothing said",
      [255, "", ""],
      { kind: "failed", reason: "the hydrate script failed on the box: exit 255", noBase: false },
    ],
  ];
  for (const [name, [code, stdout, stderr], expected] of table) {
    assert.deepEqual(parseHydrateReport(code, stdout, stderr), expected, name);
  }
});
