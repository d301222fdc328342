/**
 * Loads the effective configuration (SPEC §12.1): finds the user and repo files, validates each strictly,
 * reads the CRABBOX_* environment and the flags, and merges them with a source for every value.
 */
import { join } from "node:path";
import type { Env, FileSystem, SystemInfo } from "../core/deps.ts";
import { configError } from "../core/errors.ts";
import { type CrabboxConfig, type JobConfig, KEYS, toCrabboxConfig, toJobConfig } from "./schema.ts";
import {
  configSizeError,
  type FileKind,
  type FileLayer,
  MAX_CONFIG_BYTES,
  validateFile,
} from "./validate.ts";
import { readEnvLayer, readFlagLayer } from "./env_layer.ts";
import { mergeLayers } from "./merge.ts";
import { suggest } from "./values.ts";

export type { FileKind } from "./validate.ts";
export { MAX_CONFIG_BYTES } from "./validate.ts";

export interface LoadInput {
  fs: FileSystem;
  env: Env;
  system: SystemInfo;
  /** The checkout's root (the repo file lives there), or null outside a repository. */
  gitRoot: string | null;
  /** --profile. */
  profile?: string;
  /** Flag values by config key (`ttl`, `hetzner.location`, …): parsed values or their text. */
  flagOverrides?: Record<string, unknown>;
}

/** One job: its typed config, where it is defined (`.crabbox.yaml:12`) and its raw values by dotted key. */
export type LoadedJob = JobConfig & { name: string; source: string; values: Record<string, unknown> };

export interface LoadedConfig {
  config: CrabboxConfig;
  /** The same values by dotted key (`ssh.port`), as `config show` lists them. */
  values: Record<string, unknown>;
  /** key → `default` | `user <path>:<line>` | `repo <path>:<line>` | `profile <name>` | `env <VAR>` | `flag --x`. */
  sources: Record<string, string>;
  files: { path: string; kind: FileKind; exists: boolean }[];
  jobs: Record<string, LoadedJob>;
  profiles: Record<string, Record<string, unknown>>;
  policy: { jobsOnly: boolean };
  /** env.allow after the config layers (defaults, user, repo, profile, CRABBOX_ENV_ALLOW). */
  envAllow: string[];
  /** Exact names of envAllow chosen in the user config: the only config entries that may forward a secret. */
  envAllowFromUser: string[];
  warnings: string[];
  userFile: string;
  /** The repo file in use, or null. */
  repoFile: string | null;
}

/** `CRABBOX_CONFIG`, else `$XDG_CONFIG_HOME/crabbox/config.yaml`, else `~/.config/crabbox/config.yaml`. */
export function userConfigPath(deps: { env: Env; system: SystemInfo }): string {
  const explicit = deps.env.get("CRABBOX_CONFIG");
  if (explicit) return explicit;
  const xdg = deps.env.get("XDG_CONFIG_HOME");
  const base = xdg && xdg.startsWith("/") ? xdg : join(deps.system.homeDir(), ".config");
  return join(base, "crabbox", "config.yaml");
}

/** The repo config at the git root (`.crabbox.yaml` or `crabbox.yaml`; both is an error), or null. */
export async function findRepoConfig(fs: FileSystem, gitRoot: string): Promise<string | null> {
  const candidates = [join(gitRoot, ".crabbox.yaml"), join(gitRoot, "crabbox.yaml")];
  const present: string[] = [];
  for (const path of candidates) if (await fs.lstat(path)) present.push(path);
  if (present.length > 1) {
    throw configError(
      `both ${present[0]} and ${present[1]} exist`,
      "keep one repo config file (.crabbox.yaml) and delete the other",
    );
  }
  return present[0] ?? null;
}

