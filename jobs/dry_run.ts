/**
 * `job run --dry-run`: offline, no token. The plan (lease, steps, sync size, env, stop), the contract
 * checks, and the plan file under the results directory (schema crabbox.job-plan/v1).
 */
import { join } from "node:path";
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import { formatIso } from "../core/format.ts";
import type { LoadedConfig } from "../config/load.ts";
import { collectSyncCandidate } from "../sync/preflight.ts";
import type { Manifest } from "../sync/manifest.ts";
import type { Rule } from "../sync/rules.ts";
import {
  type Check,
  contractChecks,
  jobServerTypes,
  type JobSpec,
  type PlanStep,
  planSteps,
} from "./plan.ts";
import { jobAllowlist } from "./spec.ts";

interface JobDryRunRequest {
  config: LoadedConfig;
  gitRoot: string | null;
  name: string;
  spec: JobSpec | null;
  id?: string;
  pool?: string | true;
}

interface JobDryRun {
  plan: Record<string, unknown>;
  planPath: string;
  steps: PlanStep[];
  checks: Check[];
  manifest: Manifest;
  rules: Rule[];
  ok: boolean;
}

/** Builds the plan and writes it (0600, its directory 0700); failing checks are the caller's to report. */
export async function dryRunJob(deps: Deps, out: Output, request: JobDryRunRequest): Promise<JobDryRun> {
  const { config, name, spec } = request;
  const jobs = Object.keys(config.jobs).sort();
  const { gitRoot, rules, manifest } = await collectSyncCandidate(deps, out, {
    gitRoot: request.gitRoot,
    sync: config.config.sync,
  });
  const pool = request.pool === true ? config.config.pool.name : request.pool;
  const checks = contractChecks({
    job: spec,
    jobName: name,
    jobs,
    jobsOnly: !!config.config.policy.jobsOnly,
    allowLayers: config.config.env.allow,
    rules,
  });
  // The warmup step names the job's allowlist only when it decides (a flag replaces it).
  const allow = spec ? jobAllowlist(config, spec) : null;
  const steps = spec
    ? planSteps({ ...spec, allowCidrs: allow?.cidrs ?? null }, { id: request.id, pool })
    : [];
  const ok = checks.every((c) => c.status === "ok");
  const resultsDir = join(gitRoot, config.config.results.dir);
  const planPath = join(resultsDir, `crabbox-${name}-plan.json`);
  const plan = {
    schema: "crabbox.job-plan/v1",
    job: name,
    generatedAt: formatIso(deps.clock.now()),
    ok,
    configFiles: config.files.filter((f) => f.exists).map((f) => f.path),
    lease: spec
      ? {
        mode: request.id ? "existing" : pool || spec.pool ? "pool" : "fresh",
        id: request.id ?? null,
        class: spec.className,
        serverTypes: jobServerTypes(spec),
        locations: spec.locations,
        image: spec.image,
        ttlSecs: spec.ttlSecs,
        idleTimeoutSecs: spec.idleSecs,
        keep: spec.keep,
        allowCidrs: allow?.cidrs ?? config.config.ssh.allowCidrs,
      }
      : null,
    steps,
    sync: {
      enabled: !spec?.noSync,
      files: manifest.files.length,
      bytes: manifest.bytes,
      rules: rules.length,
    },
    env: {
      allow: [...config.config.env.allow, ...(spec?.envAllow ?? [])],
      set: Object.keys(spec?.envSet ?? {}),
    },
    stop: spec?.stop ?? null,
    checks,
  };
  await deps.fs.mkdir(resultsDir, { recursive: true, mode: 0o700 });
  await deps.fs.writeTextFile(planPath, JSON.stringify(plan, null, 2) + "\n", { mode: 0o600 });
  return { plan, planPath, steps, checks, manifest, rules, ok };
}
