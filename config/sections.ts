/** Reading one map of a config file against a key table, with located errors. Shared by files, profiles, jobs. */
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from "yaml";
import { configError } from "../core/errors.ts";
import type { KeySpec } from "./schema.ts";
import { type CompatTable, type GoKey, lookupGoKey, type Outcome } from "./compat.ts";
import type { Problems } from "./problems.ts";
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
  /** A Go crabbox spelling, folded into `to` once the whole section is read. */
  alias?: { to: string; combine: "append" | "override" | "yield" | "conflict"; from: string };
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
  problems: Problems,
): void {
  const allow = entries["env.allow"];
  (allow?.value as string[] | undefined)?.forEach((name, i) => {
    const node = (isSeq(allow!.valueNode) ? yaml.resolve(allow!.valueNode.items[i]) : allow!.valueNode) ??
      allow!.keyNode;
    const problem = allowEntryProblem(name);
    if (problem) {
      problems.add(`${yaml.at(node)}: ${label}env.allow ${problem}`, "list names like CI or PROJECT_*");
      return;
    }
    if (kind === "repo" && isTokenBearingName(name.replace(/\*$/, ""))) {
      problems.add(
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
      problems.add(
        `${yaml.at(set!.valueNode)}: ${label}env.set name "${name}" is not a valid environment variable name`,
        "use letters, digits and _ (not starting with a digit)",
      );
    }
  }
}

/** A warning from a Go crabbox key; `id` identifies the table entry, so each is printed once. */
export interface CompatWarning {
  id: string;
  message: string;
}

/** Where the Go crabbox keys of a section are looked up, and where their findings go. */
export interface CompatContext {
  table: CompatTable;
  /** Prefix of warning ids (`top`, `profile`, `job`): one warning per key and level. */
  scope: string;
  warnings: CompatWarning[];
  /** A job's reasons for not being runnable here (`provider: "aws" is not supported: …`). */
  unavailable?: string[];
}

/**
 * Reads a map against a key table (dotted names): leaves are coerced, groups (`hetzner:`) descend, Go
 * crabbox keys go through the compat table, anything else is an unknown key with a "did you mean".
 * `special` handles sections parsed elsewhere. Every problem is collected; none stops the others.
 */
export interface SectionOptions {
  /** Printed before keys in messages (`jobs.test`); "" at the top level. */
  label: string;
  /** Top-level names handled by the caller (`profiles`, `jobs`). */
  special?: Record<string, (entry: Entry) => void>;
  /** Hint for an unknown key; defaults to "remove it or fix its spelling". */
  unknownHint?: string;
  problems: Problems;
  compat?: CompatContext;
}

export function readSection(
  yaml: ParsedYaml,
  map: YAMLMap,
  specs: Record<string, KeySpec>,
  options: SectionOptions,
  prefix = "",
): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  for (const pair of options.problems.collect(() => yaml.pairs(map)) ?? []) {
    options.problems.collect(() => readPair(yaml, pair, specs, options, prefix, out));
  }
  if (!prefix) resolveAliases(yaml, out, options);
  return out;
}

function readPair(
  yaml: ParsedYaml,
  pair: Pair,
  specs: Record<string, KeySpec>,
  options: SectionOptions,
  prefix: string,
  out: Record<string, Entry>,
): void {
  const { label, special = {} } = options;
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
        : "remove it or fix its spelling (see docs/configuration.md)",
    );
  }
  const goKey = options.compat ? lookupGoKey(options.compat.table, key) : null;
  // `x-…` at the top level holds YAML anchors for merge keys (the docker-compose convention): not a setting.
  if (!prefix && !label && options.compat && name.startsWith("x-")) return;
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
  } else if (Object.keys(specs).some((k) => k.startsWith(`${key}.`)) && !goKey?.spec.section) {
    const group = sectionMap(yaml, { value: null, keyNode, valueNode }, where);
    if (group) Object.assign(out, readSection(yaml, group, specs, { ...options, special: {} }, key));
  } else if (goKey) {
    readGoKey(yaml, goKey, { key, where, keyNode, valueNode }, specs, options, out);
  } else {
    const compatKeys = Object.keys(options.compat?.table ?? {}).filter((k) => !k.endsWith("*"));
    const siblings = [...Object.keys(specs), ...compatKeys, ...(prefix ? [] : Object.keys(special))]
      .filter((k) => !prefix || k.startsWith(`${prefix}.`))
      .map((k) => k.slice(prefix ? prefix.length + 1 : 0).split(".")[0]);
    throw configError(
      `${yaml.at(keyNode)}: unknown key "${name}"${inside(label, prefix)}${suggest(name, siblings)}`,
      options.unknownHint ?? "remove it or fix its spelling (see docs/configuration.md)",
    );
  }
}

