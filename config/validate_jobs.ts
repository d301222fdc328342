/** The `jobs:` section (SPEC §11.1): names, keys, and the rules that tie a job's keys together. */
import type { Node } from "yaml";
import { configError, usageError } from "../core/errors.ts";
import { JOB_KEYS, JOB_NAME } from "./schema.ts";
import { formatDuration } from "../core/duration.ts";
import type { ParsedYaml } from "./yaml_doc.ts";
import { checkEnvEntries, type Entry, keyName, readSection, sectionMap } from "./sections.ts";

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
}

export function readJobs(yaml: ParsedYaml, entry: Entry): Record<string, JobLayer> {
  const jobs: Record<string, JobLayer> = {};
  for (const pair of sectionMap(yaml, entry, "jobs")?.items ?? []) {
    const keyNode = pair.key as Node;
    const name = keyName(yaml, keyNode);
    const label = `jobs.${name}`;
    if (!JOB_NAME.test(name)) {
      throw configError(`${yaml.at(keyNode)}: job name "${name}" is invalid`, JOB_NAME_HINT);
    }
    const body = sectionMap(yaml, { value: null, keyNode, valueNode: yaml.resolve(pair.value) }, label);
    const entries = body
      ? readSection(yaml, body, JOB_KEYS, {
        label,
        unknownHint: `job keys: ${Object.keys(JOB_KEYS).join(", ")}`,
      })
      : {};
    checkEnvEntries(yaml, entries, `${label}.`, "repo");
    checkJob(yaml, label, keyNode, entries);
    jobs[name] = {
      line: yaml.line(keyNode),
      values: Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, e.value])),
      at: {
        "": yaml.at(keyNode),
        ...Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, yaml.at(e.keyNode)])),
      },
    };
  }
  return jobs;
}

function checkJob(yaml: ParsedYaml, label: string, keyNode: Node, entries: Record<string, Entry>): void {
  const fail = (node: Node, message: string, hint: string): never => {
    throw configError(`${yaml.at(node)}: ${label} ${message}`, hint);
  };
  const hasCommand = entries.command !== undefined;
  const syncOnly = entries.syncOnly?.value === true;
  if (hasCommand && syncOnly) {
    fail(entries.syncOnly.keyNode, "sets both command and syncOnly: true", "keep one of them");
  }
  if (!hasCommand && !syncOnly) {
    fail(
      keyNode,
      "needs exactly one of command or syncOnly: true",
      `add "command: …" (or "syncOnly: true") to ${label}`,
    );
  }
  if (syncOnly && entries.noSync?.value === true) {
    fail(entries.noSync.keyNode, "sets both syncOnly and noSync", "a sync-only job must sync; drop noSync");
  }
  const ttl = entries.ttl?.value as number | undefined;
  const idle = entries.idleTimeout?.value as number | undefined;
  if (ttl !== undefined && idle !== undefined && idle > ttl) {
    fail(
      entries.idleTimeout.keyNode,
      `idleTimeout ${formatDuration(idle)} is longer than its ttl ${formatDuration(ttl)}`,
      "make the idle timeout at most the ttl",
    );
  }
}
