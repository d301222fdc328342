/**
 * Strict validation of one config file (SPEC §12.3, §12.4): unknown keys, wrong types, bad durations and
 * sizes, ranges, enums, user-only keys, secrets — and the Go crabbox CLI's keys through config/compat.ts.
 * Pure: text in, typed layer out. Every problem of the file is collected in one pass, each starting with
 * `file:line:col`; validateFile throws them as one CrabboxError (exit 2). Driven by the tables in schema.ts.
 */
import type { Node } from "yaml";
import { configError } from "../core/errors.ts";
import { formatCount } from "../core/format.ts";
import { KEYS, PROFILE_KEYS } from "./schema.ts";
import { findSecrets } from "./secrets.ts";
import { type ParsedYaml, parseYaml } from "./yaml_doc.ts";
import { type JobLayer, readJobs } from "./validate_jobs.ts";
import { GO_PROFILE_KEYS, GO_TOP_KEYS } from "./compat.ts";
import { Problems } from "./problems.ts";
import {
  checkEnvEntries,
  type CompatWarning,
  type Entry,
  type FileKind,
  keyName,
  readSection,
  SECRETS_HINT,
  sectionMap,
} from "./sections.ts";

export type { FileKind } from "./sections.ts";
export type { JobLayer } from "./validate_jobs.ts";
export type { CompatWarning } from "./sections.ts";

export interface Setting {
  value: unknown;
  line: number;
}

/** What one file contributes. */
export interface FileLayer {
  path: string;
  kind: FileKind;
  settings: Record<string, Setting>;
  profiles: Record<string, Record<string, Setting>>;
  jobs: Record<string, JobLayer>;
  /** Secret warnings (user config). */
  warnings: string[];
  /** Go crabbox keys accepted but not applied here, and mapped values worth a note: one per key. */
  compatWarnings: CompatWarning[];
}

/** Config files are a few KiB; anything over 1 MiB is a mistake or an attack, refused before parsing. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The size rule, for a file about to be read (`read`) or already read (`parse`). */
export function configSizeError(path: string, bytes: number, step: "read" | "parse") {
  return configError(
    `${path}: config file is too large (${
      formatCount(bytes)
    } bytes; the limit is 1 MiB); refusing to ${step} it`,
    "a crabbox config is a short YAML file; check that this is the right file",
  );
}

/** Validates a file; every problem is thrown together as one error. */
export function validateFile(text: string, path: string, kind: FileKind): FileLayer {
  const problems = new Problems();
  const layer = readConfigFile(text, path, kind, problems);
  problems.throwIfAny();
  return layer;
}

/** Reads a file, adding every problem to `problems` (an unparsable file is one problem). */
export function readConfigFile(text: string, path: string, kind: FileKind, problems: Problems): FileLayer {
  const layer: FileLayer = {
    path,
    kind,
    settings: {},
    profiles: {},
    jobs: {},
    warnings: [],
    compatWarnings: [],
  };
  // Cheap bound first: a UTF-8 byte is at least a third of a UTF-16 unit.
  if (text.length > MAX_CONFIG_BYTES / 3) {
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > MAX_CONFIG_BYTES) throw configSizeError(path, bytes, "parse");
  }
  const yaml = problems.collect(() => parseYaml(text, path));
  if (!yaml) return layer;
  for (const finding of findSecrets(yaml.root)) {
    const message = `${yaml.at(finding.node)}: ${finding.path} ${finding.problem}`;
    if (kind === "repo") {
      problems.add(`${message}; secrets may not be stored in the repo config`, SECRETS_HINT);
    } else layer.warnings.push(`${message}; keep secrets in the environment, not in config files`);
  }
  if (yaml.root === null) return layer;
  const compat = { table: GO_TOP_KEYS, scope: "top", warnings: layer.compatWarnings };
  const special: Record<string, (entry: Entry) => void> = {
    profiles: (entry) => (layer.profiles = readProfiles(yaml, entry, kind, problems, layer.compatWarnings)),
    jobs: (entry) => {
      if (kind === "user") {
        throw configError(
          `${yaml.at(entry.keyNode)}: jobs may only be defined in the repo config (.crabbox.yaml)`,
          "move the jobs: section to .crabbox.yaml at the git root",
        );
      }
      layer.jobs = readJobs(yaml, entry, problems, layer.compatWarnings);
    },
  };
  const entries = readSection(yaml, yaml.root, KEYS, { label: "", special, problems, compat });
  for (const [key, entry] of Object.entries(entries)) {
    const spec = KEYS[key];
    if (spec.userOnly && kind === "repo") {
      problems.add(
        `${yaml.at(entry.keyNode)}: ${key} may only be set in the user config`,
        "a cloned repo must never redirect the token or run local commands; move it to your user config " +
          "(crabbox config path)",
      );
      continue;
    }
    if (key === "policy.jobsOnly" && kind === "user") {
      problems.add(
        `${yaml.at(entry.keyNode)}: policy.jobsOnly is effective only in the repo config`,
        "set it in .crabbox.yaml at the git root",
      );
      continue;
    }
    layer.settings[key] = { value: entry.value, line: yaml.line(entry.keyNode) };
  }
  if (entries["hetzner.location"] && entries["hetzner.locations"]) {
    problems.add(
      `${yaml.at(entries["hetzner.location"].keyNode)}: hetzner.location and hetzner.locations are both set`,
      "keep one: location (one exact location) or locations (an ordered fallback list)",
    );
  }
  checkEnvEntries(yaml, entries, "", kind, problems);
  return layer;
}

function readProfiles(
  yaml: ParsedYaml,
  entry: Entry,
  kind: FileKind,
  problems: Problems,
  warnings: CompatWarning[],
): Record<string, Record<string, Setting>> {
  const profiles: Record<string, Record<string, Setting>> = {};
  const map = sectionMap(yaml, entry, "profiles");
  const specs = Object.fromEntries(PROFILE_KEYS.map((k) => [k, KEYS[k]]));
  for (const pair of map ? yaml.pairs(map) : []) {
    problems.collect(() => {
      const name = keyName(yaml, pair.key as Node);
      const label = `profiles.${name}`;
      const body = sectionMap(yaml, {
        value: null,
        keyNode: pair.key as Node,
        valueNode: yaml.resolve(pair.value),
      }, label);
      const entries = body
        ? readSection(yaml, body, specs, {
          label,
          unknownHint: `a profile may set ${PROFILE_KEYS.join(", ")} (and the Go CLI's env, envAllow)`,
          problems,
          compat: { table: GO_PROFILE_KEYS, scope: "profile", warnings },
        })
        : {};
      checkEnvEntries(yaml, entries, `${label}.`, kind, problems);
      profiles[name] = Object.fromEntries(
        Object.entries(entries).map(([k, e]) => [k, { value: e.value, line: yaml.line(e.keyNode) }]),
      );
    });
  }
  return profiles;
}
