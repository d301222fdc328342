/**
 * Job plans and contract checks (SPEC §11.4): pure functions over the loaded config, so
 * `job run --dry-run` needs no token, no network and no ssh.
 */
import { formatDuration } from "../core/duration.ts";
import { shellQuote } from "../core/format.ts";
import { decide, type Rule } from "../sync/rules.ts";
import { isTokenBearingName, looksLikeSecretValue } from "../config/secrets.ts";
import { serverTypesFor } from "../lease/classes.ts";

import type { StopPolicy } from "../config/schema.ts";

export interface JobSpec {
  name: string;
  source: string;
  description: string;
  /** The Go CLI's run label ("" when none). */
  label: string;
  command: string | string[] | null;
  /** The command's execution: a string under bash -lc (`shell`), a list or a `shell: false` string as argv. */
  mode: "shell" | "argv";
  /** The argv or the one shell line actually run (after `shell: false` splitting). */
  commandArgv: string[];
  syncOnly: boolean;
  noSync: boolean;
  checksum: boolean;
  forceSyncLarge: boolean;
  workdir: string | null;
  timeoutSecs: number | null;
  profile: string;
  className: string;
  serverType: string | null;
  architecture: "amd64" | "arm64";
  locations: string[];
  /** The one location the job or the config pins (`location`, `hetzner.location`), else null. */
  exactLocation: string | null;
  image: string;
  ttlSecs: number;
  idleSecs: number;
  keep: boolean;
  pool: string | null;
  /** A fresh box is forked from this checkpoint (id or name). */
  checkpoint: string | null;
  /** A normalized pond name (the job's `pond:` key). */
  pond: string | null;
  /** The job's `allowCidrs:` (null: the config's ssh.allowCidrs apply) and where it is written. */
  allowCidrs: string[] | null;
  allowCidrsSource: string | null;
  envAllow: string[];
  envSet: Record<string, string>;
  junit: string[];
  artifacts: string[];
  /** Globs that must each match at least one file after the command, or the job is an error (exit 7). */
  requiredArtifacts: string[];
  /** `remote=local` pairs pulled back after the command. */
  downloads: string[];
  stop: StopPolicy;
  /** Why this job cannot run here; empty when it can. */
  unavailable: string[];
  /** Where the lease bounds come from (`jobs.test.ttl (.crabbox.yaml:14:5)`, `default`, `repo …:3`). */
  sources: { ttl: string; idleTimeout: string; timeout: string };
}

