/**
 * Static bash, zsh and fish completion scripts generated from the commander tree, so a new command
 * or flag can never be missing from them. Completes commands (and aliases), subcommands, flags,
 * choices (--stop, completions' shell), classes, lease slugs from the local lease records (no API
 * call) and job names (`crabbox job list --json`, offline). Pure: the tree in, the script out.
 */
import type { Command } from "@commander-js/extra-typings";
import { CLASS_NAMES } from "../lease/classes.ts";

/** What a value is completed from. */
type ValueSource = { kind: "words"; words: string[] } | { kind: "slugs" } | { kind: "jobs" } | {
  kind: "commands";
} | { kind: "none" };

interface FlagSpec {
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

export function completionScript(shell: Shell, root: CommandSpec): string {
  if (shell === "fish") return fishScript(root);
  return `${helpers(root, shell)}\n${shell === "bash" ? bashDriver() : zshDriver()}`;
}

function walk(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(walk)];
}

const sq = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
const key = (spec: CommandSpec) => spec.path.join(" ");
const longNames = (flags: FlagSpec[]) => flags.flatMap((f) => f.names);

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

# Lease slugs from this machine's lease records (no API call).
_crabbox_slugs() {
  local f
  [ -n "\${ZSH_VERSION:-}" ] && setopt localoptions nullglob
  for f in "\${XDG_CONFIG_HOME:-$HOME/.config}"/crabbox/leases/cbx_*/lease.json; do
    [ -f "$f" ] && sed -n 's/^ *"slug": *"\\([^"]*\\)".*/\\1/p' "$f"
  done
}

# Job names from the repo config (offline).
_crabbox_jobs() {
  command crabbox job list --json 2>/dev/null | tr '{' '\\n' | sed -n 's/^"name":"\\([^"]*\\)".*/\\1/p'
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

# The command path of the words before the cursor ("" for crabbox itself), or "--" after a "--".
_crabbox_path() {
  local cpath="" skip="" w
  for w in "$@"; do
    if [ -n "$skip" ]; then skip=""; continue; fi
    case "$w" in
      --) printf '%s' "--"; return ;;
      --*=*) continue ;;
      -*) if _crabbox_valued "$cpath" | grep -qxF -- "$w"; then skip=1; fi; continue ;;
    esac
    if _crabbox_subcommands "$cpath" | grep -qxF -- "$w"; then
      w=$(_crabbox_canonical "$cpath|$w")
      cpath="\${cpath:+$cpath }$w"
    fi
  done
  printf '%s' "$cpath"
}

