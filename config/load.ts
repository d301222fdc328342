/**
 * Loads the effective configuration (SPEC §12.1): finds the user and repo files, validates each strictly,
 * reads the CRABBOX_* environment and the flags, and merges them with a source for every value.
 */
import { join } from "node:path";
import type { Env, FileSystem, SystemInfo } from "../core/deps.ts";
import { configError } from "../core/errors.ts";
import { configDir } from "../core/xdg.ts";
import { type CrabboxConfig, type JobConfig, KEYS, toCrabboxConfig, toJobConfig } from "./schema.ts";
import {
  type CompatWarning,
  configSizeError,
  type FileKind,
  type FileLayer,
  MAX_CONFIG_BYTES,
  readConfigFile,
} from "./validate.ts";
import { readEnvLayer, readFlagLayer } from "./env_layer.ts";
import { type Merged, mergeLayers } from "./merge.ts";
import { suggest } from "./values.ts";
import { Problems } from "./problems.ts";
import { providerProblem, targetProblem } from "./compat.ts";
import { formatDuration } from "../core/duration.ts";

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
  /** Flag values by config key (`ttl`, `hetzner.location`, `provider`, …): parsed values or their text. */
  flagOverrides?: Record<string, unknown>;
}

const PROVIDER_HINT = "set provider: hetzner (or remove it), or pass --provider hetzner (or set " +
  "CRABBOX_PROVIDER=hetzner) to lease on Hetzner with this file's generic settings";

/**
 * One job: its typed config, where it is defined (`.crabbox.yaml:12`), its raw values by dotted key, and
 * whether this crabbox can run it (a job written for another provider is listed, never run).
 */
export type LoadedJob = JobConfig & {
  name: string;
  source: string;
  values: Record<string, unknown>;
  /** Why it cannot run here (empty when it can), each naming the key, the value and its position. */
  unavailable: string[];
  /** `file:line:col` of each key. */
  at: Record<string, string>;
};

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
  return join(configDir(deps), "config.yaml");
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
  const problems = new Problems();
  const targets: [string, FileKind][] = [[userFile, "user"]];
  if (input.gitRoot) targets.push([repoFile ?? join(input.gitRoot, ".crabbox.yaml"), "repo"]);
  for (const [path, kind] of targets) {
    const text = await readIfPresent(input.fs, path);
    files.push({ path, kind, exists: text !== null });
    if (text !== null) layers.push(readConfigFile(text, path, kind, problems));
  }
  const flagProvider = input.flagOverrides?.provider as string | undefined;
  const envProvider = input.env.get("CRABBOX_PROVIDER") || undefined;
  // Only hetzner overrides a Go file's provider; --provider ssh is a choice like any other value.
  const override = flagProvider === "hetzner"
    ? "--provider hetzner"
    : flagProvider === undefined && envProvider === "hetzner"
    ? "CRABBOX_PROVIDER=hetzner"
    : null;
  const warnings = routing(layers, override, problems);
  problems.throwIfAny();
  const env = readEnvLayer(input.env.all());
  const merged = mergeLayers({
    defaults: defaultValues(input.system),
    files: layers,
    env: env.settings,
    flags: readFlagLayer({ ...input.flagOverrides, profile: input.profile ?? input.flagOverrides?.profile }),
  });
  const repoLayer = layers.find((l) => l.kind === "repo");
  const jobs = loadJobs(repoLayer, merged, override, warnings);
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
    warnings: [
      ...layers.flatMap((l) => l.warnings),
      ...oncePerKey([...layers.flatMap((l) => l.compatWarnings), ...warnings]),
      ...merged.warnings,
      ...env.warnings,
    ],
    userFile,
    repoFile,
  };
}

/**
 * The file's provider and target, decided as the Go CLI decides them (repo over user; a --provider or
 * CRABBOX_PROVIDER override over both). A default this crabbox cannot serve is a problem at its position;
 * an overridden one is a warning.
 */
