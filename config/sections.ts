/** Reading one map of a config file against a key table, with located errors. Shared by files, profiles, jobs. */
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from "yaml";
import { configError } from "../core/errors.ts";
import type { KeySpec } from "./schema.ts";
import { coerce, suggest } from "./values.ts";
import { isTokenBearingName } from "./secrets.ts";
import { allowEntryProblem, ENV_NAME } from "./env_allow.ts";
import type { ParsedYaml } from "./yaml_doc.ts";

export type FileKind = "user" | "repo";

/** One parsed key of a section: its value and nodes. */
export interface Entry {
  value: unknown;
  keyNode: Node;
  valueNode: Node | null;
}

export const SECRETS_HINT =
  "keep secrets out of the repo config: the Hetzner token comes only from HCLOUD_TOKEN; forward other " +
  "secrets by exact name from your user config env.allow or with --allow-env";

/** env.allow entries (names or PREFIX_*, no secrets in the repo) and env.set names. */
export function checkEnvEntries(
  yaml: ParsedYaml,
  entries: Record<string, Entry>,
  label: string,
  kind: FileKind,
): void {
  const allow = entries["env.allow"];
  (allow?.value as string[] | undefined)?.forEach((name, i) => {
    const node = isSeq(allow!.valueNode) ? yaml.resolve(allow!.valueNode.items[i]) : allow!.valueNode;
    const problem = allowEntryProblem(name);
    if (problem) {
      throw configError(`${yaml.at(node)}: ${label}env.allow ${problem}`, "list names like CI or PROJECT_*");
    }
    if (kind === "repo" && isTokenBearingName(name.replace(/\*$/, ""))) {
      throw configError(
        `${
          yaml.at(node)
        }: ${label}env.allow names a secret-looking variable "${name}"; the repo config may not forward secrets`,
        SECRETS_HINT,
      );
    }
  });
  const set = entries["env.set"];
  for (const name of Object.keys((set?.value as Record<string, string> | undefined) ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw configError(
        `${yaml.at(set!.valueNode)}: ${label}env.set name "${name}" is not a valid environment variable name`,
        "use letters, digits and _ (not starting with a digit)",
      );
    }
  }
}

/**
 * Reads a map against a key table (dotted names): leaves are coerced, groups (`hetzner:`) descend,
 * anything else is an unknown key with a "did you mean". `special` handles sections parsed elsewhere.
 */
export interface SectionOptions {
  /** Printed before keys in messages (`jobs.test`); "" at the top level. */
  label: string;
  /** Top-level names handled by the caller (`profiles`, `jobs`). */
  special?: Record<string, (entry: Entry) => void>;
  /** Hint for an unknown key; defaults to "remove it or fix its spelling". */
  unknownHint?: string;
}

export function readSection(
  yaml: ParsedYaml,
  map: YAMLMap,
  specs: Record<string, KeySpec>,
  options: SectionOptions,
  prefix = "",
): Record<string, Entry> {
  const { label, special = {} } = options;
  const out: Record<string, Entry> = {};
  for (const pair of map.items) {
    const keyNode = pair.key as Node;
    const name = keyName(yaml, keyNode);
    const key = prefix ? `${prefix}.${name}` : name;
    const valueNode = yaml.resolve(pair.value);
    const where = label ? `${label}.${key}` : key;
    if (name.includes(".")) {
      const [group, ...rest] = name.split(".");
      const known = specs[key] !== undefined;
      throw configError(
        `${yaml.at(keyNode)}: unknown key "${name}"${inside(label, prefix)}`,
        known
          ? `write it nested: "${group}:" and, indented below it, "${rest.join(".")}:"`
          : "remove it or fix its spelling (see README: Configuration)",
      );
    }
    if (!prefix && special[name]) {
      special[name]({ value: null, keyNode, valueNode });
    } else if (specs[key]) {
      try {
        out[key] = { value: coerce(specs[key], yaml.value(valueNode)), keyNode, valueNode };
      } catch (error) {
        throw configError(
          `${yaml.at(valueNode ?? keyNode)}: ${where} ${(error as Error).message}`,
          `fix ${where} in ${yaml.path}`,
        );
      }
    } else if (Object.keys(specs).some((k) => k.startsWith(`${key}.`))) {
      const group = sectionMap(yaml, { value: null, keyNode, valueNode }, where);
      if (group) Object.assign(out, readSection(yaml, group, specs, { ...options, special: {} }, key));
    } else {
      const siblings = [...Object.keys(specs), ...(prefix ? [] : Object.keys(special))]
        .filter((k) => !prefix || k.startsWith(`${prefix}.`))
        .map((k) => k.slice(prefix ? prefix.length + 1 : 0).split(".")[0]);
      throw configError(
        `${yaml.at(keyNode)}: unknown key "${name}"${inside(label, prefix)}${suggest(name, siblings)}`,
        options.unknownHint ?? "remove it or fix its spelling (see README: Configuration)",
      );
    }
  }
  return out;
}

function inside(label: string, prefix: string): string {
  const where = [label, prefix].filter(Boolean).join(".");
  return where ? ` in ${where}` : "";
}

/** A section's map; null (an empty section) is allowed, anything else is an error. */
export function sectionMap(yaml: ParsedYaml, entry: Entry, label: string): YAMLMap | null {
  if (entry.valueNode === null || (isScalar(entry.valueNode) && entry.valueNode.value === null)) return null;
  if (!isMap(entry.valueNode)) {
    throw configError(
      `${yaml.at(entry.valueNode)}: ${label} must be a map of keys`,
      `write it as "${label.split(".").pop()}:" followed by indented keys`,
    );
  }
  return entry.valueNode;
}

export function keyName(yaml: ParsedYaml, keyNode: Node): string {
  if (isScalar(keyNode) && (typeof keyNode.value === "string" || typeof keyNode.value === "number")) {
    return String(keyNode.value);
  }
  throw configError(`${yaml.at(keyNode)}: keys must be plain names`, "write the key as a plain word");
}
