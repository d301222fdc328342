/**
 * Loads the effective configuration (SPEC §12.1): defaults → user file → repo file (at the git root) →
 * profile → CRABBOX_* env → flags. Every value remembers its source for `config show` and errors.
 */
import { isMap, isScalar, LineCounter, type Node, parseDocument, visit, type YAMLMap } from "yaml";
import { join } from "node:path";
import type { Deps } from "../core/deps.ts";
import { configError } from "../core/errors.ts";
import { JOB_KEYS, KEYS, OTHER_ENV, PROFILE_KEYS } from "./schema.ts";
import { coerce, suggest } from "./values.ts";
import { isTokenBearingName, secretKeyProblem, secretValueProblem } from "./secrets.ts";
import { allowEntryProblem } from "./env_allow.ts";

export type FileKind = "user" | "repo";

export interface JobDefinition {
  name: string;
  source: string;
  values: Record<string, unknown>;
}

export interface LoadedConfig {
  values: Record<string, unknown>;
  sources: Record<string, string>;
  files: { path: string; kind: FileKind; exists: boolean }[];
  jobs: Record<string, JobDefinition>;
  profiles: Record<string, Record<string, unknown>>;
  warnings: string[];
  repoFile: string | null;
}

type LoadDeps = Pick<Deps, "fs" | "env" | "system">;

export function userConfigPath(deps: Pick<Deps, "env" | "system">): string {
  const explicit = deps.env.get("CRABBOX_CONFIG");
  if (explicit) return explicit;
  const xdg = deps.env.get("XDG_CONFIG_HOME");
  return join(
    xdg && xdg.startsWith("/") ? xdg : join(deps.system.homeDir(), ".config"),
    "crabbox",
    "config.yaml",
  );
}

export async function loadConfig(
  deps: LoadDeps,
  input: { gitRoot: string | null; profile?: string; flags?: Record<string, unknown> },
): Promise<LoadedConfig> {
  const loaded: LoadedConfig = {
    values: Object.fromEntries(Object.entries(KEYS).map(([k, s]) => [k, structuredClone(s.default)])),
    sources: Object.fromEntries(Object.keys(KEYS).map((k) => [k, "default"])),
    files: [],
    jobs: {},
    profiles: {},
    warnings: [],
    repoFile: null,
  };
  const userPath = userConfigPath(deps);
  await applyFile(deps, loaded, userPath, "user");
  if (input.gitRoot) {
    const candidates = [join(input.gitRoot, ".crabbox.yaml"), join(input.gitRoot, "crabbox.yaml")];
    const present = [];
    for (const path of candidates) if (await deps.fs.lstat(path)) present.push(path);
    if (present.length > 1) {
      throw configError(
        `both ${present[0]} and ${present[1]} exist`,
        "keep one repo config file (.crabbox.yaml) and delete the other",
      );
    }
    loaded.repoFile = present[0] ?? null;
    await applyFile(deps, loaded, present[0] ?? candidates[0], "repo");
  }
  const profile = input.profile ?? deps.env.get("CRABBOX_PROFILE") ?? (loaded.values.profile as string);
  if (profile !== "default" || loaded.profiles[profile]) {
    const overlay = loaded.profiles[profile];
    if (!overlay) {
      throw configError(
        `profile "${profile}" is not defined${suggest(profile, Object.keys(loaded.profiles))}`,
        "define it under profiles: in .crabbox.yaml or the user config, or drop --profile",
      );
    }
    for (const [key, value] of Object.entries(overlay)) {
      set(
        loaded,
        key,
        key === "sync.exclude" ? [...(loaded.values[key] as string[]), ...(value as string[])] : value,
        `profile ${profile}`,
      );
    }
    loaded.values.profile = profile;
    loaded.sources.profile = input.profile ? "flag --profile" : loaded.sources.profile;
  }
  applyEnv(deps, loaded);
  for (const [key, value] of Object.entries(input.flags ?? {})) {
    if (value !== undefined) set(loaded, key, value, `flag --${key.split(".").pop()}`);
  }
  if ((loaded.values.idleTimeout as number) > (loaded.values.ttl as number)) {
    throw configError(
      `idleTimeout (${loaded.sources.idleTimeout}) is longer than ttl (${loaded.sources.ttl})`,
      "make the idle timeout at most the ttl",
    );
  }
  return loaded;
}

