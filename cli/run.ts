/** `crabbox run [flags] -- <command…>`: parse, validate (before any API call), run, pass the exit code through. */
import { Command, Option } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { addLeaseCreateOptions, givenLeaseCreateFlags, type LeaseCreateFlags } from "./lease_options.ts";
import { usageError } from "../core/errors.ts";
import { parseDuration } from "../core/duration.ts";
import { sanitizeLabelValue } from "../labels/sanitize.ts";
import { runCommandOnBox, type StopPolicy } from "../lease/run.ts";
import { leaseIdsFor, loadRunSettings, prepareSync, startSweep } from "./settings.ts";

const STOP_POLICIES = ["auto", "always", "success", "failure", "never"] as const;

/** One argument with whitespace or shell operators runs under bash -lc (SPEC §2.5). */
export function needsShell(argv: string[]): boolean {
  return argv.length === 1 && /\s|&&|\|\||;|\||>|</.test(argv[0]);
}

function poolName(settings: { config: { values: Record<string, unknown> } }): string {
  return sanitizeLabelValue(settings.config.values["pool.name"] as string);
}

function lockTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value);
  } catch (error) {
    throw usageError(`--lock-timeout ${value}: ${(error as Error).message}`, "pass a duration like 10m");
  }
}

export function runCommand(ctx: CommandContext) {
  const command = addLeaseCreateOptions(
    new Command("run")
      .description(
        "lease a box (or reuse --id), sync the working tree, run the command, stream its output, release",
      )
      .argument("[command...]", "the command to run on the box (after --)")
      .option("--id <id>", "use an existing lease (cbx_… id, slug, server id or name)")
      .option("--pool [name]", "claim an idle box of a warm pool (default pool: default)")
      .addOption(new Option("--stop <policy>", "when to delete the box afterwards").choices(STOP_POLICIES))
      .addOption(new Option("--stop-after <policy>").choices(STOP_POLICIES).hideHelp())
      .option("--keep-on-failure", "keep a fresh box when the command fails (same as --stop success)")
      .option("--no-sync", "do not sync the working tree")
      .option("--checksum", "compare file contents, not sizes and times, when syncing")
      .option("--shell", "run the command under bash -lc")
      .option("--lock-timeout <duration>", "how long to wait for a busy box (default 10m)"),
  );
  command.addHelpText(
    "after",
    `
Examples:
  crabbox run -- pnpm test
  crabbox run --class small -- make check
  crabbox run --id violet-prawn -- git status
  crabbox run --shell -- 'npm ci && npm test'

Exit status: the remote command's own code; crabbox's own failures use 2–8 (crabbox help exit-codes).`,
  );
  command.action(async (argv, parsed) => {
    const flags = parsed as typeof parsed & LeaseCreateFlags;
    if (argv.length === 0) {
      throw usageError("no command given", "put the command after --, e.g. crabbox run -- pnpm test");
    }
    const createFlags = givenLeaseCreateFlags(flags);
    if (flags.id && flags.pool) {
      throw usageError("--pool cannot be used with --id", "pick one: a pool or a lease");
    }
    if (flags.id && createFlags.length > 0) {
      throw usageError(
        `${createFlags.join(", ")} cannot be used with --id`,
        "lease-create flags shape a new box; drop them or drop --id",
      );
    }
    let stop: StopPolicy = (flags.stop ?? flags.stopAfter ?? "auto") as StopPolicy;
    if (flags.keep) stop = "never";
    if (flags.keepOnFailure) stop = "success";
    const shell = !!flags.shell || needsShell(argv);
    const lockTimeoutFlag = lockTimeout(flags.lockTimeout);

    const settings = await loadRunSettings(ctx, flags);
    const sync = flags.sync === false ? null : await prepareSync(ctx, settings, !!flags.checksum);
    if (shell) ctx.out.notice("note: running via bash -lc");
    await startSweep(ctx, settings, flags.id ? await leaseIdsFor(ctx, flags.id) : []);

    ctx.exitCode = await runCommandOnBox({
      deps: ctx.deps,
      api: ctx.hetzner(settings.endpoint),
      out: ctx.out,
      signal: ctx.interrupt.signal,
      repoRoot: settings.gitRoot,
      setSecondInterruptNote: (note) => (ctx.onSecondInterrupt = note),
    }, {
      argv,
      shell,
      id: flags.id,
      pool: flags.pool === undefined
        ? undefined
        : flags.pool === true
        ? poolName(settings)
        : sanitizeLabelValue(flags.pool),
      stop,
      shape: settings.shape,
      sync,
      repo: settings.repo,
      graceSecs: settings.config.values["sweep.grace"] as number,
      lockTimeoutSecs: lockTimeoutFlag ?? (settings.config.values["run.lockTimeout"] as number),
      owner: settings.owner,
    });
  });
  return command;
}
