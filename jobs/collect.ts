/**
 * A run with results (SPEC §11.5, §11.6), shared by `job run` and `run --junit/--artifact/
 * --require-artifact/--download/--result-json`: the run path of lease/run.ts, then JUnit, artifacts and
 * downloads pulled back under the results dir, a result file, and exit 7 when a required artifact is missing.
 *
 * Where files land: pulled files under `<resultsDir>/<name>/{junit,artifacts}/` (`name` is the job, or
 * `run` for `crabbox run`); a download's local path and the result file, when relative, under the repo
 * root and never through a symlink; when absolute, where the user said.
 */
import { dirname, isAbsolute, join } from "node:path";
import { createHash } from "node:crypto";
import { CrabboxError } from "../core/errors.ts";
import { formatIso } from "../core/format.ts";
import { addTotals, type JunitTotals, junitTotals } from "./junit.ts";
import { runCommandOnBox, type RunContext, type RunOutcome, type RunRequest } from "../lease/run.ts";
import { leaseFacts, leaveFailureBundle } from "../lease/failure_bundle.ts";
import type { Box } from "../lease/box.ts";
import type { Deps } from "../core/deps.ts";
import { listGlobsScript } from "../ssh/scripts.ts";

const JUNIT_MAX_FILES = 50;
const JUNIT_MAX_BYTES = 16 * 1024 * 1024;
const ARTIFACT_MAX_FILES = 1000;

export interface ResultsRequest {
  /** The result file's `job`: the job name, or null for `crabbox run`. */
  job: string | null;
  /** Pulled files go under `<resultsDir>/<name>/`. */
  name: string;
  /** Absolute. */
  resultsDir: string;
  /** Absolute: relative download targets are written under it. */
  repoRoot: string;
  /** Globs relative to the workdir (checked with collectPathProblem). */
  junit: string[];
  artifacts: string[];
  requiredArtifacts: string[];
  /** `remote=local` pairs (checked with downloadProblem). */
  downloads: string[];
  maxArtifactBytes: number;
  /** Absolute path of the result file, or null for none. */
  resultFile: string | null;
}

interface Collected {
  junit: ({ files: number } & JunitTotals) | null;
  artifacts: { path: string; local: string; bytes: number; sha256: string }[];
  artifactsSkipped: string | null;
  /** Required artifact globs that matched nothing (all of them until the listing succeeded). */
  missing: string[];
}

/** Why a JUnit/artifact glob or a download's remote path cannot be used, or null. */
export function collectPathProblem(path: string): string | null {
  if (path === "") return "is empty";
  if (path.startsWith("/") || path.split("/").includes("..")) {
    return "must be a relative path inside the workdir (no leading / and no ..)";
  }
  return null;
}

/**
 * `remote=local`: remote relative to the workdir, no `*`; local either absolute (the user's own choice)
 * or relative to the repo root without `..`. Null when the pair is usable.
 */
export function downloadProblem(pair: string, options: { absoluteLocal: boolean }): string | null {
  const parts = pair.split("=");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return "must be remote=local (one =)";
  const [remote, local] = parts;
  const remoteProblem = collectPathProblem(remote) ?? (remote.includes("*") ? "must not be a glob" : null);
  if (remoteProblem) return `remote path ${remoteProblem}`;
  if (isAbsolute(local)) return options.absoluteLocal ? null : "local path must be relative to the repo";
  if (local.split("/").includes("..")) {
    return "local path must stay inside the repo (no ..); give an absolute path to write elsewhere";
  }
  return gitDirProblem(local);
}

/** A file written under .git/ (a hook, the config) would run code on this machine: never from a download. */
function gitDirProblem(local: string): string | null {
  return local.split("/").some((part) => part.toLowerCase() === ".git")
    ? "local path must not be inside .git/"
    : null;
}

/**
 * Where a relative local path (a download target, the result file) lands: under the repo root, never
 * through a symlink a cloned repo could plant. Absolute paths are returned as given.
 */
