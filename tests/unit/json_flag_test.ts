/** asksForJson reads argv as commander does, so a usage error before parsing still honours --json. */
import assert from "node:assert/strict";
import { asksForJson, type CommandShape, type OptionShape } from "../../cli/json_flag.ts";

const option = (long: string, required = false): OptionShape => ({ long, required });
const command = (name: string, options: OptionShape[], commands: CommandShape[] = []): CommandShape => ({
  commands,
  options,
  name: () => name,
  aliases: () => (name === "sweep" ? ["cleanup"] : []),
});

const tree = command("crabbox", [option("--json"), option("--profile", true)], [
  command("run", [option("--id", true), option("--pool")]),
  command("sweep", [option("--dry-run")]),
  command("job", [], [command("run", [option("--stop", true)])]),
]);

Deno.test("asksForJson: --json before or after the subcommand and the bad flag, never past -- or as a value", () => {
  const rows: [string[], boolean][] = [
    [["--json", "run", "--bogus"], true],
    [["run", "--bogus", "--json"], true],
    [["run", "ls", "--json"], true],
    [["job", "run", "t", "--json"], true],
    [["cleanup", "--json"], true],
    [["--bogus", "--json"], true],
    [["run", "--pool", "--json"], true],
    [["run"], false],
    [["run", "--", "jq", "--json"], false],
    [["--profile", "--json", "run"], false],
    [["run", "--id", "--json"], false],
    [["job", "run", "--stop", "--json"], false],
    [["--profile=--json", "run"], false],
    [["--json=yes"], false],
    [[], false],
  ];
  for (const [argv, expected] of rows) assert.equal(asksForJson(tree, argv), expected, argv.join(" "));
});
