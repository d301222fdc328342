/**
 * Static bash and zsh completion scripts generated from the commander tree, so a new command or flag can
 * never be missing from them. Completes commands (and aliases), subcommands, flags, choices (--stop,
 * completions' shell), classes, lease slugs from the local lease records (no API call) and job names
 * (`crabbox job list --json`, offline). The tree-independent shell is real files in cli/completion/
 * (shellcheck-clean, text imports that `deno compile` embeds); this generates the lookups. Pure.
 */
import {
  type CommandSpec,
  globalFlags,
  key,
  longNames,
  sq,
  type ValueSource,
  walk,
  withoutHeader,
} from "./completion_spec.ts";
import { fishScript } from "./completion_fish.ts";
import helpersSh from "./completion/helpers.sh" with { type: "text" };
import bashSh from "./completion/bash.sh" with { type: "text" };
import zshSh from "./completion/zsh.zsh" with { type: "text" };

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = typeof SHELLS[number];

const HELPERS = withoutHeader(helpersSh);

export function completionScript(shell: Shell, root: CommandSpec): string {
  if (shell === "fish") return fishScript(root);
  return `${helpers(root, shell)}\n${withoutHeader(shell === "bash" ? bashSh : zshSh)}`;
}

/** Shared by bash and zsh (plain `case`/`printf`, valid in both): the tree as lookup functions. */
function helpers(root: CommandSpec, shell: Shell): string {
  const all = walk(root);
  const globals = globalFlags(root);
  const flagsOf = (spec: CommandSpec) => spec === root ? root.flags : [...spec.flags, ...globals];
  const cases = (body: (spec: CommandSpec) => string) =>
    all.map((spec) => `    ${sq(key(spec))}) ${body(spec)} ;;`).join("\n");
  const valueCases = all.flatMap((spec) =>
    flagsOf(spec).filter((f) => f.takesValue && f.values.kind !== "none").flatMap((f) =>
      f.names.map((n) => `    ${sq(`${key(spec)}|${n}`)}) ${valueWords(f.values)} ;;`)
    )
  );
  return `# crabbox ${shell} completion, generated from the command tree by \`crabbox completions ${shell}\`.
# Load it with: source <(crabbox completions ${shell})${
    shell === "zsh" ? "   (or save it as _crabbox in your $fpath)" : ""
  }

# Subcommands (with aliases) of a command path.
_crabbox_subcommands() {
  case "$1" in
${
    cases((spec) =>
      `printf '%s\\n' ${spec.subcommands.flatMap((s) => [s.name, ...s.aliases]).map(sq).join(" ") || "''"}`
    )
  }
  esac
}

# The canonical name of a subcommand or alias: "<path>|<word>".
_crabbox_canonical() {
  case "$1" in
${
    all.flatMap((spec) =>
      spec.subcommands.flatMap((s) =>
        s.aliases.map((a) => `    ${sq(`${key(spec)}|${a}`)}) printf '%s' ${sq(s.name)} ;;`)
      )
    ).join("\n")
  }
    *) printf '%s' "\${1##*|}" ;;
  esac
}

# Every flag of a command path (its own and the global ones).
_crabbox_flags() {
  case "$1" in
${cases((spec) => `printf '%s\\n' ${longNames(flagsOf(spec)).map(sq).join(" ")}`)}
  esac
}

# The flags of a command path that take a value (so the next word is that value).
_crabbox_valued() {
  case "$1" in
${
    cases((spec) =>
      `printf '%s\\n' ${longNames(flagsOf(spec).filter((f) => f.takesValue)).map(sq).join(" ") || "''"}`
    )
  }
  esac
}

# Candidate values for "<path>|<flag>".
_crabbox_values() {
  case "$1" in
${valueCases.join("\n")}
  esac
}

# Candidates for a positional argument of a command path.
_crabbox_args() {
  case "$1" in
${
    all.filter((s) => s.args.kind !== "none").map((spec) =>
      `    ${sq(key(spec))}) ${valueWords(spec.args, root)} ;;`
    ).join("\n")
  }
  esac
}

${HELPERS}`;
}

function valueWords(source: ValueSource, root?: CommandSpec): string {
  switch (source.kind) {
    case "words":
      return `printf '%s\\n' ${source.words.map(sq).join(" ")}`;
    case "slugs":
      return "_crabbox_slugs";
    case "jobs":
      return "_crabbox_jobs";
    case "commands":
      return `printf '%s\\n' ${(root?.subcommands ?? []).map((s) => sq(s.name)).join(" ")} exit-codes`;
    case "none":
      return ":";
  }
}
