/**
 * Job plans and contract checks (SPEC §11.4): pure functions over the loaded config, so
 * `job run --dry-run` needs no token, no network and no ssh.
 */
import { formatDuration } from "../core/duration.ts";
import { shellQuote } from "../core/format.ts";
import { decide, type Rule } from "../sync/rules.ts";
import { isTokenBearingName, looksLikeSecretValue } from "../config/secrets.ts";
import { serverTypesFor } from "../lease/classes.ts";

export type StopPolicy = "auto" | "always" | "success" | "failure" | "never";

export interface JobSpec {
  name: string;
  source: string;
  description: string;
  command: string | string[] | null;
  syncOnly: boolean;
  noSync: boolean;
  workdir: string | null;
  timeoutSecs: number | null;
  profile: string;
  className: string;
  serverType: string | null;
  locations: string[];
  image: string;
  ttlSecs: number;
  idleSecs: number;
  keep: boolean;
  pool: string | null;
  envAllow: string[];
  envSet: Record<string, string>;
  junit: string[];
  artifacts: string[];
  /** Globs that must each match at least one file after the command, or the job is an error (exit 7). */
  requiredArtifacts: string[];
  stop: StopPolicy;
}

export interface Check {
  name: string;
  status: "ok" | "fail";
  message: string;
}

export interface PlanStep {
  name: "warmup" | "run" | "stop";
  argv: string[];
  when: "always" | "success" | "failure";
}

const PROBES = [
  ".env",
  ".env.local",
  "a.pem",
  "a.key",
  "secrets/x",
  "a.db",
  "a.sqlite",
  "a.sqlite-wal",
  "x.log",
  "logs/x",
  ".venv/x",
  "node_modules/x",
  ".cache/x",
];

/** When the stop step runs for a lease the job created (fresh) or reused (existing). */
export function stopWhen(policy: StopPolicy, fresh: boolean): PlanStep["when"] | null {
  switch (policy) {
    case "auto":
      return fresh ? "always" : null;
    case "always":
      return "always";
    case "success":
      return "success";
    case "failure":
      return "failure";
    case "never":
      return null;
  }
}

export function planSteps(job: JobSpec, options: { id?: string; pool?: string }): PlanStep[] {
  const lease = options.id ?? "<lease>";
  const steps: PlanStep[] = [];
  const fresh = !options.id && !options.pool && !job.pool;
  if (fresh) {
    steps.push({
      name: "warmup",
      when: "always",
      argv: [
        "crabbox",
        "warmup",
        "--profile",
        job.profile,
        ...(job.serverType ? ["--type", job.serverType] : ["--class", job.className]),
        "--ttl",
        formatDuration(job.ttlSecs),
        "--idle-timeout",
        formatDuration(job.idleSecs),
        ...(job.keep ? ["--keep"] : []),
      ],
    });
  }
  const target = fresh || options.id ? ["--id", lease] : ["--pool", options.pool ?? job.pool!];
  const command = job.command === null
    ? []
    : typeof job.command === "string"
    ? ["--shell", "--", job.command]
    : ["--", ...job.command];
  steps.push({
    name: "run",
    when: "always",
    argv: [
      "crabbox",
      "run",
      ...target,
      ...(job.noSync ? ["--no-sync"] : []),
      ...(job.syncOnly ? ["--sync-only"] : []),
      ...command,
    ],
  });
  const when = stopWhen(job.stop, fresh);
  if (when && (fresh || options.id)) steps.push({ name: "stop", when, argv: ["crabbox", "stop", lease] });
  return steps;
}

/** Printed form: safe words bare, the rest single-quoted; the lease placeholder always quoted. */
export function printableCommand(argv: string[]): string {
  return argv.map((w) => (w.startsWith("<") ? `'${w}'` : shellQuote(w))).join(" ");
}

export function contractChecks(input: {
  job: JobSpec | null;
  jobName: string;
  jobs: string[];
  jobsOnly: boolean;
  allowLayers: string[];
  rules: Rule[];
}): Check[] {
  const { job } = input;
  const checks: Check[] = [];
  if (!job) {
    return [{
      name: "job-defined",
      status: "fail",
      message: `jobs.${input.jobName} is not in .crabbox.yaml (configured: ${
        input.jobs.join(", ") || "none"
      })`,
    }];
  }
  checks.push({ name: "job-defined", status: "ok", message: `jobs.${job.name} at ${job.source}` });
  const hasCommand = job.command !== null;
  checks.push(
    hasCommand !== job.syncOnly
      ? {
        name: "command",
        status: "ok",
        message: job.syncOnly
          ? "sync only"
          : typeof job.command === "string"
          ? `shell command (${job.command.length} chars)`
          : `argv command (${(job.command as string[]).length} words)`,
      }
      : { name: "command", status: "fail", message: "needs exactly one of command or syncOnly" },
  );
  const names = [...input.allowLayers, ...job.envAllow, ...Object.keys(job.envSet)];
  const badNames = names.filter((n) => n === "*" || isTokenBearingName(n.replace(/\*$/, "")));
  checks.push(
    badNames.length === 0
      ? {
        name: "env-names",
        status: "ok",
        message: `allow=${[...input.allowLayers, ...job.envAllow].join(",")}; no token-bearing names`,
      }
      : {
        name: "env-names",
        status: "fail",
        message: `token-bearing or wildcard names: ${badNames.join(", ")}`,
      },
  );
  const secretValues = Object.entries(job.envSet).filter(([, v]) => looksLikeSecretValue(v)).map(([k]) => k);
  checks.push(
    secretValues.length === 0
      ? {
        name: "env-values",
        status: "ok",
        message: `env.set has ${Object.keys(job.envSet).length} value(s); none looks secret`,
      }
      : {
        name: "env-values",
        status: "fail",
        message: `env.set values look secret: ${secretValues.join(", ")}`,
      },
  );
  const leaking = PROBES.filter((probe) => !decide(input.rules, probe, false).excluded);
  checks.push(
    leaking.length === 0
      ? {
        name: "sync-excludes",
        status: "ok",
        message: `secret/runtime probes excluded (${PROBES.length}/${PROBES.length})`,
      }
      : { name: "sync-excludes", status: "fail", message: `would sync: ${leaking.join(", ")}` },
  );
  checks.push({
    name: "jobs-only",
    status: "ok",
    message: `${
      input.jobsOnly ? "policy.jobsOnly=true" : "policy.jobsOnly=false (run -- <anything> is allowed)"
    }; exposed jobs: ${input.jobs.join(", ")}`,
  });
  const bounds: string[] = [];
  if (job.ttlSecs > 168 * 3600) bounds.push("ttl > 168h");
  if (job.idleSecs > job.ttlSecs) bounds.push("idle > ttl");
  if (job.timeoutSecs !== null && job.timeoutSecs > job.ttlSecs) bounds.push("timeout > ttl");
  checks.push({
    name: "lease-bounds",
    status: bounds.length ? "fail" : "ok",
    message: bounds.length
      ? bounds.join(", ")
      : `ttl ${formatDuration(job.ttlSecs)} <= 168h, idle ${formatDuration(job.idleSecs)} <= ttl, timeout ${
        job.timeoutSecs === null ? "none" : formatDuration(job.timeoutSecs)
      }`,
  });
  return checks;
}

export function jobServerTypes(job: JobSpec): string[] {
  return serverTypesFor(job.className, job.serverType ?? undefined);
}
