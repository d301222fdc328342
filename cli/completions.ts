/** `crabbox completions <bash|zsh|fish>`: a static script on stdout, generated from the command tree. */
import { Argument, Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { completionScript, type Shell, SHELLS } from "./completion_scripts.ts";
import { describeCommand } from "./completion_spec.ts";

export function completionsCommand(ctx: CommandContext) {
  return new Command("completions")
    .description("print a shell completion script (bash, zsh or fish); offline")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS))
    .addHelpText(
      "after",
      `
Load it for this shell:      source <(crabbox completions bash)      (zsh: same, after compinit)
                             crabbox completions fish | source
Install it for good:         crabbox completions bash > ~/.local/share/bash-completion/completions/crabbox
                             crabbox completions zsh > "\${fpath[1]}/_crabbox"
                             crabbox completions fish > ~/.config/fish/completions/crabbox.fish
Completes commands, flags, classes, job names (from .crabbox.yaml) and lease slugs (from this
machine's lease records; no API call).`,
    )
    .action((shell, _flags, command) => {
      let root = command as unknown as Command;
      while (root.parent) root = root.parent as Command;
      ctx.deps.io.writeStdout(completionScript(shell as Shell, describeCommand(root)));
    });
}
