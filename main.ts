/**
 * crabbox entry point: builds the real Deps, runs the commander program, formats every error once
 * (redacted), and sets the exit code. Tests call main() in-process with fake Deps.
 */
import type { Command, CommanderError } from "@commander-js/extra-typings";
import type { Deps } from "./core/deps.ts";
import {
  type CrabboxError,
  finalFailure,
  interruptedError,
  interruptExitCode,
  usageError,
} from "./core/errors.ts";
import type { InterruptCause } from "./core/deps.ts";
import { Redactor } from "./core/redact.ts";
// A type here: the context (with its output and price modules) loads with the command tree, in main().
import type { CommandContext } from "./cli/context.ts";
import { versionLine } from "./cli/version.ts";
import { asksForFlag, asksForJson, type CommandShape } from "./cli/json_flag.ts";
import { HELP_WIDTH } from "./cli/root_help_render.ts";
import { prefetchRepository, syncsRepository } from "./sync/prefetch.ts";

/** `crabbox --version` alone: the entry point answers it before the adapters and command tree load. */
const isVersionOnly = (argv: string[]) => argv.length === 1 && argv[0] === "--version";
/** `crabbox --help` or `-h` alone: answered from the generated cli/root_help.ts the same way. */
const isRootHelpOnly = (argv: string[]) => argv.length === 1 && ["--help", "-h"].includes(argv[0]);

export async function main(argv: string[], deps: Deps, redactor = new Redactor()): Promise<number> {
  redactor.add(deps.env.get("HCLOUD_TOKEN"));
  redactor.add(deps.env.get("HETZNER_TOKEN"));
  const [{ CommandContext }, { buildProgram }, { CommanderError }] = await Promise.all([
    import("./cli/context.ts"),
    import("./cli/program.ts"),
    import("@commander-js/extra-typings"),
  ]);
  const ctx = new CommandContext(deps, redactor);
  const program = buildProgram(ctx);
  const usage: CommanderUsage = { last: null };
  configureCommander(program, ctx, usage);
  // Until commander has parsed the globals (the preAction hook replaces this), argv says whether
  // errors are the --json document: a bad flag can stop commander first.
  // --no-color holds for them too.
  const shape = program as unknown as CommandShape;
  ctx.setGlobals({
    json: asksForJson(shape, argv),
    color: asksForFlag(shape, argv, "--no-color") ? false : undefined,
  });

  if (argv.length === 0) {
    deps.io.writeStderr(program.helpInformation());
    return 2;
  }

  const unsubscribe = installSignalHandlers(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    ctx.endProgress();
    if (error instanceof CommanderError) return await commanderExit(error as CommanderError, ctx, usage);
    const failure = finalFailure(error, ctx.interrupt.signal);
    renderError(failure, ctx);
    return failure.exitCode;
  } finally {
    ctx.endProgress();
    await ctx.finishBackground();
    unsubscribe();
  }
}

function renderError(error: CrabboxError, ctx: CommandContext): void {
  if (error.problems.length > 1) {
    for (const problem of error.problems) ctx.out.error(problem.message, problem.hint);
    ctx.out.hint(`${error.hint}`);
  } else ctx.out.error(error.message, error.hint);
  if (ctx.globals.json) {
    ctx.out.json({
      error: { kind: error.kind, message: error.message, hint: error.hint ?? null, exitCode: error.exitCode },
    });
  }
  if (ctx.out.options.debug && error.kind === "internal" && error.stack) ctx.out.debug(error.stack);
}

/** Commander's last usage error, as "crabbox: error: …" plus a hint; commander throws right after. */
interface CommanderUsage {
  last: { message: string; hint: string; command: Command } | null;
}

/** Commander's usage errors are rendered like every other error: stderr lines, and the --json document. */
async function commanderExit(
  error: CommanderError,
  ctx: CommandContext,
  usage: CommanderUsage,
): Promise<number> {
  if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
  if (error.code === "commander.help") return 0;
  const { message, hint, command } = usage.last ??
    { message: error.message.replace(/^error: /, ""), hint: undefined, command: null };
  const better = error.code === "commander.missingArgument" && command
    ? await import("./cli/usage_hints.ts").then(({ missingArgumentHint }) =>
      missingArgumentHint(command, ctx)
    )
    : null;
  renderError(usageError(message, better ?? hint), ctx);
  return 2;
}

