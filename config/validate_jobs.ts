/** The `jobs:` section (SPEC §11.1): names, keys, and the rules that tie a job's keys together. */
import type { Node } from "yaml";
import { configError, usageError } from "../core/errors.ts";
import { JOB_KEYS, JOB_NAME } from "./schema.ts";
import { formatDuration } from "../core/duration.ts";
import type { ParsedYaml } from "./yaml_doc.ts";
import { GO_JOB_KEYS } from "./compat.ts";
import type { Problems } from "./problems.ts";
import {
  checkEnvEntries,
  type CompatWarning,
  type Entry,
  keyName,
  readSection,
  sectionMap,
} from "./sections.ts";

const JOB_NAME_HINT = "use 1–63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit";

/**
 * A job name from the command line, checked before it names any file (`crabbox-<name>-plan.json`):
 * `../../x` must never become a path. Quoted as JSON so a newline cannot split the error line.
 */
export function checkJobName(name: string): void {
  if (!JOB_NAME.test(name)) {
    throw usageError(`job name ${JSON.stringify(name)} is invalid`, `${JOB_NAME_HINT}; see crabbox job list`);
  }
}

export interface JobLayer {
  /** Line of the job's name. */
  line: number;
  /** Parsed values by dotted job key (`env.allow`, `ttl`, …). */
  values: Record<string, unknown>;
  /** `file:line:col` of the job name and of each key, for errors found after merging (an unknown profile). */
  at: Record<string, string>;
  /** Why this job cannot run here (Go keys such as `network: tailscale`), each with its position. */
  unavailable: string[];
}

export function readJobs(
  yaml: ParsedYaml,
  entry: Entry,
  problems: Problems,
  warnings: CompatWarning[],
): Record<string, JobLayer> {
  const jobs: Record<string, JobLayer> = {};
  const map = sectionMap(yaml, entry, "jobs");
  for (const pair of map ? yaml.pairs(map) : []) {
    problems.collect(() => {
      const keyNode = pair.key as Node;
      const name = keyName(yaml, keyNode);
      const label = `jobs.${name}`;
      if (!JOB_NAME.test(name)) {
        throw configError(`${yaml.at(keyNode)}: job name "${name}" is invalid`, JOB_NAME_HINT);
      }
      const body = sectionMap(yaml, { value: null, keyNode, valueNode: yaml.resolve(pair.value) }, label);
      const unavailable: string[] = [];
      const before = problems.list.length;
      const entries = body
        ? readSection(yaml, body, JOB_KEYS, {
          label,
          unknownHint: `job keys: ${
            Object.keys(JOB_KEYS).join(", ")
          } (and the Go CLI's, see docs/configuration.md)`,
          problems,
          compat: { table: GO_JOB_KEYS, scope: "job", warnings, unavailable },
        })
        : {};
      checkEnvEntries(yaml, entries, `${label}.`, "repo", problems);
      const written = new Set(
        body ? yaml.pairs(body).map((p) => String((p.key as { value?: unknown }).value)) : [],
      );
      // A misspelt key (comand:) is the problem to report, not the command it leaves missing.
      if (problems.list.length === before) {
        checkJob(yaml, label, keyNode, entries, problems, warnings, written);
      }
      jobs[name] = {
        line: yaml.line(keyNode),
        values: Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, e.value])),
        at: {
          "": yaml.at(keyNode),
          ...Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, yaml.at(e.keyNode)])),
        },
        unavailable,
      };
    });
  }
  return jobs;
}

function checkJob(
  yaml: ParsedYaml,
  label: string,
  keyNode: Node,
  entries: Record<string, Entry>,
  problems: Problems,
  warnings: CompatWarning[],
  written: Set<string>,
): void {
  const fail = (node: Node, message: string, hint: string) =>
    problems.add(`${yaml.at(node)}: ${label} ${message}`, hint);
  const hasCommand = entries.command !== undefined;
  const syncOnly = entries.syncOnly?.value === true;
  if (hasCommand && syncOnly) {
    fail(entries.syncOnly.keyNode, "sets both command and syncOnly: true", "keep one of them");
  }
  if (!hasCommand && !syncOnly && !written.has("command")) {
    fail(
      keyNode,
      "needs exactly one of command or syncOnly: true",
      `add "command: …" (or "syncOnly: true") to ${label}`,
    );
  }
  if (syncOnly && entries.noSync?.value === true) {
    fail(entries.noSync.keyNode, "sets both syncOnly and noSync", "a sync-only job must sync; drop noSync");
  }
  const collected = ["junit", "artifacts", "requiredArtifacts", "downloads"].filter((key) =>
    syncOnly && Array.isArray(entries[key]?.value) && (entries[key].value as unknown[]).length > 0
  );
  if (collected.length > 0) {
    // Nothing runs, so nothing is produced to collect: `job run` and its plan (run --sync-only) skip them.
    warnings.push({
      id: `sync-only-collect:${label}`,
      message: `${yaml.at(entries[collected[0]].keyNode)}: ${label} is syncOnly: ${
        collected.join(", ")
      } ignored (a sync-only job runs no command to collect from)`,
    });
  }
  if (entries.shell?.value === true && Array.isArray(entries.command?.value)) {
    fail(
      entries.shell.keyNode,
      "sets shell: true with a list command",
      "write the command as one string for the shell, or drop shell: true to run the list as argv",
    );
  }
  const ttl = entries.ttl?.value as number | undefined;
  const idle = entries.idleTimeout?.value as number | undefined;
  if (ttl !== undefined && idle !== undefined && idle > ttl) {
    warnings.push({
      id: `job-bounds:${label}`,
      message:
        `${yaml.at(entries.idleTimeout.keyNode)}: ${label}.idleTimeout ${formatDuration(idle)} is longer ` +
        `than its ttl ${formatDuration(ttl)} (${yaml.at(entries.ttl.keyNode)}); the ttl caps it`,
    });
  }
}
