/**
 * docs/commands/: one Markdown page per command plus an index, generated from the commander tree so a
 * page can never disagree with the flags (tests/unit/docs_drift_test.ts; regenerate with deno task
 * gen:docs). Pure: the tree in, the pages out. Each command's own `before`/`after` help text (its
 * examples and notes) is copied verbatim.
 */
import type { Argument, Command, Option } from "@commander-js/extra-typings";

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;
// deno-lint-ignore no-explicit-any
type AnyOption = Option<any, any, any, any, any>;
// deno-lint-ignore no-explicit-any
type AnyArgument = Argument<any, any, any, any, any>;

export interface CommandPage {
  /** Relative to docs/commands/: `run.md`, `pool-drain.md`, the index `README.md`. */
  file: string;
  text: string;
}

const GENERATED =
  "<!-- Generated from the command tree (cli/program.ts) by `deno task gen:docs`; do not edit. -->";

/** Flags that act on the root only and are not worth repeating on every page. */
const ROOT_ONLY = new Set(["--version"]);

/** `pool drain` → pool-drain.md; the root is the index. */
export function pageFile(path: string[]): string {
  return path.length === 0 ? "README.md" : `${path.join("-")}.md`;
}

/** Every page, the index first, then the commands in tree order. */
export function renderCommandPages(root: AnyCommand): CommandPage[] {
  const pages: CommandPage[] = [{ file: "README.md", text: renderIndex(root) }];
  const visit = (command: AnyCommand, path: string[]) => {
    for (const sub of subcommands(command)) {
      const subPath = [...path, sub.name()];
      pages.push({ file: pageFile(subPath), text: renderCommand(sub, subPath) });
      visit(sub, subPath);
    }
  };
  visit(root, []);
  return pages;
}

/** Commands of this node as its help lists them, without commander's implicit `help` subcommand. */
function subcommands(command: AnyCommand): AnyCommand[] {
  return command.createHelp().visibleCommands(command).filter((c) => command.commands.includes(c));
}

function renderIndex(root: AnyCommand): string {
  const lines = [
    `# ${root.name()} commands`,
    "",
    GENERATED,
    "",
    ...paragraph(root.description()),
    "## Usage",
    "",
    "```text",
    root.createHelp().commandUsage(root),
    "```",
    "",
    "## Commands",
    "",
    "| Command | Description |",
    "| --- | --- |",
  ];
  const list = (command: AnyCommand, path: string[]) => {
    for (const sub of subcommands(command)) {
      const subPath = [...path, sub.name()];
      const aliases = sub.aliases().map((a) => `, \`${a}\``).join("");
      lines.push(
        `| [\`${[root.name(), ...subPath].join(" ")}\`](${pageFile(subPath)})${aliases} | ${
          cell(sub.summary() || firstLine(sub.description()))
        } |`,
      );
      list(sub, subPath);
    }
  };
  list(root, []);
  lines.push("", "## Global options", "", "Accepted by every command, before or after its name.", "");
  lines.push(...optionTable(globalOptions(root, true)));
  const rootOnly = (root.createHelp().visibleOptions(root) as AnyOption[]).filter((o) =>
    !globalOptions(root, true).includes(o)
  );
  lines.push(...rootOnly.map((o) => `- \`${root.name()} ${o.flags}\`: ${cell(optionText(o))}`), "");
  lines.push(...helpTexts(root));
  lines.push(
    "## See also",
    "",
    "- [Exit codes](../exit-codes.md)",
    "- [Configuration reference](../configuration.md)",
    "",
  );
  return lines.join("\n");
}

