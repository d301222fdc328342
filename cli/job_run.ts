/**
 * A real `job run`: the job's shape and command through the same run path, then JUnit and artifacts
 * pulled back under .crabbox-results/<job>/ and a result file (SPEC §11.2, §11.5, §11.6).
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import type { CommandContext } from "./context.ts";
import { CrabboxError, usageError } from "../core/errors.ts";
import { formatIso } from "../core/format.ts";
import type { JobSpec } from "../jobs/plan.ts";
import { addTotals, type JunitTotals, junitTotals } from "../jobs/junit.ts";
import { runCommandOnBox, type RunOutcome } from "../lease/run.ts";
import type { Box } from "../lease/box.ts";
import { listGlobsScript } from "../ssh/scripts.ts";
import { leaseIdsFor, prepareSync, runContext, type RunSettings, startSweep } from "./settings.ts";
import { selectForwardedEnv } from "../config/env_allow.ts";
import { sanitizeLabelValue } from "../labels/sanitize.ts";

const JUNIT_MAX_FILES = 50;
const JUNIT_MAX_BYTES = 16 * 1024 * 1024;
const ARTIFACT_MAX_FILES = 1000;

interface Collected {
  junit: ({ files: number } & JunitTotals) | null;
  artifacts: { path: string; local: string; bytes: number; sha256: string }[];
  artifactsSkipped: string | null;
  /** Required artifact globs that matched nothing. */
  missing: string[];
}

function checkGlobs(job: JobSpec): void {
  for (const glob of [...job.junit, ...job.artifacts, ...job.requiredArtifacts]) {
    if (glob.startsWith("/") || glob.split("/").includes("..")) {
      throw usageError(
        `jobs.${job.name}: "${glob}" must be a relative path inside the workdir`,
        "remove the leading / or ..",
      );
    }
  }
}

export async function runJob(
  ctx: CommandContext,
  settings: RunSettings,
  job: JobSpec,
  options: { id?: string; pool?: string | true },
): Promise<void> {
  checkGlobs(job);
  const resultsDir = join(
    settings.gitRoot ?? ctx.deps.fs.cwd(),
    settings.config.config.results.dir,
  );
  const sync = job.noSync
    ? null
    : await prepareSync(ctx, settings, { checksum: job.checksum, forceSyncLarge: job.forceSyncLarge });
  await startSweep(ctx, settings, options.id ? await leaseIdsFor(ctx, options.id) : []);
  const poolName = options.pool === true
    ? (settings.config.config.pool.name)
    : options.pool ?? job.pool ?? undefined;
  // As run does: a pool name becomes a label value, so it is sanitized like one.
  const pool = poolName === undefined ? undefined : sanitizeLabelValue(poolName);
  const allow = [...(settings.config.config.env.allow), ...job.envAllow];
  const { forward, warnings } = selectForwardedEnv(allow, ctx.deps.env.all(), new Set());
  for (const warning of warnings) ctx.out.warn(warning);
  for (const value of Object.values(forward)) ctx.redactor.add(value);
  const collected: Collected = { junit: null, artifacts: [], artifactsSkipped: null, missing: [] };
  const argv = job.command === null ? ["true"] : job.commandArgv;

  ctx.exitCode = await runCommandOnBox(runContext(ctx, settings), {
    argv,
    subdir: job.workdir ?? undefined,
    shell: job.command !== null && job.mode === "shell",
    id: options.id,
    pool,
    stop: job.stop,
    shape: {
      ...settings.shape,
      className: job.className,
      serverType: job.serverType ?? undefined,
      architecture: job.architecture,
      locations: job.locations,
      image: job.image,
      ttlSecs: job.ttlSecs,
      idleSecs: job.idleSecs,
      keep: job.keep,
      profile: job.profile,
    },
    sync,
    repo: settings.repo,
    graceSecs: settings.config.config.sweep.grace,
    lockTimeoutSecs: settings.config.config.run.lockTimeout,
    owner: settings.owner,
    env: { forward, allow },
    envSet: { ...job.envSet, CRABBOX_JOB: job.name },
    timeoutSecs: job.timeoutSecs ?? undefined,
    preflightTools: settings.config.config.run.preflightTools,
    collect: (box, workdir) =>
      collect(
        ctx,
        box,
        workdir,
        job,
        resultsDir,
        collected,
        settings.config.config.results.maxArtifactBytes,
        settings.gitRoot ?? ctx.deps.fs.cwd(),
      ),
    onFinish: (outcome) => writeResult(ctx, job, resultsDir, outcome, collected),
  });
  if (collected.missing.length > 0 && ctx.exitCode === 0) {
    throw new CrabboxError("remote", `required artifact missing: ${collected.missing.join(", ")}`, {
      hint:
        `the job's command must produce them under its workdir; see .crabbox-results/crabbox-${job.name}.json`,
    });
  }
}

