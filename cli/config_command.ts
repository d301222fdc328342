/** `crabbox config show [--json]` and `crabbox config path [--repo]`: the effective configuration, offline. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { notFoundError } from "../core/errors.ts";
import { KEYS } from "../config/schema.ts";
import { displayValue as display } from "../config/show.ts";
import { userConfigPath } from "../config/load.ts";
import { loadBaseSettings } from "./settings.ts";

export function configCommand(ctx: CommandContext) {
  const config = new Command("config").description(
    "show the effective configuration and where each value comes from",
  );
  config.addCommand(
    new Command("show").description("one key=value line per setting with its source (offline)").action(
      async () => {
        const settings = await loadBaseSettings(ctx);
        const { values, sources, files } = settings.config;
        const tokenVar = ctx.deps.env.get("HCLOUD_TOKEN")
          ? "HCLOUD_TOKEN"
          : ctx.deps.env.get("HETZNER_TOKEN")
          ? "HETZNER_TOKEN"
          : null;
        const token = tokenVar ? ctx.deps.env.get(tokenVar)! : null;
        if (ctx.globals.json) {
          return ctx.out.json({
            files,
            values: Object.fromEntries(
              Object.keys(KEYS).map((k) => [k, { value: display(k, values[k]), source: sources[k] }]),
            ),
            token: { state: token ? "set" : "missing", source: tokenVar },
          });
        }
        for (const key of Object.keys(KEYS)) {
          ctx.out.result(`${key}=${display(key, values[key])}  (${sources[key]})`);
        }
        ctx.out.result(`token=${token ? `set (${token.length} chars, from ${tokenVar})` : "missing"}`);
      },
    ),
  );
  config.addCommand(
    new Command("path")
      .description("the user config path (or, with --repo, the repo config in use)")
      .option("--repo", "print the repo config file in use")
      .action(async (flags) => {
        if (!flags.repo) return ctx.out.result(userConfigPath(ctx.deps));
        const settings = await loadBaseSettings(ctx);
        if (!settings.config.repoFile) {
          throw notFoundError("no .crabbox.yaml at the git root", "create one with your settings");
        }
        ctx.out.result(settings.config.repoFile);
      }),
  );
  return config;
}
