/** `crabbox run`'s flag values checked before any API call: each bad one exits 2 naming the flag. */
import { dirname, isAbsolute } from "node:path";
import type { CommandContext } from "./context.ts";
import { givenLeaseCreateFlags } from "./lease_options.ts";
import type { RunFlags } from "./run_options.ts";
import { usageError } from "../core/errors.ts";
import { allowEntryProblem } from "../config/env_allow.ts";
import { relativeInside } from "../config/schema.ts";
import { collectPathProblem, downloadProblem, localTarget } from "../jobs/collect.ts";
import { checkLeaseRef } from "../lease/resolve.ts";

/** One argument with whitespace or shell operators runs under bash -lc (SPEC §2.5). */
export function needsShell(argv: string[]): boolean {
  return argv.length === 1 && /\s|&&|\|\||;|\||>|</.test(argv[0]);
}

/** `run -- ""` (or only blanks as the program) would lease a box to run nothing. */
export function isBlankCommand(argv: string[]): boolean {
  return argv.length > 0 && argv[0].trim() === "";
}

/** Everything that can be checked from argv and flags alone. */
export function checkRunFlags(argv: string[], flags: RunFlags): void {
  if (flags.syncOnly) {
    if (argv.length > 0) {
      throw usageError("--sync-only runs no command", "drop the command, or drop --sync-only");
    }
    const given = [
      ["--junit", flags.junit],
      ["--artifact", flags.artifact],
      ["--require-artifact", flags.requireArtifact],
      ["--download", flags.download],
    ].filter(([, v]) => v !== undefined).map(([f]) => f);
    if (given.length > 0) {
      throw usageError(
        `--sync-only cannot be used with ${given.join(", ")}`,
        "a sync-only run has no command whose results could be collected",
      );
    }
    if (flags.sync === false) throw usageError("--sync-only cannot be used with --no-sync");
  } else if (argv.length === 0) {
    throw usageError("no command given", "put the command after --, e.g. crabbox run -- pnpm test");
  }
  if (isBlankCommand(argv)) {
    throw usageError("the command is empty", "put the command after --, e.g. crabbox run -- pnpm test");
  }
  if (flags.id) checkLeaseRef(flags.id);
  const createFlags = givenLeaseCreateFlags(flags);
  if (flags.id && flags.pool) {
    throw usageError("--pool cannot be used with --id", "pick one: a pool or a lease");
  }
  if (flags.pool !== undefined && flags.pond !== undefined) {
    throw usageError(
      "--pond cannot be used with --pool",
      "a pool box is claimed as it is; warm pond members with warmup --pond",
    );
  }
  if (flags.id && createFlags.length > 0) {
    throw usageError(
      `${createFlags.join(", ")} cannot be used with --id`,
      "lease-create flags shape a new box; drop them or drop --id",
    );
  }
}

/** --allow-env, --workdir and the result flags. */
export function checkRunFlagValues(flags: RunFlags): void {
  for (const entry of flags.allowEnv ?? []) {
    const problem = allowEntryProblem(entry);
    if (problem) {
      throw usageError(`--allow-env: ${problem}`, "pass names like NPM_CONFIG_REGISTRY or PROJECT_*");
    }
  }
  const workdirProblem = flags.workdir === undefined ? null : relativeInside(flags.workdir);
  if (workdirProblem) throw usageError(`--workdir ${workdirProblem}`, "pass a directory like packages/api");
  checkResultFlags(flags);
}

/** --junit/--artifact/--require-artifact/--download: each bad value exits 2 naming the flag. */
function checkResultFlags(flags: RunFlags): void {
  const globs: [string, string[] | undefined][] = [
    ["--junit", flags.junit],
    ["--artifact", flags.artifact],
    ["--require-artifact", flags.requireArtifact],
  ];
  for (const [flag, values] of globs) {
    for (const value of values ?? []) {
      const problem = collectPathProblem(value);
      if (problem) throw usageError(`${flag} ${value}: ${problem}`, `pass a glob like out/**/*.xml`);
    }
  }
  for (const pair of flags.download ?? []) {
    const problem = downloadProblem(pair, { absoluteLocal: true });
    if (problem) {
      throw usageError(
        `--download ${pair}: ${problem}`,
        "pass remote=local, e.g. out/report.html=report.html",
      );
    }
  }
  if (flags.resultJson === "") {
    throw usageError("--result-json needs a file name", "e.g. --result-json result.json");
  }
}

/**
 * The local targets, checked before leasing: the --result-json file (its directory exists, or is created
 * inside the repo) and each --download destination. Returns the result file's path.
 */
export async function checkLocalTargets(
  ctx: CommandContext,
  repoRoot: string,
  flags: RunFlags,
): Promise<string | null> {
  const resultFile = flags.resultJson === undefined
    ? null
    : await resultJsonPath(ctx, repoRoot, flags.resultJson);
  for (const pair of flags.download ?? []) await localTarget(ctx.deps, repoRoot, pair.split("=")[1]);
  if (flags.fullResync && flags.sync === false) {
    throw usageError("--full-resync cannot be used with --no-sync");
  }
  return resultFile;
}

async function resultJsonPath(ctx: CommandContext, repoRoot: string, value: string): Promise<string> {
  const path = await localTarget(ctx.deps, repoRoot, value);
  const info = await ctx.deps.fs.lstat(path);
  if (info?.isDirectory) {
    throw usageError(`--result-json ${value} is a directory`, "name a file, e.g. --result-json result.json");
  }
  if (isAbsolute(value)) {
    const parent = await ctx.deps.fs.lstat(dirname(path));
    if (!parent?.isDirectory) {
      throw usageError(
        `--result-json ${value}: ${dirname(path)} is not a directory`,
        "create the directory first, or give a path relative to the repo",
      );
    }
  }
  return path;
}