export async function localTarget(deps: Deps, repoRoot: string, path: string): Promise<string> {
  if (isAbsolute(path)) return path;
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  for (let i = 1; i <= parts.length; i++) {
    const info = await deps.fs.lstat(join(repoRoot, ...parts.slice(0, i)));
    if (info?.isSymlink) {
      throw new CrabboxError("usage", `${path} passes through a symlink (${parts.slice(0, i).join("/")})`, {
        hint: "relative paths are written inside the repository only; pick one without symlinks, " +
          "or give an absolute path",
      });
    }
  }
  return join(repoRoot, ...parts);
}

/** runCommandOnBox plus collection and the result file; exit 7 when a required artifact is missing. */
export async function runWithResults(
  ctx: RunContext,
  request: RunRequest,
  results: ResultsRequest,
): Promise<number> {
  const collected: Collected = {
    junit: null,
    artifacts: [],
    artifactsSkipped: null,
    missing: [],
  };
  const collecting = results.junit.length + results.artifacts.length + results.requiredArtifacts.length +
      results.downloads.length > 0;
  const file = results.resultFile;
  let finished: RunOutcome | null = null;
  const exitCode = await runCommandOnBox(ctx, {
    ...request,
    collect: collecting ? (box, workdir) => collect(ctx, box, workdir, results, collected) : undefined,
    onFinish: async (outcome) => {
      finished = outcome;
      if (file) {
        await writeResult(ctx.deps, results, file, resultDocument(results, request, outcome, collected));
      }
    },
    failureBundle: { resultsDir: results.resultsDir, job: results.job },
  });
  if (collected.missing.length > 0 && exitCode === 0) {
    const missing = new CrabboxError("remote", `required artifact missing: ${collected.missing.join(", ")}`, {
      hint: `the command must produce them under its workdir${
        file ? `; see ${file.replace(`${results.repoRoot}/`, "")}` : ""
      }`,
    });
    const outcome = finished as RunOutcome | null;
    if (outcome) await leaveCollectFailureBundle(ctx, request, results, outcome, missing);
    throw missing;
  }
  return exitCode;
}

/** The run passed but a required artifact is missing: the failure is the collection's. */
async function leaveCollectFailureBundle(
  ctx: RunContext,
  request: RunRequest,
  results: ResultsRequest,
  outcome: RunOutcome,
  missing: CrabboxError,
): Promise<void> {
  await leaveFailureBundle(ctx.deps, ctx.out, results.resultsDir, {
    runId: outcome.runId,
    job: results.job,
    phase: "collect",
    exitCode: missing.exitCode,
    commandRan: outcome.commandRan,
    error: missing,
    argv: request.argv,
    lease: leaseFacts(outcome.server, outcome.leaseId, outcome.fresh),
    boxRemains: !outcome.released,
    phases: outcome.phases,
    startedMs: outcome.startedMs,
    finishedMs: outcome.finishedMs,
    tail: outcome.tail,
  });
}

async function listRemote(
  box: Box,
  workdir: string,
  globs: string[],
): Promise<{ path: string; bytes: number }[]> {
  if (globs.length === 0) return [];
  const result = await box.run(listGlobsScript({ workdir, globs }));
  if (result.code !== 0) {
    throw new CrabboxError("remote", `could not list results on ${box.leaseId} (${result.code})`);
  }
  const parts = new TextDecoder().decode(result.stdout).split("\0");
  const files: { path: string; bytes: number }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) files.push({ path: parts[i], bytes: Number(parts[i + 1]) });
  return [...new Map(files.map((f) => [f.path, f])).values()];
}

async function pull(
  ctx: RunContext,
  box: Box,
  workdir: string,
  paths: string[],
  dest: string,
): Promise<void> {
  await ctx.deps.fs.mkdir(dest, { recursive: true, mode: 0o700 });
  const args = [
    "-a",
    "--files-from=-",
    "--from0",
    "--safe-links",
    "--chmod=D700,F600",
    "-e",
    box.rsyncShell(),
    `${box.destination}:${workdir}/`,
    `${dest}/`,
  ];
  // Stopped with crabbox: a signal or a closed pipe ends the collection too, never a hang.
  const result = await ctx.deps.proc.run("rsync", args, {
    stdin: paths.map((p) => p + "\0").join(""),
    signal: ctx.signal,
  });
  ctx.signal.throwIfAborted();
  if (result.code !== 0 && result.code !== 24) {
    throw new CrabboxError("remote", `could not fetch results (rsync ${result.code})`, {
      hint: "re-run the command",
    });
  }
}

