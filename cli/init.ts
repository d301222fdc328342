/** `crabbox init`: writes a commented .crabbox.yaml for this repository (offline; asks on a terminal). */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { initRepoConfig } from "../config/init.ts";
import { INIT_JOB } from "../config/init_render.ts";

export function initCommand(ctx: CommandContext) {
  return new Command("init")
    .description("write a commented .crabbox.yaml for this repository, with a test job (offline)")
    .option("--class <class>", "the machine class to write (default: standard)")
    .option("--test-command <command>", `the ${INIT_JOB} job's command (default: the detected one)`)
    .option("-y, --yes", "take the proposal without asking (also when stdin is not a terminal)")
    .option("--force", "replace an existing .crabbox.yaml (or crabbox.yaml)")
    .option("--print", "print the file on stdout instead of writing it")
    .addHelpText(
      "after",
      `
Detects pnpm, yarn and npm (lockfile, package.json test script), cargo (Cargo.toml), go (go.mod),
pytest (pytest.ini, pyproject.toml, setup.cfg, tox.ini, tests/test_*.py) and make (a test or
check target), and proposes the ${INIT_JOB} job, sync excludes and the env allowlist for them. On a
terminal it asks for the class, the command and the excludes; --yes or a non-terminal stdin takes
the proposal. The file uses only keys the Go crabbox CLI reads the same way.
Then: crabbox job run ${INIT_JOB} --dry-run (offline), crabbox job run ${INIT_JOB}.`,
    )
    .action(async (flags) => {
      const result = await initRepoConfig(ctx.deps, {
        class: flags.class,
        testCommand: flags.testCommand,
        yes: !!flags.yes,
        force: !!flags.force,
        print: !!flags.print,
        signal: ctx.interrupt.signal,
      });
      const { choice } = result;
      for (const path of result.unread) {
        ctx.out.warn(`${path} is read by no crabbox (only .crabbox.yaml or crabbox.yaml); merge it by hand`);
      }
      if (ctx.globals.json) {
        return ctx.out.json({
          path: result.path,
          written: result.written,
          replaced: result.replaced,
          detected: choice.kinds,
          class: choice.class,
          job: choice.testCommand === null ? null : { name: INIT_JOB, command: choice.testCommand },
          syncExclude: choice.excludes,
          envAllow: choice.envAllow,
          content: result.content,
        });
      }
      if (!result.written) return ctx.deps.io.writeStdout(result.content);
      const detected = choice.kinds.length > 0 ? choice.kinds.join(", ") : "nothing";
      ctx.out.result(`${result.replaced ? "replaced" : "wrote"} ${result.path} (detected: ${detected})`);
      if (choice.testCommand === null) {
        ctx.out.result(`no ${INIT_JOB} job: no test command found; add one under jobs: (the file shows how)`);
        return;
      }
      ctx.out.result(`job ${INIT_JOB}: ${choice.testCommand}`);
      ctx.out.progress(
        `next: crabbox job run ${INIT_JOB} --dry-run (offline), then crabbox job run ${INIT_JOB}`,
      );
    });
}