function routing(layers: FileLayer[], override: string | null, problems: Problems): CompatWarning[] {
  const warnings: CompatWarning[] = [];
  const winner = (key: string) => {
    const layer = [...layers].reverse().find((l) => l.settings[key]);
    return layer
      ? { value: layer.settings[key].value, at: `${layer.path}:${layer.settings[key].line}` }
      : null;
  };
  for (const layer of layers) {
    const setting = layer.settings.provider;
    if (setting && override && setting.value !== "hetzner") {
      warnings.push({
        id: "override:provider",
        message: `${layer.path}:${setting.line}: provider "${setting.value}" is overridden by ${override}; ` +
          "its provider-specific settings are not applied",
      });
      // A server type names that provider's machines (c7a.48xlarge): the class picks Hetzner's instead.
      const type = layer.settings.serverType;
      if (type) {
        delete layer.settings.serverType;
        warnings.push({
          id: "override:serverType",
          message:
            `${layer.path}:${type.line}: serverType "${type.value}" is for provider "${setting.value}"; ` +
            "ignored on Hetzner (the class picks the server type)",
        });
      }
    }
  }
  const provider = winner("provider");
  const problem = provider && !override ? providerProblem(String(provider.value)) : null;
  if (problem) problems.add(`${provider!.at}: ${problem}`, PROVIDER_HINT);
  const target = winner("target");
  const targetIssue = target ? targetProblem(String(target.value)) : null;
  if (targetIssue) {
    problems.add(
      `${target!.at}: ${targetIssue}`,
      "remove target: (linux is the default), or use the Go crabbox CLI for macOS and Windows boxes",
    );
  }
  return warnings;
}

/** One warning per key: the first place it was found, and how many more there are. */
function oncePerKey(list: CompatWarning[]): string[] {
  const byId = new Map<string, { message: string; more: number }>();
  for (const w of list) {
    const seen = byId.get(w.id);
    if (seen) seen.more++;
    else byId.set(w.id, { message: w.message, more: 0 });
  }
  return [...byId.values()].map(({ message, more }) =>
    more ? `${message} (and ${more} more place${more > 1 ? "s" : ""})` : message
  );
}

/** Compiled defaults, with owner = `<user>@<short hostname>`. */
export function defaultValues(system: SystemInfo): Record<string, unknown> {
  const values = Object.fromEntries(Object.entries(KEYS).map(([k, s]) => [k, structuredClone(s.default)]));
  values.owner = `${system.user()}@${system.hostname().split(".")[0]}`;
  return values;
}

function loadJobs(
  repo: FileLayer | undefined,
  { profiles, values, sources }: Pick<Merged, "profiles" | "values" | "sources">,
  override: string | null,
  warnings: CompatWarning[],
): Record<string, LoadedJob> {
  const jobs: Record<string, LoadedJob> = {};
  for (const [name, job] of Object.entries(repo?.jobs ?? {})) {
    const label = `jobs.${name}`;
    const profile = job.values.profile as string | undefined;
    if (profile !== undefined && profile !== "default" && !(profile in profiles)) {
      const defined = Object.keys(profiles).sort();
      warnings.push({
        id: `job-profile:${profile}`,
        message: `${job.at.profile}: ${label}.profile "${profile}" has no profiles.${profile} entry; ` +
          `it is used as a plain label${suggest(profile, defined)}`,
      });
    }
    const unavailable = [...job.unavailable];
    const provider = job.values.provider as string | undefined;
    const providerIssue = provider === undefined ? null : providerProblem(provider);
    if (providerIssue && override) {
      warnings.push({
        id: "override:job-provider",
        message: `${job.at.provider}: ${label}.provider "${provider}" is overridden by ${override}; ` +
          "the job runs on Hetzner",
      });
      if (job.values.serverType !== undefined) {
        warnings.push({
          id: "override:job-serverType",
          message: `${job.at.serverType}: ${label} server type "${job.values.serverType}" is for provider ` +
            `"${provider}"; ignored on Hetzner (the class picks the server type)`,
        });
        delete job.values.serverType;
      }
    } else if (providerIssue) unavailable.push(`${providerIssue} (${job.at.provider})`);
    const target = job.values.target as string | undefined;
    const targetIssue = target === undefined ? null : targetProblem(target);
    if (targetIssue) unavailable.push(`${targetIssue} (${job.at.target})`);
    const source = `${repo!.path.split("/").pop()}:${job.line}`;
    const typed = toJobConfig(job.values);
    const ttl = typed.ttl ?? (values.ttl as number);
    const idle = typed.idleTimeout ?? (values.idleTimeout as number);
    if (
      idle > ttl && unavailable.length === 0 && !(typed.ttl !== undefined && typed.idleTimeout !== undefined)
    ) {
      // Both set in the job was already reported where the job is read.
      warnings.push({
        id: `job-bounds:${label}`,
        message:
          `${job.at.idleTimeout ?? job.at[""]}: ${label} idle timeout ${formatDuration(idle)} is longer ` +
          `than its ttl ${formatDuration(ttl)} (${job.at.ttl ?? sources.ttl}); the ttl caps it`,
      });
    }
    if (idle > ttl) typed.idleTimeout = ttl;
    jobs[name] = { ...typed, name, source, values: job.values, unavailable, at: job.at };
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
