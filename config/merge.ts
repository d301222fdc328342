/**
 * Precedence (SPEC §12.1): defaults → user file → repo file → selected profile → CRABBOX_* env → flags.
 * Every value keeps its source. Lists replace, except sync.exclude (appends across user, repo, profile)
 * and env.allow (the §9.4 layers); env.set maps merge name by name; budget keys take the tighter value
 * across the files. Pure.
 */
import { configError } from "../core/errors.ts";
import { formatDuration } from "../core/duration.ts";
import { KEYS } from "./schema.ts";
import { suggest } from "./values.ts";
import { layerEnvAllow } from "./env_allow.ts";
import type { FileLayer, Setting } from "./validate.ts";
import type { Override } from "./env_layer.ts";

export interface MergeInput {
  defaults: Record<string, unknown>;
  /** The files that exist, user first. */
  files: FileLayer[];
  env: Record<string, Override>;
  flags: Record<string, Override>;
}

export interface Merged {
  values: Record<string, unknown>;
  sources: Record<string, string>;
  /** Profiles from both files, merged key by key (repo wins), with each key's source. */
  profiles: Record<string, Record<string, Override>>;
  /** The config layers of env.allow (job and --allow-env entries are appended later). */
  envAllow: string[];
  /** Exact names in envAllow that a human chose in the user config (may forward token-bearing names). */
  envAllowFromUser: string[];
  /** A profile used as a plain label, an idle timeout capped by the ttl. */
  warnings: string[];
}

/** A limit where 0 means none: the tighter of two. */
const tighterLimit = (a: unknown, b: unknown) =>
  (a as number) === 0 ? b : (b as number) === 0 ? a : Math.min(a as number, b as number);

/**
 * Budget keys across the user and repo files: the tighter value wins, so a cloned repo can tighten the
 * user's budget but never loosen it (the environment and flags, chosen by whoever runs crabbox, still do).
 */
const TIGHTEST: Record<string, (earlier: unknown, later: unknown) => unknown> = {
  "budget.maxActive": tighterLimit,
  "budget.maxHourly": tighterLimit,
  "budget.scope": (a, b) => (a === "project" || b === "project" ? "project" : "owner"),
};

export function mergeLayers(input: MergeInput): Merged {
  const values: Record<string, unknown> = structuredClone(input.defaults);
  const sources: Record<string, string> = Object.fromEntries(Object.keys(KEYS).map((k) => [k, "default"]));
  const allow = {
    user: null as string[] | null,
    repo: null as string[] | null,
    profile: null as string[] | null,
  };
  const human = new Set<string>();
  const set = (key: string, value: unknown, source: string) => {
    // The earlier file's tighter budget stays, with its source.
    if (TIGHTEST[key] && /^(user|repo) /.test(source) && TIGHTEST[key](values[key], value) !== value) return;
    if (key === "sync.exclude" && !source.startsWith("env ") && !source.startsWith("flag ")) {
      value = [...(values[key] as string[]), ...(value as string[])];
    } else if (key === "env.set") {
      value = { ...(values[key] as Record<string, string>), ...(value as Record<string, string>) };
    }
    // A later layer's location list replaces an earlier single location (location wins when both are set).
    if (key === "hetzner.locations" && values["hetzner.location"] !== "") {
      values["hetzner.location"] = "";
      sources["hetzner.location"] = source;
    }
    values[key] = value;
    sources[key] = source;
  };

  for (const file of input.files) {
    for (const [key, setting] of Object.entries(file.settings)) {
      if (key === "env.allow") allow[file.kind] = setting.value as string[];
      set(key, setting.value, fileSource(file, setting));
    }
  }
  const profiles = mergeProfiles(input.files);
  const profileName = (input.flags.profile?.value ?? input.env.profile?.value ?? values.profile) as string;
  const profileSource = input.flags.profile?.source ?? input.env.profile?.source ?? sources.profile;
  const overlay = profiles[profileName];
  const warnings: string[] = [];
  if (!overlay && profileName !== "default") {
    const defined = Object.keys(profiles).sort();
    // Chosen on the command line or in the environment: a typo must not pass. Written in a file: the Go
    // crabbox CLI's meaning, a plain label (its `crabbox init` writes `profile: <repo>-check` alone).
    if (!/^(user|repo) /.test(profileSource)) {
      throw configError(
        `profile "${profileName}" (${profileSource}) is not defined${suggest(profileName, defined)}`,
        defined.length
          ? `defined profiles: ${defined.join(", ")}`
          : "define it under profiles: in a config file",
      );
    }
    warnings.push(
      `${
        profileSource.replace(/^(user|repo) /, "")
      }: profile "${profileName}" has no profiles.${profileName} ` +
        `entry; it is used as a plain label${suggest(profileName, defined)}`,
    );
  }
  for (const [key, { value, source }] of Object.entries(overlay ?? {})) {
    if (key === "env.allow") {
      allow.profile = value as string[];
      if (source.startsWith("user ")) { for (const name of value as string[]) human.add(name); }
    }
    set(key, value, `profile ${profileName}`);
  }
  for (const layer of [input.env, input.flags]) {
    for (const [key, { value, source }] of Object.entries(layer)) set(key, value, source);
  }
  for (const name of allow.user ?? []) human.add(name);
  const envAllow = layerEnvAllow({
    defaults: KEYS["env.allow"].default as string[],
    ...allow,
    env: (input.env["env.allow"]?.value as string[] | undefined) ?? null,
  });
  values["env.allow"] = envAllow;
  const capped = capIdleTimeout(values, sources);
  if (capped) warnings.push(capped);
  return {
    values,
    sources,
    profiles,
    envAllow,
    envAllowFromUser: envAllow.filter((n) => !n.endsWith("*") && human.has(n)),
    warnings,
  };
}

function fileSource(file: FileLayer, setting: Setting): string {
  return `${file.kind} ${file.path}:${setting.line}`;
}

function mergeProfiles(files: FileLayer[]): Record<string, Record<string, Override>> {
  const out: Record<string, Record<string, Override>> = {};
  for (const file of files) {
    for (const [name, settings] of Object.entries(file.profiles)) {
      out[name] ??= {};
      for (const [key, setting] of Object.entries(settings)) {
        out[name][key] = { value: setting.value, source: fileSource(file, setting) };
      }
    }
  }
  return out;
}

/**
 * idle ≤ ttl. An idle timeout nobody set follows a shorter ttl down; one set in a file (or only one of the
 * two flags) is capped by the ttl with a warning naming both sources; both flags contradicting each other
 * is an error.
 */
function capIdleTimeout(values: Record<string, unknown>, sources: Record<string, string>): string | null {
  const ttl = values.ttl as number;
  const idle = values.idleTimeout as number;
  if (idle <= ttl) return null;
  const original = sources.idleTimeout;
  if (original === "default") {
    values.idleTimeout = ttl;
    sources.idleTimeout = "default (capped at ttl)";
    return null;
  }
  const both = `idleTimeout ${formatDuration(idle)} (${original}) is longer than ttl ${
    formatDuration(ttl)
  } (${sources.ttl})`;
  if (original.startsWith("flag ") && sources.ttl.startsWith("flag ")) {
    throw configError(both, "make the idle timeout at most the ttl");
  }
  values.idleTimeout = ttl;
  sources.idleTimeout = `${original} (capped at ttl)`;
  return `${both}; the ttl caps it at ${formatDuration(ttl)}`;
}
