/** The tree main() builds: the named command's module alone, or every command when argv needs the tree. */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";
import { buildProgram } from "../../cli/program.ts";
import { CommandContext } from "../../cli/context.ts";
import { Redactor } from "../../core/redact.ts";

Deno.test("program: a named command (or alias) loads alone; help, completions and a misspelt name get all", async () => {
  const cli = await fakeCli();
  try {
    const ctx = new CommandContext(cli.deps, new Redactor());
    const all = (await buildProgram(ctx)).commands.map((c) => c.name());
    assert.ok(all.length > 15, `the whole tree: ${all}`);
    const rows: [string[], string[]][] = [
      [["run", "--", "true"], ["run", "help"]],
      [["--json", "--profile", "ci", "status", "x"], ["status", "help"]],
      [["release", "cbx_0123456789ab"], ["stop", "help"]],
      [["cleanup", "--dry-run"], ["sweep", "help"]],
      [["pool", "drain"], ["pool", "help"]],
      [["help", "run"], all],
      [["completions", "bash"], all],
      [["rn"], all],
      [["--json"], all],
      [[], all],
    ];
    for (const [argv, names] of rows) {
      const program = await buildProgram(ctx, argv);
      assert.deepEqual(program.commands.map((c) => c.name()), names, argv.join(" "));
    }
    assert.deepEqual((await buildProgram(ctx, ["release"])).commands[0].aliases(), ["release"]);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("program: aliases and suggestions work as the whole tree's", async () => {
  const cli = await fakeCli();
  try {
    const release = await cli.run("release", "--help");
    assert.equal(release.code, 0, release.stderr);
    assert.match(release.stdout, /^Usage: crabbox stop\|release /m);
    const typo = await cli.run("stauts");
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown command 'stauts'/);
    assert.match(typo.stderr, /status/, "the suggestion needs the whole tree");
  } finally {
    await cli.cleanup();
  }
});
