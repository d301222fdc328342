/**
 * Whether argv asks for a global flag such as --json, read the way commander reads it. Commander can fail (an unknown
 * flag, a missing or bad value) before it has parsed the globals, and that usage error must still be the
 * JSON document --json promises — wherever --json stands relative to the bad flag.
 */

/** The parts of a commander Option this scan reads. */
export interface OptionShape {
  long?: string;
  short?: string;
  /** `<value>`: commander takes the next word as the value, whatever it looks like. */
  required: boolean;
}

/** The parts of a commander Command this scan reads. */
export interface CommandShape {
  readonly commands: readonly CommandShape[];
  readonly options: readonly OptionShape[];
  name(): string;
  aliases(): string[];
}

export function asksForJson(root: CommandShape, argv: readonly string[]): boolean {
  return asksForFlag(root, argv, "--json");
}

/** Whether argv carries the boolean global `flag` (--json, --no-color) where commander would read it. */
export function asksForFlag(root: CommandShape, argv: readonly string[], flag: string): boolean {
  const scope: CommandShape[] = [root];
  let command = root;
  let sawPositional = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    // After `--` every word belongs to the remote command (`crabbox run -- jq --json`).
    if (word === "--") return false;
    if (word === flag) return true;
    if (word.length > 1 && word.startsWith("-")) {
      if (word.includes("=")) continue;
      // `--profile --json` makes "--json" the profile's name; an optional `[value]` never swallows a flag.
      if (findOption(scope, word)?.required) i++;
      continue;
    }
    if (sawPositional) continue;
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) {
      command = sub;
      scope.push(sub);
    } else sawPositional = true;
  }
  return false;
}

/** Own options first, then the ancestors' (commander's globals are recognised after the subcommand too). */
function findOption(scope: readonly CommandShape[], flag: string): OptionShape | undefined {
  for (let i = scope.length - 1; i >= 0; i--) {
    const option = scope[i].options.find((o) => o.long === flag || o.short === flag);
    if (option) return option;
  }
  return undefined;
}