async function listRemote(
  box: Box,
  workdir: string,
  globs: string[],
): Promise<{ path: string; bytes: number }[]> {
  if (globs.length === 0) return [];
  const result = await box.run(listGlobsScript({ workdir, globs }));
  const parts = new TextDecoder().decode(result.stdout).split("\0");
  const files: { path: string; bytes: number }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) files.push({ path: parts[i], bytes: Number(parts[i + 1]) });
  return [...new Map(files.map((f) => [f.path, f])).values()];
}

async function pull(
  ctx: CommandContext,
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
    signal: ctx.interrupt.signal,
  });
  ctx.interrupt.signal.throwIfAborted();
  if (result.code !== 0 && result.code !== 24) {
    throw new CrabboxError("remote", `could not fetch results (rsync ${result.code})`, {
      hint: "re-run the job",
    });
  }
}

/**
 * The Go CLI's `downloads: [remote=local]`: each remote file (relative to the workdir) is pulled through
 * the results dir and written to `local`, relative to the repo root. A local path that would pass through a
 * symlink is refused: a cloned repo must not make a job write outside the checkout.
 */
async function collectDownloads(
  ctx: CommandContext,
  box: Box,
  workdir: string,
  job: JobSpec,
  base: string,
  maxBytes: number,
  repoRoot: string,
): Promise<void> {
  const staging = join(base, "downloads");
  for (const pair of job.downloads) {
    const [remote, local] = pair.split("=");
    const found = (await listRemote(box, workdir, [remote])).find((f) => f.path === remote);
    if (!found) {
      ctx.out.warn(`download ${remote} not found on the box; skipped`);
      continue;
    }
    if (found.bytes > maxBytes) {
      ctx.out.warn(`download ${remote} is larger than results.maxArtifactBytes; skipped`);
      continue;
    }
    const parts = local.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const info = await ctx.deps.fs.lstat(join(repoRoot, ...parts.slice(0, i)));
      if (info?.isSymlink) {
        throw new CrabboxError("remote", `download target ${local} passes through a symlink`, {
          hint: "downloads are written inside the repository only; pick a local path without symlinks",
        });
      }
    }
    await pull(ctx, box, workdir, [remote], staging);
    const data = await ctx.deps.fs.readFile(join(staging, remote));
    await ctx.deps.fs.mkdir(join(repoRoot, ...parts.slice(0, -1)), { recursive: true, mode: 0o755 });
    await ctx.deps.fs.writeFile(join(repoRoot, local), data, { mode: 0o644 });
    ctx.out.progress(`downloaded ${remote} -> ${local} (${data.length} bytes)`);
  }
}

async function collect(
  ctx: CommandContext,
  box: Box,
  workdir: string,
  job: JobSpec,
  resultsDir: string,
  collected: Collected,
  maxBytes: number,
  repoRoot: string,
): Promise<void> {
  const base = join(resultsDir, job.name);
  if (job.downloads.length > 0) await collectDownloads(ctx, box, workdir, job, base, maxBytes, repoRoot);
  const junit = await listRemote(box, workdir, job.junit);
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
  for (const glob of job.requiredArtifacts) {
    if ((await listRemote(box, workdir, [glob])).length === 0) collected.missing.push(glob);
  }
  const artifacts = await listRemote(box, workdir, [
    ...new Set([...job.artifacts, ...job.requiredArtifacts]),
  ]);
  if (artifacts.length === 0) return;
  const total = artifacts.reduce((sum, f) => sum + f.bytes, 0);
  if (artifacts.length > ARTIFACT_MAX_FILES || total > maxBytes) {
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
      local: local.replace(`${resultsDir}/`, `${resultsDir.split("/").pop()}/`),
      bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }
}

async function writeResult(
  ctx: CommandContext,
  job: JobSpec,
  resultsDir: string,
  outcome: RunOutcome,
  collected: Collected,
): Promise<void> {
  const missing = collected.missing.length > 0 && !outcome.failure && outcome.exitCode === 0
    ? new CrabboxError("remote", `required artifact missing: ${collected.missing.join(", ")}`)
    : null;
  const failure = (outcome.failure as CrabboxError | null) ?? missing;
  const status = outcome.interrupted || failure?.kind === "interrupted"
    ? "interrupted"
    : failure?.kind === "timeout"
    ? "timeout"
    : !outcome.commandRan || failure
    ? "error"
    : outcome.exitCode === 0
    ? "passed"
    : "failed";
  const phase = (name: keyof RunOutcome["phases"], ran: boolean) => ({
    name,
    status: ran ? "ok" : "skipped",
    durationMs: outcome.phases[name],
  });
  const result = {
    schema: "crabbox.job-result/v1",
    job: job.name,
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
      phase("collect", job.junit.length + job.artifacts.length + job.downloads.length > 0),
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
  await ctx.deps.fs.mkdir(resultsDir, { recursive: true, mode: 0o700 });
  await ctx.deps.fs.writeTextFile(
    join(resultsDir, `crabbox-${job.name}.json`),
    JSON.stringify(result, null, 2) + "\n",
    {
      mode: 0o600,
    },
  );
}
