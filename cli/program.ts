/** The commander tree. Each command lives in its own file and stays thin: parse → use case → render. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { EXIT_CODES_HELP } from "./exit_codes.ts";
import { versionLine } from "./version.ts";
import { runCommand } from "./run.ts";
import { warmupCommand } from "./warmup.ts";
import { stopCommand } from "./stop.ts";
import { listCommand } from "./list.ts";
import { usageCommand } from "./usage.ts";
import { statusCommand } from "./status.ts";
import { versionCommand } from "./version_command.ts";
import { sweepCommand } from "./sweep.ts";
import { heartbeatCommand } from "./heartbeat.ts";
import { poolCommand } from "./pool.ts";
import { pondCommand } from "./pond.ts";
import { syncPlanCommand } from "./sync_plan.ts";
import { jobCommand } from "./job.ts";
import { sshCommand } from "./ssh.ts";
import { configCommand } from "./config_command.ts";
import { doctorCommand } from "./doctor.ts";
import { completionsCommand } from "./completions.ts";
import { initCommand } from "./init.ts";
import { checkpointCommand } from "./checkpoint.ts";
import { usageError } from "../core/errors.ts";
import { addGlobalOptions } from "./global_options.ts";

export function buildProgram(ctx: CommandContext): Command {
  const program = new Command()
    .name("crabbox")
    .description(
      "Run your repository's commands on a throwaway Hetzner Cloud box: lease, sync, run, stream, release.",
    )
    .version(
      versionLine(ctx.deps.system.runtime()),
      "--version",
      "print the version, commit and Deno runtime",
    )
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      `
Examples:
  crabbox run -- pnpm test                 lease a box, sync, run, release
  crabbox warmup                           keep a box ready for repeated runs
  crabbox run --id violet-prawn -- make    reuse a warm box
  crabbox stop violet-prawn                delete it
  crabbox help exit-codes                  what each exit code means

Needs HCLOUD_TOKEN (a read/write Hetzner Cloud API token). HCLOUD_ENDPOINT overrides the API URL.`,
    );

  addGlobalOptions(program as unknown as Command, ctx);

  program.addCommand(runCommand(ctx));
  program.addCommand(warmupCommand(ctx));
  program.addCommand(stopCommand(ctx));
  program.addCommand(listCommand(ctx));
  program.addCommand(statusCommand(ctx));
  program.addCommand(usageCommand(ctx));
  program.addCommand(sshCommand(ctx));
  program.addCommand(heartbeatCommand(ctx));
  program.addCommand(poolCommand(ctx));
  program.addCommand(checkpointCommand(ctx));
  program.addCommand(pondCommand(ctx));
  program.addCommand(sweepCommand(ctx));
  program.addCommand(syncPlanCommand(ctx));
  program.addCommand(jobCommand(ctx));
  program.addCommand(doctorCommand(ctx));
  program.addCommand(initCommand(ctx));
  program.addCommand(configCommand(ctx));
  program.addCommand(completionsCommand(ctx));
  program.addCommand(versionCommand(ctx));

  program.addHelpCommand(false);
  program.addCommand(
    new Command("help")
      .description("show help for a command (also nested: help pool drain), or 'exit-codes'")
      .argument("[topic...]", "a command name (and subcommand names), or exit-codes")
      .action((topic) => {
        const name = topic.join(" ");
        // outputHelp, not helpInformation: the examples and notes (addHelpText) are part of the help.
        if (name === "" || name === "crabbox") return void program.outputHelp();
        if (name === "exit-codes") return void ctx.deps.io.writeStdout(EXIT_CODES_HELP);
        const { command, known } = findCommand(program as unknown as Command, topic);
        if (known.length < topic.length) {
          const where = known.length
            ? `crabbox help ${known.join(" ")}' for its subcommands`
            : "crabbox help' for the list of commands";
          throw usageError(`no help topic "${name}"`, `run '${where}`);
        }
        command.outputHelp();
      }),
  );
  // Every command's help lists the globals: commander reads this per command, and addCommand copies nothing.
  forEachCommand(
    program as unknown as Command,
    (command) => command.configureHelp({ showGlobalOptions: true }),
  );
  return program as unknown as Command;
}

/** The deepest command along a path of names or aliases (`pool drain`), and the names that led there. */
function findCommand(root: Command, path: string[]): { command: Command; known: string[] } {
  let command = root;
  const known: string[] = [];
  for (const name of path) {
    const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!sub) break;
    command = sub as unknown as Command;
    known.push(name);
  }
  return { command, known };
}

function forEachCommand(command: Command, visit: (command: Command) => void): void {
  visit(command);
  for (const sub of command.commands) forEachCommand(sub as unknown as Command, visit);
}
