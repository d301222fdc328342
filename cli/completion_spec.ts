/**
 * The commander tree as the completion scripts need it (commands, aliases, flags, what each value is
 * completed from) and the helpers the bash/zsh and fish renderers share. Pure.
 */
import type { Command } from "@commander-js/extra-typings";
import { CLASS_NAMES } from "../lease/classes.ts";

/** What a value is completed from. */
export type ValueSource = { kind: "words"; words: string[] } | { kind: "slugs" } | { kind: "jobs" } | {
  kind: "commands";
} | { kind: "none" };

export interface FlagSpec {
  /** Long and short spellings: ["--class"], ["-h", "--help"]. */
  names: string[];
  description: string;
  /** A value must follow (`--class <class>`); optional values (`--pool [name]`) do not count. */
  takesValue: boolean;
  values: ValueSource;
}

export interface CommandSpec {
  /** The path from the root: [] for crabbox itself, ["pool", "drain"]. */
  path: string[];
  name: string;
  aliases: string[];
  description: string;
  flags: FlagSpec[];
  /** What the positional arguments are completed from. */
  args: ValueSource;
  subcommands: CommandSpec[];
}

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = typeof SHELLS[number];

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;

/** The tree as the scripts need it; hidden flags stay hidden. */
export function describeCommand(command: AnyCommand, path: string[] = []): CommandSpec {
  const flags: FlagSpec[] = [];
  for (const option of command.options) {
    if (option.hidden) continue;
    const long = option.long ?? "";
    flags.push({
      names: [option.short, option.long].filter((n): n is string => !!n),
      description: option.description ?? "",
      takesValue: option.required,
      values: option.argChoices
        ? { kind: "words", words: [...option.argChoices] }
        : long === "--class"
        ? { kind: "words", words: [...CLASS_NAMES] }
        : long === "--id"
        ? { kind: "slugs" }
        : { kind: "none" },
    });
  }
  if (!flags.some((f) => f.names.includes("--help"))) {
    flags.push({
      names: ["-h", "--help"],
      description: "display help",
      takesValue: false,
      values: { kind: "none" },
    });
  }
  const name = command.name();
  const argument = command.registeredArguments[0];
  const joined = [...path].join(" ");
  const args: ValueSource = argument?.argChoices
    ? { kind: "words", words: [...argument.argChoices] }
    : joined === "job run"
    ? { kind: "jobs" }
    : joined === "help"
    ? { kind: "commands" }
    : argument?.name() === "id"
    ? { kind: "slugs" }
    : { kind: "none" };
  return {
    path,
    name,
    aliases: command.aliases(),
    description: command.description(),
    flags,
    args,
    subcommands: command.commands.map((sub) => describeCommand(sub as AnyCommand, [...path, sub.name()])),
  };
}

export function walk(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(walk)];
}

export const sq = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
export const key = (spec: CommandSpec) => spec.path.join(" ");
export const longNames = (flags: FlagSpec[]) => flags.flatMap((f) => f.names);

/** The root's flags that every subcommand accepts too (not --version; each command has its own --help). */
export function globalFlags(root: CommandSpec): FlagSpec[] {
  return root.flags.filter((f) => !f.names.includes("--version") && !f.names.includes("--help"));
}

export function firstLine(text: string): string {
  return text.split("\n")[0];
}

/** A shell file without its leading comment block (notes for this repo, not for the user's shell). */
export const withoutHeader = (text: string) => text.replace(/^(#.*\n)+\n*/, "");
