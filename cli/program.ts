/**
 * The commander tree. Each command lives in its own file and stays thin: parse → use case → render.
 * A run that names a command loads that command's module alone (its use cases with it); help, a
 * misspelt command and completions get the whole tree.
 */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { EXIT_CODES_HELP } from "./exit_codes.ts";
import { versionLine } from "./version.ts";
import { usageError } from "../core/errors.ts";
import { addGlobalOptions } from "./global_options.ts";
import { type CommandShape, commandWord } from "./json_flag.ts";

// Each command has its own argument and option types; the tree holds them all.
// deno-lint-ignore no-explicit-any
type CommandFactory = (ctx: CommandContext) => Command<any, any, any>;

interface TopCommand {
  name: string;
  aliases?: string[];
  /** Walks the whole tree: built with every command. */
  needsTree?: boolean;
  load(): Promise<CommandFactory>;
}

/** The top-level commands, in the help's order. */
const COMMANDS: TopCommand[] = [
  { name: "run", load: async () => (await import("./run.ts")).runCommand },
  { name: "warmup", load: async () => (await import("./warmup.ts")).warmupCommand },
  { name: "stop", aliases: ["release"], load: async () => (await import("./stop.ts")).stopCommand },
  { name: "list", load: async () => (await import("./list.ts")).listCommand },
  { name: "status", load: async () => (await import("./status.ts")).statusCommand },
  { name: "usage", load: async () => (await import("./usage.ts")).usageCommand },
  { name: "ssh", load: async () => (await import("./ssh.ts")).sshCommand },
  { name: "heartbeat", load: async () => (await import("./heartbeat.ts")).heartbeatCommand },
  { name: "pool", load: async () => (await import("./pool.ts")).poolCommand },
  { name: "checkpoint", load: async () => (await import("./checkpoint.ts")).checkpointCommand },
  { name: "pond", load: async () => (await import("./pond.ts")).pondCommand },
  { name: "sweep", aliases: ["cleanup"], load: async () => (await import("./sweep.ts")).sweepCommand },
  { name: "sync-plan", load: async () => (await import("./sync_plan.ts")).syncPlanCommand },
  { name: "job", load: async () => (await import("./job.ts")).jobCommand },
  { name: "doctor", load: async () => (await import("./doctor.ts")).doctorCommand },
  { name: "init", load: async () => (await import("./init.ts")).initCommand },
  { name: "config", load: async () => (await import("./config_command.ts")).configCommand },
  {
    name: "completions",
    needsTree: true,
    load: async () => (await import("./completions.ts")).completionsCommand,
  },
  { name: "version", load: async () => (await import("./version_command.ts")).versionCommand },
];

/** The commands argv needs: the one it names, or all of them (help, a misspelt name, none). */
function commandsFor(root: Command, argv: readonly string[] | undefined): TopCommand[] {
  if (argv === undefined) return COMMANDS;
  const word = commandWord(root as unknown as CommandShape, argv);
  const named = COMMANDS.find((c) => c.name === word || c.aliases?.includes(word ?? ""));
  return named && !named.needsTree ? [named] : COMMANDS;
}

/** `argv`: build only what it needs (main); without it, the whole tree (docs, tests). */
export async function buildProgram(ctx: CommandContext, argv?: readonly string[]): Promise<Command> {
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

  const commands = commandsFor(program as unknown as Command, argv);
  const factories = await Promise.all(commands.map((c) => c.load()));
  commands.forEach((c, i) => {
    const command = factories[i](ctx);
    for (const alias of c.aliases ?? []) command.alias(alias);
    program.addCommand(command);
  });

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