function renderCommand(command: AnyCommand, path: string[]): string {
  let root = command;
  while (root.parent) root = root.parent as AnyCommand;
  const help = command.createHelp();
  const title = [root.name(), ...path].join(" ");
  const lines = [`# ${title}`, "", GENERATED, "", ...paragraph(command.description())];
  if (command.aliases().length > 0) {
    const names = command.aliases().map((a) => `\`${[root.name(), ...path.slice(0, -1), a].join(" ")}\``);
    lines.push(`Alias: ${names.join(", ")}.`, "");
  }
  lines.push("## Usage", "", "```text", help.commandUsage(command), "```", "");
  const args = command.registeredArguments as readonly AnyArgument[];
  if (args.length > 0) {
    lines.push("## Arguments", "", "| Argument | Description |", "| --- | --- |");
    for (const arg of args) lines.push(`| \`${argumentTerm(arg)}\` | ${cell(argumentText(arg))} |`);
    lines.push("");
  }
  const subs = subcommands(command);
  if (subs.length > 0) {
    lines.push("## Subcommands", "", "| Command | Description |", "| --- | --- |");
    for (const sub of subs) {
      lines.push(
        `| [\`${title} ${sub.name()}\`](${pageFile([...path, sub.name()])}) | ${
          cell(sub.summary() || firstLine(sub.description()))
        } |`,
      );
    }
    lines.push("");
  }
  lines.push("## Options", "", ...optionTable(help.visibleOptions(command) as AnyOption[]));
  const globals = globalOptions(command, false);
  if (globals.length > 0) {
    lines.push(
      "## Global options",
      "",
      `${
        globals.map((o) => `\`${o.flags}\``).join(", ")
      }: see [the command index](README.md#global-options).`,
      "",
    );
  }
  lines.push(...helpTexts(command));
  return lines.join("\n");
}

/** The ancestors' options (the root's for a top-level command); with `self`, the command's own too. */
function globalOptions(command: AnyCommand, self: boolean): AnyOption[] {
  const options: AnyOption[] = [];
  for (let c = self ? command : command.parent; c; c = c.parent) {
    options.unshift(
      ...(c.options as readonly AnyOption[]).filter((o) => !o.hidden && !ROOT_ONLY.has(o.long ?? "")),
    );
  }
  return options;
}

function optionTable(options: AnyOption[]): string[] {
  const lines = ["| Option | Description | Default |", "| --- | --- | --- |"];
  for (const option of options) {
    lines.push(`| \`${option.flags}\` | ${cell(optionText(option))} | ${defaultText(option)} |`);
  }
  return [...lines, ""];
}

function optionText(option: AnyOption): string {
  const extras: string[] = [];
  if (option.argChoices) extras.push(`one of ${option.argChoices.map((c) => `\`${c}\``).join(", ")}`);
  if (option.envVar) extras.push(`env \`${option.envVar}\``);
  if (option.mandatory) extras.push("required");
  const text = option.description ?? "";
  return extras.length ? `${text} (${extras.join("; ")})` : text;
}

function defaultText(option: AnyOption): string {
  if (option.defaultValueDescription) return `\`${option.defaultValueDescription}\``;
  if (option.defaultValue === undefined) return "";
  return `\`${
    typeof option.defaultValue === "string" ? option.defaultValue : JSON.stringify(option.defaultValue)
  }\``;
}

function argumentTerm(arg: AnyArgument): string {
  const name = `${arg.name()}${arg.variadic ? "..." : ""}`;
  return arg.required ? `<${name}>` : `[${name}]`;
}

function argumentText(arg: AnyArgument): string {
  const extras: string[] = [];
  if (arg.argChoices) extras.push(`one of ${arg.argChoices.map((c) => `\`${c}\``).join(", ")}`);
  if (arg.defaultValue !== undefined) {
    extras.push(`default \`${arg.defaultValueDescription ?? JSON.stringify(arg.defaultValue)}\``);
  }
  const text = arg.description ?? "";
  return extras.length ? `${text} (${extras.join("; ")})` : text;
}

/** The command's own `before`/`after` help text (examples, notes), verbatim in a text block. */
function helpTexts(command: AnyCommand): string[] {
  const texts: string[] = [];
  // addHelpText registers listeners on these events (commander's Command is an EventEmitter; the typings
  // leave that out): emitting them collects the text without rendering the rest of the help.
  const emitter = command as unknown as { emit(event: string, context: unknown): boolean };
  for (const event of ["beforeHelp", "afterHelp"]) {
    emitter.emit(event, { error: false, command, write: (text: string) => texts.push(text) });
  }
  const body = texts.join("\n").split("\n").map((line) => line.trimEnd()).join("\n").trim();
  if (body === "") return [];
  return ["## Examples and notes", "", "```text", body, "```", ""];
}

function paragraph(text: string): string[] {
  return text.trim() === "" ? [] : [text.trim(), ""];
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0];
}

/** A table cell: pipes escaped, one line, `<` outside code spans kept from being read as HTML. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ").split("`")
    .map((part, i) => i % 2 === 0 ? part.replaceAll("<", "&lt;") : part).join("`");
}