/** Single-object form; the two-argument form `(deps, {gitRoot, profile, flags})` is kept for older callers. */
export function loadConfig(input: LoadInput): Promise<LoadedConfig>;
export function loadConfig(
  deps: Pick<LoadInput, "fs" | "env" | "system">,
  input: { gitRoot: string | null; profile?: string; flags?: Record<string, unknown> },
): Promise<LoadedConfig>;
export function loadConfig(
  first: LoadInput | Pick<LoadInput, "fs" | "env" | "system">,
  legacy?: { gitRoot: string | null; profile?: string; flags?: Record<string, unknown> },
): Promise<LoadedConfig> {
  if (!legacy) return load(first as LoadInput);
  return load({
    fs: first.fs,
    env: first.env,
    system: first.system,
    gitRoot: legacy.gitRoot,
    profile: legacy.profile,
    flagOverrides: legacy.flags,
  });
}

async function load(input: LoadInput): Promise<LoadedConfig> {
  const userFile = userConfigPath(input);
  const repoFile = input.gitRoot ? await findRepoConfig(input.fs, input.gitRoot) : null;
  const files: LoadedConfig["files"] = [];
  const layers: FileLayer[] = [];
  const targets: [string, FileKind][] = [[userFile, "user"]];
  if (input.gitRoot) targets.push([repoFile ?? join(input.gitRoot, ".crabbox.yaml"), "repo"]);
  for (const [path, kind] of targets) {
    const text = await readIfPresent(input.fs, path);
    files.push({ path, kind, exists: text !== null });
    if (text !== null) layers.push(validateFile(text, path, kind));
  }
  const env = readEnvLayer(input.env.all());
  const merged = mergeLayers({
    defaults: defaultValues(input.system),
    files: layers,
    env: env.settings,
    flags: readFlagLayer({ ...input.flagOverrides, profile: input.profile ?? input.flagOverrides?.profile }),
  });
  const repoLayer = layers.find((l) => l.kind === "repo");
  const jobs = loadJobs(repoLayer, merged.profiles);
  return {
    config: toCrabboxConfig(merged.values),
    values: merged.values,
    sources: merged.sources,
    files,
    jobs,
    profiles: mapValues(merged.profiles, (profile) => mapValues(profile, (o) => o.value)),
    policy: {
      jobsOnly: merged.values["policy.jobsOnly"] === true &&
        merged.sources["policy.jobsOnly"].startsWith("repo "),
    },
    envAllow: merged.envAllow,
    envAllowFromUser: merged.envAllowFromUser,
    warnings: [...layers.flatMap((l) => l.warnings), ...env.warnings],
    userFile,
    repoFile,
  };
}

/** Compiled defaults, with owner = `<user>@<short hostname>`. */
export function defaultValues(system: SystemInfo): Record<string, unknown> {
  const values = Object.fromEntries(Object.entries(KEYS).map(([k, s]) => [k, structuredClone(s.default)]));
  values.owner = `${system.user()}@${system.hostname().split(".")[0]}`;
  return values;
}

function loadJobs(repo: FileLayer | undefined, profiles: Record<string, unknown>): Record<string, LoadedJob> {
  const jobs: Record<string, LoadedJob> = {};
  for (const [name, job] of Object.entries(repo?.jobs ?? {})) {
    const profile = job.values.profile as string | undefined;
    if (profile !== undefined && profile !== "default" && !(profile in profiles)) {
      const defined = Object.keys(profiles).sort();
      throw configError(
        `${job.at.profile}: jobs.${name}.profile "${profile}" is not defined${suggest(profile, defined)}`,
        defined.length ? `defined profiles: ${defined.join(", ")}` : "define it under profiles:",
      );
    }
    const source = `${repo!.path.split("/").pop()}:${job.line}`;
    jobs[name] = { ...toJobConfig(job.values), name, source, values: job.values };
  }
  return jobs;
}

function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

async function readIfPresent(fs: FileSystem, path: string): Promise<string | null> {
  const info = await fs.lstat(path);
  if (!info) return null;
  // Refused before reading: a FIFO or device would block or never end, a huge file would fill memory.
  if (!info.isFile && !info.isSymlink) {
    throw configError(`${path} is not a regular file`, "point crabbox at a YAML file (crabbox config path)");
  }
  if (info.isFile && info.size > MAX_CONFIG_BYTES) throw configSizeError(path, info.size, "read");
  try {
    return await fs.readTextFile(path);
  } catch (error) {
    throw configError(`cannot read ${path}: ${(error as Error).message}`, "check the file's permissions");
  }
}
