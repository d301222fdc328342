/**
 * Every generated file under docs/, rendered in memory: docs/generate.ts writes them (deno task gen:docs)
 * and tests/unit/docs_drift_test.ts compares them with the committed files.
 */
import type { Command } from "@commander-js/extra-typings";
import type { Deps } from "../core/deps.ts";
import { Redactor } from "../core/redact.ts";
import { CommandContext } from "../cli/context.ts";
import { buildProgram } from "../cli/program.ts";
import { renderCommandPages } from "./command_pages.ts";
import { renderRootHelpModule } from "../cli/root_help_render.ts";
import { renderExitCodesPage } from "../cli/exit_codes.ts";
import { renderJsonSchema, renderReference } from "../config/reference.ts";

/** Where the per-command pages live, relative to docs/. */
export const COMMANDS_DIR = "commands";
/** The root help for main.ts's fast path, relative to docs/. */
export const ROOT_HELP_MODULE = "../cli/root_help.ts";

/**
 * Deps for building the tree only: a blank environment and a fixed runtime, and every other port throws,
 * so generating docs needs no token, no network and no files, and cannot depend on this machine.
 */
export function inertDeps(): Deps {
  const refuse = (what: string) => {
    throw new Error(`docs generation must not use ${what}`);
  };
  const port = (name: string, allowed: Record<string, unknown> = {}): unknown =>
    new Proxy(() => refuse(name), {
      get: (_target, key) =>
        typeof key === "symbol" ? undefined : key in allowed ? allowed[key] : () => refuse(`${name}.${key}`),
      apply: () => refuse(name),
    });
  const allowed: Record<string, unknown> = {
    env: { get: () => undefined, all: () => ({}) },
    system: port("system", { runtime: () => ({ deno: "docs", target: "docs" }) }),
  };
  return new Proxy({} as Deps, {
    get: (_target, key) => typeof key === "symbol" ? undefined : allowed[key] ?? port(key),
  });
}

/** The commander tree as the CLI builds it, with inert Deps. */
export function docsProgram(): Command {
  return buildProgram(new CommandContext(inertDeps(), new Redactor()));
}

/** Path relative to docs/ → contents (cli/root_help.ts is generated with them: `../cli/root_help.ts`). */
export function generatedDocs(): Map<string, string> {
  const docs = new Map<string, string>([
    ["configuration.md", renderReference()],
    ["crabbox.schema.json", JSON.stringify(renderJsonSchema(), null, 2) + "\n"],
    ["exit-codes.md", renderExitCodesPage()],
    [ROOT_HELP_MODULE, renderRootHelpModule(docsProgram())],
  ]);
  for (const page of renderCommandPages(docsProgram())) docs.set(`${COMMANDS_DIR}/${page.file}`, page.text);
  return docs;
}
