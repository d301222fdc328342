/**
 * The golden help and error texts of every command (tests/cmd/golden/): each command's `--help`, and what
 * a user mistake prints (an unknown flag, also with --json; a missing required argument; bare `crabbox`). Rendered through the whole CLI in
 * process, so a file shows exactly what a user sees. `deno task gen:golden` (also run by gen:docs) writes
 * them; tests/cmd/golden_test.ts fails on drift and names that command.
 */
import type { Argument, Command } from "@commander-js/extra-typings";
import { docsProgram } from "../../docs/pages.ts";
import { fakeCli } from "./_fakes.ts";

export const GOLDEN_DIR = new URL("./golden/", import.meta.url);
export const REGENERATE = "deno task gen:golden";

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;

/** Every command path in tree order, the root ([]) first. */
function commandPaths(): { path: string[]; requiresArgument: boolean }[] {
  const paths: { path: string[]; requiresArgument: boolean }[] = [];
  const visit = (command: AnyCommand, path: string[]) => {
    const args = command.registeredArguments as readonly Argument[];
    paths.push({ path, requiresArgument: args.some((a) => a.required) });
    for (const sub of command.commands as AnyCommand[]) visit(sub, [...path, sub.name()]);
  };
  visit(docsProgram() as unknown as AnyCommand, []);
  return paths;
}

/** `pool drain` → pool-drain; the root is crabbox. */
const baseName = (path: string[]) => path.length === 0 ? "crabbox" : path.join("-");

/** File name (relative to GOLDEN_DIR) → contents. */
export async function renderGolden(): Promise<Map<string, string>> {
  const cli = await fakeCli({ env: { HCLOUD_TOKEN: "" } });
  const files = new Map<string, string>();
  try {
    const show = async (argv: string[]) => {
      const { code, stdout, stderr } = await cli.run(...argv);
      return [`$ crabbox ${argv.join(" ")}`, `exit ${code}`, "--- stdout", stdout, "--- stderr", stderr].join(
        "\n",
      );
    };
    for (const { path, requiresArgument } of commandPaths()) {
      const help = await cli.run(...path, "--help");
      if (help.code !== 0 || help.stderr !== "") throw new Error(`crabbox ${path.join(" ")} --help failed`);
      files.set(`${baseName(path)}.help.txt`, help.stdout);
      const errors = [
        await show([...path, "--no-such-flag"]),
        await show([...path, "--json", "--no-such-flag"]),
      ];
      // A missing argument; bare `crabbox` prints its help to stderr and exits 2.
      if (requiresArgument || path.length === 0) errors.push(await show(path));
      files.set(`${baseName(path)}.error.txt`, errors.join("\n"));
    }
    files.set("help-exit-codes.help.txt", (await cli.run("help", "exit-codes")).stdout);
  } finally {
    await cli.cleanup();
  }
  return files;
}