function set(loaded: LoadedConfig, key: string, value: unknown, source: string): void {
  loaded.values[key] = value;
  loaded.sources[key] = source;
}

function applyEnv(deps: LoadDeps, loaded: LoadedConfig): void {
  const known = new Set(OTHER_ENV);
  for (const [key, spec] of Object.entries(KEYS)) {
    if (!spec.env) continue;
    known.add(spec.env);
    const raw = deps.env.get(spec.env);
    if (raw === undefined || raw === "") continue;
    try {
      set(loaded, key, coerce(spec.type, raw, spec, true), `env ${spec.env}`);
      if (key === "env.allow") checkAllowList(loaded.values[key] as string[], "env");
    } catch (error) {
      throw configError(`${spec.env}: ${(error as Error).message}`, `fix or unset ${spec.env}`);
    }
  }
  for (const name of Object.keys(deps.env.all())) {
    if (name.startsWith("CRABBOX_") && !known.has(name)) {
      loaded.warnings.push(`unknown environment variable ${name}${suggest(name, [...known])}`);
    }
  }
}

async function applyFile(deps: LoadDeps, loaded: LoadedConfig, path: string, kind: FileKind): Promise<void> {
  let text: string;
  try {
    text = await deps.fs.readTextFile(path);
  } catch {
    loaded.files.push({ path, kind, exists: false });
    return;
  }
  loaded.files.push({ path, kind, exists: true });
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const where = (node: Node | null | undefined) => {
    const pos = node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
    return `${path}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const pos = lines.linePos(error.pos[0]);
    throw configError(
      `${path}:${pos.line}:${pos.col}: ${error.message.split("\n")[0]}`,
      "fix the YAML syntax",
    );
  }
  if (doc.contents === null) return;
  if (!isMap(doc.contents)) {
    throw configError(
      `${where(doc.contents)}: the config must be a map of keys`,
      "see README: Configuration",
    );
  }
  const fail = (node: Node | null | undefined, message: string, hint: string) => {
    throw configError(`${where(node)}: ${message}`, hint);
  };
  // Secrets anywhere in the file: an error in the repo config, a warning in the user config.
  visit(doc, {
    Pair(_, pair) {
      const keyNode = pair.key as Node;
      const name = isScalar(keyNode) ? String(keyNode.value) : "";
      const problem = secretKeyProblem(name) ?? secretValueProblem(pair.value as Node | null);
      if (!problem) return;
      const hint = "keep secrets out of the repo config; the token is read from HCLOUD_TOKEN only";
      if (kind === "repo") fail(keyNode, `${problem} under "${name}"`, hint);
      loaded.warnings.push(`${where(keyNode)}: ${problem} under "${name}"`);
    },
  });
  walk(doc.contents, "", (key, node, valueNode) => {
    const line = `${kind} ${path}:${where(valueNode).split(":").at(-2)}`;
    if (key.startsWith("profiles.") || key.startsWith("jobs.")) {
      return handleNested(key, node, valueNode, line);
    }
    const spec = KEYS[key];
    if (!spec) return "descend";
    if (spec.userOnly && kind === "repo") {
      fail(node, `${key} may only be set in the user config`, `move it to ${userConfigPath(deps)}`);
    }
    if (key === "policy.jobsOnly" && kind === "user") {
      fail(node, "policy.jobsOnly is effective only in the repo config", "move it to .crabbox.yaml");
    }
    try {
      set(loaded, key, coerce(spec.type, toJs(valueNode), spec), line);
      if (key === "env.allow") checkAllowList(loaded.values[key] as string[], kind);
    } catch (error) {
      fail(valueNode, `${key} ${(error as Error).message}`, `fix ${key} in ${path}`);
    }
    return "done";
  }, (key, node, parent) => {
    const candidates = [...Object.keys(KEYS), "profiles", "jobs"]
      .filter((k) => k.startsWith(parent ? parent + "." : ""))
      .map((k) => k.slice(parent ? parent.length + 1 : 0).split(".")[0]);
    fail(
      node,
      `unknown key "${key.split(".").pop()}"${parent ? ` in ${parent}` : ""}${
        suggest(key.split(".").pop()!, [...new Set(candidates)])
      }`,
      "remove it or fix its spelling (see README: Configuration)",
    );
  });
  const locations = doc.getIn(["hetzner", "locations"], true) as Node | undefined;
  const location = doc.getIn(["hetzner", "location"], true) as Node | undefined;
  if (locations && location) {
    fail(location, "hetzner.location and hetzner.locations are both set", "keep one of them");
  }

  function handleNested(key: string, node: Node, valueNode: Node | null, line: string): "done" {
    const [group, name] = key.split(".");
    if (!isMap(valueNode)) fail(valueNode ?? node, `${key} must be a map`, `see README: Configuration`);
    if (group === "jobs") {
      if (kind === "user") {
        fail(node, "jobs may only be defined in the repo config", "move them to .crabbox.yaml");
      }
      if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name)) {
        fail(
          node,
          `job name "${name}" is invalid`,
          "use lowercase letters, digits, '.', '_' or '-' (start with a letter or digit)",
        );
      }
    }
    const allowed = group === "jobs" ? Object.keys(JOB_KEYS) : PROFILE_KEYS;
    const values: Record<string, unknown> = {};
    walk(valueNode as YAMLMap, "", (sub, subNode, subValue) => {
      if (!allowed.includes(sub)) return allowed.some((a) => a.startsWith(sub + ".")) ? "descend" : "unknown";
      const type = group === "jobs" ? JOB_KEYS[sub] : KEYS[sub].type;
      try {
        values[sub] = type === "command"
          ? commandValue(toJs(subValue))
          : type === "stop"
          ? stopValue(toJs(subValue))
          : coerce(type, toJs(subValue), group === "jobs" ? {} : KEYS[sub]);
      } catch (error) {
        fail(
          subValue ?? subNode,
          `${key}.${sub} ${(error as Error).message}`,
          `fix ${key}.${sub} in ${path}`,
        );
      }
      return "done";
    }, (sub, subNode) => {
      const leaf = sub.split(".").pop()!;
      fail(
        subNode,
        `unknown key "${leaf}" in ${key}${suggest(leaf, allowed.map((a) => a.split(".").pop()!))}`,
        `remove it or fix its spelling`,
      );
    });
    if (group === "jobs") {
      if ((values.command === undefined) === (values.syncOnly !== true)) {
        fail(node, `${key} needs exactly one of command or syncOnly: true`, `add a command to ${key}`);
      }
      const workdir = values.workdir as string | undefined;
      if (workdir && (workdir.startsWith("/") || workdir.split("/").includes(".."))) {
        fail(node, `${key}.workdir must be a relative path inside the repo`, "use a path like packages/api");
      }
      loaded.jobs[name] = { name, source: `${path.split("/").pop()}:${line.split(":").pop()}`, values };
    } else {
      loaded.profiles[name] = { ...loaded.profiles[name], ...values };
    }
    return "done";
  }
}

type Visit = (key: string, keyNode: Node, valueNode: Node | null) => "done" | "descend" | "unknown";

function walk(
  map: YAMLMap,
  prefix: string,
  visit: Visit,
  unknown: (key: string, node: Node, parent: string) => void,
) {
  for (const pair of map.items) {
    const keyNode = pair.key as Node;
    const name = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const key = prefix ? `${prefix}.${name}` : name;
    const valueNode = (pair.value ?? null) as Node | null;
    const verdict = visit(key, keyNode, valueNode);
    if (verdict === "done") continue;
    if (verdict === "descend" && isMap(valueNode)) walk(valueNode, key, visit, unknown);
    else unknown(key, keyNode, prefix);
  }
}

/** Entries must be names or PREFIX_*; the repo config may not ask for token-bearing names. */
function checkAllowList(entries: string[], kind: FileKind | "env"): void {
  for (const entry of entries) {
    const problem = allowEntryProblem(entry);
    if (problem) throw new Error(problem);
    if (kind === "repo" && isTokenBearingName(entry.replace(/\*$/, ""))) {
      throw new Error(
        `names a secret-looking variable "${entry}"; a repo config may not forward tokens (name it with --allow-env if you must)`,
      );
    }
  }
}

function toJs(node: Node | null): unknown {
  return node === null ? null : (node as unknown as { toJSON(): unknown }).toJSON();
}

function commandValue(value: unknown): string | string[] {
  if (typeof value === "string" && value.trim() !== "") return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")) return value;
  throw new Error("must be a command string or a non-empty list of words");
}

function stopValue(value: unknown): string {
  const choices = ["auto", "always", "success", "failure", "never"];
  if (typeof value === "string" && choices.includes(value)) return value;
  throw new Error(`must be one of ${choices.join(", ")}`);
}