/** Help and version go to stdout; commander's own errors are kept for commanderExit to render. */
function configureCommander(command: Command, ctx: CommandContext, usage: CommanderUsage): void {
  command.exitOverride();
  command.configureOutput({
    writeOut: (text) => ctx.deps.io.writeStdout(text),
    writeErr: (text) => ctx.deps.io.writeStderr(text),
    // One width on a terminal and a pipe: the help is the same text everywhere (and cli/root_help.ts).
    getOutHelpWidth: () => HELP_WIDTH,
    getErrHelpWidth: () => HELP_WIDTH,
    outputError: (text) => {
      const lines = text.trim().split("\n").map((line) => line.replace(/^error: /, ""));
      usage.last = {
        message: lines[0],
        hint: lines.slice(1).join(" ") || `run 'crabbox ${helpPath(command)}--help' for usage`,
        command,
      };
    },
  });
  for (const sub of command.commands) configureCommander(sub as unknown as Command, ctx, usage);
}

function helpPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent as Command | null) names.unshift(c.name());
  return names.length ? names.join(" ") + " " : "";
}

/**
 * The first SIGINT/SIGTERM/SIGHUP, or a closed stdout/stderr (SIGPIPE's stand-in), aborts the command's
 * work, which then cleans up by its stop policy. A second signal exits at once with that signal's code,
 * after the use case has printed what may remain. Later EPIPEs never force an exit: they are not a user.
 */
function installSignalHandlers(ctx: CommandContext): () => void {
  const interrupt = (cause: InterruptCause) => {
    if (ctx.interrupt.signal.aborted) return false;
    const error = interruptedError(cause);
    ctx.interrupt.abort(error);
    // A reader that went away is silent, as SIGPIPE is (`crabbox --help | head` must not chatter);
    // a signal from a person says what happens next.
    if (cause !== "SIGPIPE") ctx.out.notice(`${error.message}; cleaning up (a second signal exits at once)`);
    return true;
  };
  const onSignal = (signal: "SIGINT" | "SIGTERM" | "SIGHUP") => () => {
    if (interrupt(signal)) return;
    ctx.endProgress();
    ctx.onSecondInterrupt?.();
    ctx.deps.signals.exitNow(interruptExitCode(signal));
  };
  const offs = [
    ctx.deps.signals.on("SIGINT", onSignal("SIGINT")),
    ctx.deps.signals.on("SIGTERM", onSignal("SIGTERM")),
    ctx.deps.signals.on("SIGHUP", onSignal("SIGHUP")),
    ctx.deps.io.onClosed(() => interrupt("SIGPIPE")),
  ];
  return () => offs.forEach((off) => off());
}

/** Is there a `.git` (directory or file) in dir? A synchronous look, for the startup prefetch only. */
function hasGitEntry(dir: string): boolean {
  try {
    Deno.lstatSync(`${dir === "/" ? "" : dir}/.git`);
    return true;
  } catch {
    return false;
  }
}

/** A reader that went away (`crabbox --help | head`) is silent, as on the full path. */
function writeAllOrGiveUp(bytes: Uint8Array): void {
  try {
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
  } catch {
    // EPIPE: nothing more to say.
  }
}

if (import.meta.main) {
  // The composition root: the version needs no adapters (their node: modules cost most of its time).
  if (isVersionOnly(Deno.args)) {
    const runtime = { deno: Deno.version.deno, target: Deno.build.target };
    Deno.stdout.writeSync(new TextEncoder().encode(`${versionLine(runtime)}\n`));
    Deno.exit(0);
  }
  if (isRootHelpOnly(Deno.args)) {
    const { ROOT_HELP } = await import("./cli/root_help.ts");
    writeAllOrGiveUp(new TextEncoder().encode(ROOT_HELP));
    Deno.exit(0);
  }
  const redactor = new Redactor();
  const [{ buildRealDeps }, { withPrefetch }] = await Promise.all([
    import("./core/real_deps.ts"),
    import("./core/prefetch.ts"),
  ]);
  const real = buildRealDeps(redactor);
  const proc = withPrefetch(real.proc);
  // A second signal exits at once: the early answers still running are stopped, not waited for.
  const exitNow = (code: number): never => {
    proc.abandon();
    return real.signals.exitNow(code);
  };
  const deps = { ...real, proc, signals: { ...real.signals, exitNow } };
  // A run's first git questions are asked now, while the command tree loads (sync/prefetch.ts).
  if (syncsRepository(Deno.args)) {
    prefetchRepository(deps.proc, deps.fs.cwd(), { hasGitEntry, env: (name) => deps.env.get(name) });
  }
  const code = await main(Deno.args, deps, redactor);
  await deps.proc.finish();
  Deno.exit(code);
}