/** One Go crabbox key, by its fate (config/compat.ts). */
function readGoKey(
  yaml: ParsedYaml,
  { id, spec }: { id: string; spec: GoKey },
  at: { key: string; where: string; keyNode: Node; valueNode: Node | null },
  specs: Record<string, KeySpec>,
  options: SectionOptions,
  out: Record<string, Entry>,
): void {
  const compat = options.compat!;
  const { where, keyNode, valueNode } = at;
  const name = where;
  const value = yaml.value(valueNode);
  const warn = (message: string) => compat.warnings.push({ id: `${compat.scope}:${id}`, message });
  if (spec.fate === "ignored") {
    const refusal = spec.refuseIf?.(value);
    if (refusal) throw configError(`${yaml.at(keyNode)}: ${name} ${refusal}`, spec.hint);
    warn(`${yaml.at(keyNode)}: ${name} is not applicable here: ${spec.note}; ignored`);
    return;
  }
  if (spec.fate === "refused") {
    throw configError(
      `${yaml.at(keyNode)}: ${name} is not supported: ${spec.note}`,
      spec.hint ?? `remove ${name} from ${yaml.path}`,
    );
  }
  let outcome: Outcome = { value };
  const mapEntry = id.endsWith(".*");
  try {
    if (spec.convert) outcome = spec.convert(value);
    if (spec.to && outcome.value !== undefined) {
      const native = mapEntry ? { [at.key.split(".").pop()!]: outcome.value } : outcome.value;
      outcome.value = coerce(specs[spec.to], native);
    }
  } catch (error) {
    throw configError(
      `${yaml.at(valueNode ?? keyNode)}: ${where} ${(error as Error).message}`,
      spec.hint ?? `fix ${where} in ${yaml.path} (see docs/configuration.md)`,
    );
  }
  if (outcome.warning) warn(`${yaml.at(valueNode ?? keyNode)}: ${where} ${outcome.warning}`);
  if (outcome.unavailable) compat.unavailable?.push(`${outcome.unavailable} (${yaml.at(keyNode)})`);
  if (!spec.to || outcome.value === undefined) return;
  out[at.key] = {
    value: outcome.value,
    keyNode,
    valueNode,
    alias: { to: spec.to, combine: spec.combine ?? "conflict", from: where },
  };
}

/** Folds the Go spellings into their native keys, in the order they were written. */
function resolveAliases(yaml: ParsedYaml, out: Record<string, Entry>, options: SectionOptions): void {
  for (const [key, entry] of Object.entries(out)) {
    if (!entry.alias) continue;
    delete out[key];
    const { to, combine, from } = entry.alias;
    const plain: Entry = { value: entry.value, keyNode: entry.keyNode, valueNode: entry.valueNode };
    const native = out[to];
    const label = options.label ? `${options.label}.${to}` : to;
    if (!native) {
      out[to] = plain;
    } else if (combine === "append") {
      native.value = Array.isArray(native.value)
        ? [...native.value, ...(entry.value as unknown[])]
        : { ...(native.value as object), ...(entry.value as object) };
    } else if (combine === "override") {
      out[to] = plain;
    } else if (combine === "yield") {
      options.compat?.warnings.push({
        id: `${options.compat.scope}:${from}`,
        message: `${yaml.at(entry.keyNode)}: ${from} is ignored: ${label} is also set (${
          yaml.at(native.keyNode)
        })`,
      });
    } else {
      options.problems.add(
        `${
          yaml.at(entry.keyNode)
        }: ${from} and ${label} are both set (${from} is the Go crabbox name of ${label})`,
        `keep one of them in ${yaml.path}`,
      );
    }
  }
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