/**
 * The Go CLI's `downloads: [remote=local]` (and `run --download`): each remote file (relative to the
 * workdir) is pulled through the results dir and written to `local`.
 */
async function collectDownloads(
  ctx: RunContext,
  box: Box,
  workdir: string,
  results: ResultsRequest,
  base: string,
): Promise<void> {
  const staging = join(base, "downloads");
  for (const pair of results.downloads) {
    const [remote, local] = pair.split("=");
    const found = (await listRemote(box, workdir, [remote])).find((f) => f.path === remote);
    if (!found) {
      ctx.out.warn(`download ${remote} not found on the box; skipped`);
      continue;
    }
    if (found.bytes > results.maxArtifactBytes) {
      ctx.out.warn(`download ${remote} is larger than results.maxArtifactBytes; skipped`);
      continue;
    }
    const target = await localTarget(ctx.deps, results.repoRoot, local);
    await pull(ctx, box, workdir, [remote], staging);
    const data = await ctx.deps.fs.readFile(join(staging, remote));
    await ensureParent(ctx.deps, target);
    await ctx.deps.fs.writeFile(target, data, { mode: 0o644 });
    ctx.out.progress(`downloaded ${remote} -> ${local} (${data.length} bytes)`);
  }
}

async function collect(
  ctx: RunContext,
  box: Box,
  workdir: string,
  results: ResultsRequest,
  collected: Collected,
): Promise<void> {
  const base = join(results.resultsDir, results.name);
  // First, and counted missing until the listing answers: a failed collection never passes a run.
  collected.missing = [...results.requiredArtifacts];
  const stillMissing: string[] = [];
  for (const glob of results.requiredArtifacts) {
    if ((await listRemote(box, workdir, [glob])).length === 0) stillMissing.push(glob);
  }
  collected.missing = stillMissing;
  if (results.downloads.length > 0) await collectDownloads(ctx, box, workdir, results, base);
  const junit = await listRemote(box, workdir, results.junit);
  if (junit.length > 0) {
    if (junit.length > JUNIT_MAX_FILES || junit.some((f) => f.bytes > JUNIT_MAX_BYTES)) {
      ctx.out.warn(`JUnit files over the limits (${JUNIT_MAX_FILES} files of 16 MiB); not downloaded`);
    } else {
      await pull(ctx, box, workdir, junit.map((f) => f.path), join(base, "junit"));
      let totals: JunitTotals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
      for (const f of junit) {
        totals = addTotals(totals, junitTotals(await ctx.deps.fs.readTextFile(join(base, "junit", f.path))));
      }
      collected.junit = { files: junit.length, ...totals };
      ctx.out.progress(
        `test results files=${junit.length} tests=${totals.tests} failures=${totals.failures} errors=${totals.errors} skipped=${totals.skipped}`,
      );
    }
  }
  const artifacts = await listRemote(box, workdir, [
    ...new Set([...results.artifacts, ...results.requiredArtifacts]),
  ]);
  if (artifacts.length === 0) return;
  const total = artifacts.reduce((sum, f) => sum + f.bytes, 0);
  if (artifacts.length > ARTIFACT_MAX_FILES || total > results.maxArtifactBytes) {
    collected.artifactsSkipped = `over the limit (${artifacts.length} files, ${total} bytes)`;
    ctx.out.warn(`artifacts ${collected.artifactsSkipped}; not downloaded`);
    return;
  }
  const dest = join(base, "artifacts");
  await pull(ctx, box, workdir, artifacts.map((f) => f.path), dest);
  for (const f of artifacts) {
    const local = join(dest, f.path);
    const bytes = await ctx.deps.fs.readFile(local);
    collected.artifacts.push({
      path: f.path,
      local: local.replace(`${results.resultsDir}/`, `${results.resultsDir.split("/").pop()}/`),
      bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }
}

/** The SPEC §11.5 document (`job: null` for `crabbox run`). */
function resultDocument(
  results: ResultsRequest,
  request: RunRequest,
  outcome: RunOutcome,
  collected: Collected,
) {
  const missing = collected.missing.length > 0 && !outcome.failure && outcome.exitCode === 0
    ? new CrabboxError("remote", `required artifact missing: ${collected.missing.join(", ")}`)
    : null;
  const failure = (outcome.failure as CrabboxError | null) ?? missing;
  // A sync-only run has no remote command: its code is crabbox's own, and 0 is a pass.
  const ran = outcome.commandRan || !!request.syncOnly;
  const status = outcome.interrupted || failure?.kind === "interrupted"
    ? "interrupted"
    : failure?.kind === "timeout"
    ? "timeout"
    : !ran || failure
    ? "error"
    : outcome.exitCode === 0
    ? "passed"
    : "failed";
  const phase = (name: keyof RunOutcome["phases"], done: boolean) => ({
    name,
    status: done ? "ok" : "skipped",
    durationMs: outcome.phases[name],
  });
  const collecting = results.junit.length + results.artifacts.length + results.requiredArtifacts.length +
      results.downloads.length > 0;
  return {
    schema: "crabbox.job-result/v1",
    job: results.job,
    runId: outcome.runId,
    status,
    exitCode: missing ? missing.exitCode : outcome.exitCode,
    exitSource: outcome.commandRan && !failure ? "remote" : "crabbox",
    startedAt: formatIso(outcome.startedMs),
    finishedAt: formatIso(outcome.finishedMs),
    durationMs: outcome.finishedMs - outcome.startedMs,
    lease: {
      id: outcome.leaseId,
      slug: outcome.server.labels.slug ?? null,
      serverId: outcome.server.id,
      serverName: outcome.server.name,
      serverType: outcome.server.serverType,
      location: outcome.server.location,
      ipv4: outcome.server.ipv4,
      fresh: outcome.fresh,
      pool: outcome.pool,
      released: outcome.released,
      releaseError: outcome.releaseError,
    },
    phases: [
      phase("acquire", true),
      phase("bootstrap", outcome.fresh),
      phase("lock", true),
      phase("sync", !!outcome.sync && !outcome.sync.skipped),
      phase("command", outcome.commandRan),
      phase("collect", collecting && outcome.commandRan),
      phase("release", true),
    ],
    sync: outcome.sync
      ? {
        skipped: outcome.sync.skipped,
        files: outcome.sync.files,
        bytes: outcome.sync.bytes,
        pruned: outcome.sync.pruned,
      }
      : null,
    junit: collected.junit,
    artifacts: collected.artifacts,
    artifactsSkipped: collected.artifactsSkipped,
    error: failure
      ? {
        kind: failure.kind ?? "internal",
        message: String(failure.message),
        exitCode: missing?.exitCode ?? outcome.exitCode,
      }
      : null,
  };
}

/** Creates a missing parent directory (umask mode); never changes the mode of one that exists. */
async function ensureParent(deps: Deps, file: string): Promise<void> {
  const parent = dirname(file);
  if (!(await deps.fs.lstat(parent))) await deps.fs.mkdir(parent, { recursive: true });
}

async function writeResult(
  deps: Deps,
  results: ResultsRequest,
  file: string,
  result: unknown,
): Promise<void> {
  if (file.startsWith(`${results.resultsDir}/`)) {
    await deps.fs.mkdir(results.resultsDir, { recursive: true, mode: 0o700 });
  }
  await ensureParent(deps, file);
  // Atomic (temp file + rename): a symlink at the target is replaced, never followed.
  await deps.fs.writeTextFile(file, JSON.stringify(result, null, 2) + "\n", { mode: 0o600 });
}
