/** `crabbox version [--json]`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { COMMIT, VERSION } from "./version.ts";

export function versionCommand(ctx: CommandContext) {
  return new Command("version")
    .description("print the version")
    .action(() => {
      if (ctx.globals.json) {
        const runtime = ctx.deps.system.runtime();
        ctx.out.json({ version: VERSION, commit: COMMIT, deno: runtime.deno, target: runtime.target });
      } else {
        ctx.out.result(VERSION);
      }
    });
}