# Candidate words at the cursor, one per line: $1 the path, $2 the previous word, $3 the current one.
_crabbox_candidates() {
  local cpath=$1 prev=$2 cur=$3
  [ "$cpath" = "--" ] && return
  if _crabbox_valued "$cpath" | grep -qxF -- "$prev"; then
    _crabbox_values "$cpath|$prev"
    return
  fi
  case "$cur" in
    -*) _crabbox_flags "$cpath" ;;
    *) _crabbox_subcommands "$cpath"; _crabbox_args "$cpath" ;;
  esac
}
`;
}

/** The root's flags that every subcommand accepts too (not --version; each command has its own --help). */
function globalFlags(root: CommandSpec): FlagSpec[] {
  return root.flags.filter((f) => !f.names.includes("--version") && !f.names.includes("--help"));
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

function bashDriver(): string {
  return `_crabbox() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cpath
  cpath=$(_crabbox_path "\${COMP_WORDS[@]:1:COMP_CWORD-1}")
  local IFS=$'\\n'
  # shellcheck disable=SC2207
  COMPREPLY=($(compgen -W "$(_crabbox_candidates "$cpath" "$prev" "$cur")" -- "$cur"))
}
complete -o default -F _crabbox crabbox
`;
}

function zshDriver(): string {
  return `_crabbox() {
  local cpath prev=\${words[CURRENT-1]} cur=\${words[CURRENT]}
  cpath=$(_crabbox_path "\${(@)words[2,CURRENT-1]}")
  local -a candidates
  candidates=("\${(@f)$(_crabbox_candidates "$cpath" "$prev" "$cur")}")
  candidates=("\${(@)candidates:#}")
  if (( \${#candidates} )); then compadd -- "\${candidates[@]}"; else _files; fi
}
if (( $+functions[compdef] )); then
  compdef _crabbox crabbox
else
  print -u2 "crabbox completions: run 'autoload -U compinit && compinit' first"
fi
`;
}

/** fish: one `complete` line per command and flag, conditions on the subcommand path. */
function fishScript(root: CommandSpec): string {
  const all = walk(root);
  const lines = [
    "# crabbox fish completion, generated from the command tree by `crabbox completions fish`.",
    "# Load it with: crabbox completions fish | source   (or save it in ~/.config/fish/completions/crabbox.fish)",
    "",
    "function __crabbox_slugs",
    "    set -l base $HOME/.config",
    "    set -q XDG_CONFIG_HOME; and set base $XDG_CONFIG_HOME",
    "    for f in $base/crabbox/leases/cbx_*/lease.json",
    `        sed -n 's/^ *"slug": *"\\([^"]*\\)".*/\\1/p' $f`,
    "    end",
    "end",
    "",
    "function __crabbox_jobs",
    `    command crabbox job list --json 2>/dev/null | tr '{' '\\n' | sed -n 's/^"name":"\\([^"]*\\)".*/\\1/p'`,
    "end",
    "",
    "# The subcommand path so far, e.g. 'pool drain' (aliases resolved).",
    "function __crabbox_path",
    "    set -l words (commandline -opc)",
    "    set -e words[1]",
    "    set -l cpath ''",
    "    set -l skip 0",
    "    for w in $words",
    "        if test $skip = 1",
    "            set skip 0",
    "            continue",
    "        end",
    "        if test $w = --",
    "            echo --",
    "            return",
    "        end",
    "        switch $w",
    "            case '--*=*'",
    "                continue",
    "            case '-*'",
    "                if contains -- $w (__crabbox_valued $cpath)",
    "                    set skip 1",
    "                end",
    "                continue",
    "        end",
    '        set -l canonical (__crabbox_canonical "$cpath" $w)',
    '        if test -n "$canonical"',
    '            set cpath (string trim -- "$cpath $canonical")',
    "        end",
    "    end",
    "    echo $cpath",
    "end",
    "",
    "function __crabbox_canonical",
    '    switch "$argv[1]|$argv[2]"',
    ...all.flatMap((spec) =>
      spec.subcommands.flatMap((s) => [
        `        case ${sq(`${key(spec)}|${s.name}`)}${
          s.aliases.map((a) => ` ${sq(`${key(spec)}|${a}`)}`).join("")
        }`,
        `            echo ${sq(s.name)}`,
      ])
    ),
    "    end",
    "end",
    "",
    "function __crabbox_valued",
    '    switch "$argv[1]"',
    ...all.flatMap((spec) => {
      const globals = globalFlags(root).filter((f) => f.takesValue);
      const flags = spec === root
        ? root.flags.filter((f) => f.takesValue)
        : [...spec.flags.filter((f) => f.takesValue), ...globals];
      return [
        `        case ${sq(key(spec))}`,
        `            printf '%s\\n' ${longNames(flags).map(sq).join(" ") || "''"}`,
      ];
    }),
    "    end",
    "end",
    "",
    "function __crabbox_at",
    "    set -l p (__crabbox_path)",
    '    test "$p" = "$argv[1]"',
    "end",
    "",
    "complete -c crabbox -f",
  ];
  for (const spec of all) {
    const at = `-n "__crabbox_at ${sq(key(spec))}"`;
    for (const sub of spec.subcommands) {
      for (const word of [sub.name, ...sub.aliases]) {
        lines.push(`complete -c crabbox ${at} -a ${sq(word)} -d ${sq(firstLine(sub.description))}`);
      }
    }
    if (spec.args.kind !== "none") lines.push(`complete -c crabbox ${at} -a ${fishValues(spec.args, root)}`);
    const globals = spec === root ? [] : globalFlags(root);
    for (const flag of [...spec.flags, ...globals]) {
      const names = flag.names.map((n) => (n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`))
        .join(" ");
      // -x: a value follows and it is never a file name (durations, names, the listed candidates).
      const value = !flag.takesValue
        ? ""
        : flag.values.kind === "none"
        ? " -x"
        : ` -x -a ${fishValues(flag.values, root)}`;
      lines.push(`complete -c crabbox ${at} ${names}${value} -d ${sq(firstLine(flag.description))}`);
    }
  }
  return lines.join("\n") + "\n";
}

function fishValues(source: ValueSource, root: CommandSpec): string {
  switch (source.kind) {
    case "words":
      return sq(source.words.join(" "));
    case "slugs":
      return "'(__crabbox_slugs)'";
    case "jobs":
      return "'(__crabbox_jobs)'";
    case "commands":
      return sq([...root.subcommands.map((s) => s.name), "exit-codes"].join(" "));
    case "none":
      return "''";
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}