const DEFAULT_IMAGE = "ubuntu-24.04";

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
function stopWhen(policy: StopPolicy, fresh: boolean): PlanStep["when"] | null {
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
        ...(job.architecture === "arm64" ? ["--arch", "arm64"] : []),
        ...(job.exactLocation ? ["--location", job.exactLocation] : []),
        ...(job.image !== DEFAULT_IMAGE ? ["--image", job.image] : []),
        "--ttl",
        formatDuration(job.ttlSecs),
        "--idle-timeout",
        formatDuration(job.idleSecs),
        ...(job.keep ? ["--keep"] : []),
        ...(job.checkpoint ? ["--from-checkpoint", job.checkpoint] : []),
        ...(job.allowCidrs ?? []).flatMap((cidr) => ["--allow-cidr", cidr]),
      ],
    });
  }
  const target = fresh || options.id ? ["--id", lease] : ["--pool", options.pool ?? job.pool!];
  const command = job.command === null
    ? []
    : job.mode === "shell"
    ? ["--shell", "--", ...job.commandArgv]
    : ["--", ...job.commandArgv];
  steps.push({
    name: "run",
    when: "always",
    argv: [
      "crabbox",
      "run",
      ...target,
      ...(job.noSync ? ["--no-sync"] : []),
      ...(job.syncOnly ? ["--sync-only"] : []),
      ...(job.checksum ? ["--checksum"] : []),
      ...(job.forceSyncLarge ? ["--force-sync-large"] : []),
      ...(job.workdir ? ["--workdir", job.workdir] : []),
      ...(job.timeoutSecs !== null ? ["--timeout", formatDuration(job.timeoutSecs)] : []),
      ...(job.envAllow.length ? ["--allow-env", job.envAllow.join(",")] : []),
      ...job.junit.flatMap((glob) => ["--junit", glob]),
      ...job.artifacts.flatMap((glob) => ["--artifact", glob]),
      ...job.requiredArtifacts.flatMap((glob) => ["--require-artifact", glob]),
      ...job.downloads.flatMap((pair) => ["--download", pair]),
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
      message: input.jobs.length
        ? `jobs.${input.jobName} is not defined (configured: ${input.jobs.join(", ")})`
        : `jobs.${input.jobName} is not defined: no config has a jobs: section (add jobs.${input.jobName} to .crabbox.yaml)`,
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
          : job.mode === "shell"
          ? `shell command (${job.commandArgv[0].length} chars)`
          : `argv command (${job.commandArgv.length} words)`,
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
  const ttl = `ttl ${formatDuration(job.ttlSecs)} (${job.sources.ttl})`;
  if (job.ttlSecs > 168 * 3600) bounds.push(`${ttl} > 168h`);
  if (job.idleSecs > job.ttlSecs) {
    bounds.push(`idle ${formatDuration(job.idleSecs)} (${job.sources.idleTimeout}) > ${ttl}`);
  }
  if (job.timeoutSecs !== null && job.timeoutSecs > job.ttlSecs) {
    bounds.push(`timeout ${formatDuration(job.timeoutSecs)} (${job.sources.timeout}) > ${ttl}`);
  }
  checks.push({
    name: "lease-bounds",
    status: bounds.length ? "fail" : "ok",
    message: bounds.length
      ? bounds.join("; ")
      : `ttl ${formatDuration(job.ttlSecs)} <= 168h, idle ${formatDuration(job.idleSecs)} <= ttl, timeout ${
        job.timeoutSecs === null ? "none" : formatDuration(job.timeoutSecs)
      }`,
  });
  return checks;
}

export function jobServerTypes(job: JobSpec): string[] {
  return serverTypesFor(job.className, job.serverType ?? undefined, job.architecture);
}

/** Words the Go CLI treats as shell syntax when it splits a `shell: false` command (strings.Fields). */
const SHELL_WORDS = new Set(["&&", "||", ";", "|", ">", ">>", "<", "2>", "2>>"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * How a job's command runs (SPEC §11.1 plus the Go CLI's `shell`):
 * - a list is argv; a string runs under bash -lc (unless `shell: false`);
 * - `shell: false` with a string splits it on whitespace into argv, as the Go CLI does (quotes are not
 *   parsed). When the words contain `&& || ; | > >> < 2> 2>>` or start with NAME=value, the Go CLI builds
 *   a shell line instead: operators and leading assignments stay bare, every other word is quoted.
 */
export function jobCommandMode(
  command: string | string[] | null,
  shell: boolean | null,
): { mode: "shell" | "argv"; argv: string[] } {
  if (command === null) return { mode: "argv", argv: [] };
  if (Array.isArray(command)) return { mode: "argv", argv: command };
  // A YAML block scalar (`command: >`) ends in a newline; the shell line does not need it.
  if (shell !== false) return { mode: "shell", argv: [command.replace(/\s+$/, "")] };
  const words = command.split(/\s+/).filter(Boolean);
  let leading = 0;
  while (leading < words.length && ASSIGNMENT.test(words[leading])) leading++;
  if (leading === 0 && !words.some((w) => SHELL_WORDS.has(w))) return { mode: "argv", argv: words };
  const line = words.map((w, i) => {
    if (SHELL_WORDS.has(w)) return w;
    if (i < leading) {
      const eq = w.indexOf("=");
      return `${w.slice(0, eq + 1)}${shellQuote(w.slice(eq + 1))}`;
    }
    return shellQuote(w);
  }).join(" ");
  return { mode: "shell", argv: [line] };
}
