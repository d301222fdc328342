/** The fish completion script from the tree: one `complete` line per command and flag. Pure. */
import * as tree from "./completion_spec.ts";
import helpersFish from "./completion/helpers.fish" with { type: "text" };

/** fish: one `complete` line per command and flag, conditions on the subcommand path. */
export function fishScript(root: tree.CommandSpec): string {
  const all = tree.walk(root);
  const lines = [
    "# crabbox fish completion, generated from the command tree by `crabbox completions fish`.",
    "# Load it with: crabbox completions fish | source   (or save it in ~/.config/fish/completions/crabbox.fish)",
    "",
    ...tree.withoutHeader(helpersFish).trimEnd().split("\n"),
    "",
    "function __crabbox_canonical",
    '    switch "$argv[1]|$argv[2]"',
    ...all.flatMap((spec) =>
      spec.subcommands.flatMap((s) => [
        `        case ${tree.sq(`${tree.key(spec)}|${s.name}`)}${
          s.aliases.map((a) => ` ${tree.sq(`${tree.key(spec)}|${a}`)}`).join("")
        }`,
        `            echo ${tree.sq(s.name)}`,
      ])
    ),
    "    end",
    "end",
    "",
    "function __crabbox_valued",
    '    switch "$argv[1]"',
    ...all.flatMap((spec) => {
      const globals = tree.globalFlags(root).filter((f) => f.takesValue);
      const flags = spec === root
        ? root.flags.filter((f) => f.takesValue)
        : [...spec.flags.filter((f) => f.takesValue), ...globals];
      return [
        `        case ${tree.sq(tree.key(spec))}`,
        `            printf '%s\\n' ${tree.longNames(flags).map(tree.sq).join(" ") || "''"}`,
      ];
    }),
    "    end",
    "end",
    "",
    "complete -c crabbox -f",
  ];
  for (const spec of all) {
    const at = `-n "__crabbox_at ${tree.sq(tree.key(spec))}"`;
    for (const sub of spec.subcommands) {
      for (const word of [sub.name, ...sub.aliases]) {
        lines.push(
          `complete -c crabbox ${at} -a ${tree.sq(word)} -d ${tree.sq(tree.firstLine(sub.description))}`,
        );
      }
    }
    if (spec.args.kind !== "none") lines.push(`complete -c crabbox ${at} -a ${fishValues(spec.args, root)}`);
    const globals = spec === root ? [] : tree.globalFlags(root);
    for (const flag of [...spec.flags, ...globals]) {
      const names = flag.names.map((n) => (n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`))
        .join(" ");
      // -x: a value follows and it is never a file name (durations, names, the listed candidates).
      const value = !flag.takesValue
        ? ""
        : flag.values.kind === "none"
        ? " -x"
        : ` -x -a ${fishValues(flag.values, root)}`;
      lines.push(
        `complete -c crabbox ${at} ${names}${value} -d ${tree.sq(tree.firstLine(flag.description))}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

function fishValues(source: tree.ValueSource, root: tree.CommandSpec): string {
  switch (source.kind) {
    case "words":
      return tree.sq(source.words.join(" "));
    case "slugs":
      return "'(__crabbox_slugs)'";
    case "jobs":
      return "'(__crabbox_jobs)'";
    case "commands":
      return tree.sq([...root.subcommands.map((s) => s.name), "exit-codes"].join(" "));
    case "none":
      return "''";
  }
}
