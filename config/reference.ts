/**
 * The configuration reference (docs/configuration.md) and the JSON Schema (docs/crabbox.schema.json),
 * generated from the key tables of config/schema.ts and the Go crabbox tables of config/compat.ts, so
 * the docs cannot drift from what validation accepts (tests/unit/docs_drift_test.ts checks both files).
 * Regenerate with: deno task gen:docs
 */
import { type CompatTable, GO_JOB_KEYS, GO_PROFILE_KEYS, GO_TOP_KEYS, type GoKey } from "./compat.ts";
import { JOB_KEYS, JOB_NAME, KEYS, type KeySpec, PROFILE_KEYS } from "./schema.ts";

const TYPE_NAMES: Record<KeySpec["type"], string> = {
  string: "string",
  duration: "duration",
  int: "integer",
  bool: "boolean",
  stringList: "list of strings",
  intList: "list of integers",
  number: "number",
  size: "size",
  stringMap: "map of strings",
  command: "string or list",
};

/** 5400 → 1h30m, 10 → 10s, 0 → 0 (the config syntax). */
function duration(secs: number): string {
  if (secs === 0) return "0";
  const parts: [number, string][] = [
    [Math.floor(secs / 3600), "h"],
    [Math.floor(secs / 60) % 60, "m"],
    [secs % 60, "s"],
  ];
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`).join("");
}

/** 5 GiB → 5GiB (the config syntax). */
function size(bytes: number): string {
  const units: [string, number][] = [["TiB", 1024 ** 4], ["GiB", 1024 ** 3], ["MiB", 1024 ** 2], [
    "KiB",
    1024,
  ]];
  for (const [unit, factor] of units) if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  return String(bytes);
}

function defaultText(spec: KeySpec): string {
  const value = spec.default;
  if (value === undefined || value === null || value === "") return "—";
  if (spec.type === "duration" && typeof value === "number") return `\`${duration(value)}\``;
  if (spec.type === "size" && typeof value === "number") return `\`${size(value)}\``;
  if (Array.isArray(value)) return value.length ? `\`[${value.join(", ")}]\`` : "`[]`";
  if (typeof value === "object") return Object.keys(value).length ? JSON.stringify(value) : "`{}`";
  return `\`${String(value)}\``;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function typeText(spec: KeySpec): string {
  const base = spec.choices ? spec.choices.map((c) => `\`${c}\``).join(" | ") : TYPE_NAMES[spec.type];
  return spec.digits ? `${base} (digit strings too)` : base;
}

function keyTable(specs: Record<string, KeySpec>, withSources: boolean): string[] {
  const head = withSources
    ? ["| Key | Type | Default | Env | Flag | Notes |", "|---|---|---|---|---|---|"]
    : ["| Key | Type | Default | Notes |", "|---|---|---|---|"];
  const rows = Object.entries(specs).map(([key, spec]) => {
    const notes = [spec.doc ?? "", spec.userOnly ? "User config only." : ""].filter(Boolean).join(" ");
    const cols = withSources
      ? [
        `\`${key}\``,
        typeText(spec),
        defaultText(spec),
        spec.env ? `\`${spec.env}\`` : "",
        spec.flag ? `\`${spec.flag}\`` : "",
        notes,
      ]
      : [`\`${key}\``, typeText(spec), defaultText(spec), notes];
    return `| ${cols.map(cell).join(" | ")} |`;
  });
  return [...head, ...rows];
}

const FATE_TEXT: Record<GoKey["fate"], string> = {
  same: "same",
  alias: "alias",
  ignored: "accepted, not applicable (warning)",
  refused: "refused (error)",
};

function compatTable(table: CompatTable, prefix: string): string[] {
  const rows = Object.entries(table).map(([key, spec]) => {
    const name = `\`${prefix}${key}${spec.section ? ".*" : ""}\``;
    const what = spec.fate === "alias" ? `→ \`${spec.to}\`: ${spec.note}` : spec.note;
    return `| ${cell(name)} | ${FATE_TEXT[spec.fate]} | ${cell(what)} |`;
  });
  return ["| Go key | Fate | Here |", "|---|---|---|", ...rows];
}

const PROFILE_SPECS = Object.fromEntries(PROFILE_KEYS.map((k) => [k, KEYS[k]]));

/** docs/configuration.md. */
export function renderReference(): string {
  return [
    "# Configuration reference",
    "",
    "<!-- Generated from config/schema.ts and config/compat.ts by `deno task gen:docs`; do not edit. -->",
    "",
    "Files, lowest to highest precedence: built-in defaults → user `$XDG_CONFIG_HOME/crabbox/config.yaml`",
    "(`CRABBOX_CONFIG` replaces it) → repo `.crabbox.yaml` (or `crabbox.yaml`) at the git root → the selected",
    "profile → `CRABBOX_*` environment → flags. Validation is strict: an unknown key, a wrong type or a bad",
    'value is an error naming `file:line:col` and the fix, with a "did you mean" for typos, and every problem',
    "of a file is reported in one pass (exit 2). Editors can check files with the JSON Schema",
    "[`crabbox.schema.json`](crabbox.schema.json), e.g. with yaml-language-server:",
    "",
    "```yaml",
    "# yaml-language-server: $schema=https://raw.githubusercontent.com/OWNER/crabbox/main/docs/crabbox.schema.json",
    "```",
    "",
    "Durations are `90m`, `1h30m`, `45s`; sizes are bytes or `512MiB`, `5GiB`. YAML anchors, aliases and",
    "merge keys (`<<: *defaults`, `<<: [*a, *b]`) work; top-level keys starting with `x-` hold anchors and",
    "are not settings.",
    "",
    "## Top-level keys",
    "",
    ...keyTable(KEYS, true),
    "",
    "## Profiles (`profiles.<name>`)",
    "",
    "A profile overlays these keys when selected (`profile:`, `--profile`, `CRABBOX_PROFILE`). Its",
    "`env.allow` appends to the allowlist; its `sync.exclude` appends to the rules.",
    "",
    ...keyTable(PROFILE_SPECS, false),
    "",
    "## Jobs (`jobs.<name>`, repo config only)",
    "",
    `Job names match \`${JOB_NAME.source}\`. Unset lease keys are inherited from the configuration.`,
    "",
    ...keyTable(JOB_KEYS, false),
    "",
    "### How a job's command runs",
    "",
    "- a **string** runs under `bash -lc` (so `&&`, pipes and `VAR=x` work); a trailing newline from a YAML",
    "  block scalar (`command: >`) is dropped;",
    "- a **list** is argv: each word is passed as is, no shell;",
    "- `shell: true` with a string is the same as a string; with a list it is an error;",
    "- `shell: false` with a string means what it means in the Go crabbox CLI: the string is split on",
    '  whitespace into argv (quotes are **not** parsed, so `echo "a b"` passes `"a` and `b"`). When the words',
    "  contain `&&`, `||`, `;`, `|`, `>`, `>>`, `<`, `2>`, `2>>` or start with `NAME=value`, a shell line is",
    "  built instead: operators and leading assignments stay bare, every other word is quoted.",
    "",
    "## Files written for the Go crabbox CLI",
    "",
    "Existing `.crabbox.yaml` files from the Go crabbox CLI (openclaw/crabbox) load here. Every key of its",
    "schema has a fate: **same** (accepted, same meaning), **alias** (accepted and mapped to the key named),",
    "**accepted, not applicable** (one warning per key saying why; the value is not applied) or **refused**",
    "(an error naming the key, the value and why). Keys in neither schema stay errors with a did-you-mean.",
    "",
    '- `provider:` other than `hetzner` is refused for the file\'s defaults (`provider "aws" is not supported:',
    "  this crabbox leases Hetzner Cloud directly`). `--provider hetzner` or `CRABBOX_PROVIDER=hetzner`",
    "  overrides it (flags > env > files): the other provider's sections and its `serverType` then become",
    "  not-applicable warnings. The same holds for `target:` other than `linux`, except that nothing",
    "  overrides it.",
    "- In a job, `provider`, `target`, `network: tailscale` or `desktop`/`browser`/`code: true` that this",
    "  crabbox cannot serve make **that job** unavailable: `job list` shows it with the reason, `job run`",
    "  refuses it (exit 2); the file and its other jobs still work.",
    "- `profile:` without a `profiles:` entry is a plain label (a warning); `profiles.<name>.env` literal",
    "  values become `env.set`, its nested `allow` and `envAllow` append to `env.allow`.",
    "- `architecture: arm64` (or `--arch arm64`) maps the classes to Hetzner's Ampere CAX types, which the",
    "  Go CLI cannot do on Hetzner.",
    "",
    "### Top level",
    "",
    ...compatTable(GO_TOP_KEYS, ""),
    "",
    "### Profiles",
    "",
    ...compatTable(GO_PROFILE_KEYS, "profiles.<name>."),
    "",
    "### Jobs",
    "",
    ...compatTable(GO_JOB_KEYS, "jobs.<name>."),
    "",
  ].join("\n");
}

type Schema = Record<string, unknown>;

const DURATION = "^(0|([0-9]+[hms])+)$";
const SIZE = "^[0-9]+\\s*(B|KiB|MiB|GiB|TiB)?$";

function valueSchema(spec: KeySpec): Schema {
  const doc = spec.doc ? { description: spec.doc } : {};
  const number = {
    ...(spec.min !== undefined ? { minimum: spec.min } : {}),
    ...(spec.max !== undefined ? { maximum: spec.max } : {}),
  };
  switch (spec.type) {
    case "string":
      return { type: "string", ...(spec.choices ? { enum: [...spec.choices] } : {}), ...doc };
    case "duration":
      return { type: "string", pattern: DURATION, ...doc };
    case "int":
      return spec.digits
        ? { anyOf: [{ type: "integer", ...number }, { type: "string", pattern: "^[0-9]{1,5}$" }], ...doc }
        : { type: "integer", ...number, ...doc };
    case "number":
      return { type: "number", ...number, ...doc };
    case "bool":
      return { type: "boolean", ...doc };
    case "stringList":
      return { type: "array", items: { type: "string" }, ...doc };
    case "intList":
      return {
        type: "array",
        items: spec.digits
          ? { anyOf: [{ type: "integer", ...number }, { type: "string", pattern: "^[0-9]{1,5}$" }] }
          : { type: "integer", ...number },
        ...doc,
      };
    case "size":
      return { anyOf: [{ type: "integer", minimum: 0 }, { type: "string", pattern: SIZE }], ...doc };
    case "stringMap":
      return { type: "object", additionalProperties: { type: "string" }, ...doc };
    case "command":
      return {
        anyOf: [{ type: "string", minLength: 1 }, { type: "array", items: { type: "string" }, minItems: 1 }],
        ...doc,
      };
  }
}

function goKeySchema(spec: GoKey, native: Record<string, KeySpec>): Schema {
  const description = `Go crabbox CLI key (${FATE_TEXT[spec.fate]}): ${spec.note}`;
  if (spec.fate === "refused") return { description, not: {} };
  if (spec.fate === "ignored") return { description };
  if (spec.to && native[spec.to] && !spec.convert) return { ...valueSchema(native[spec.to]), description };
  return { description };
}

/** Nests dotted keys into object schemas; `extra` adds Go keys (never replacing a native one). */
function objectSchema(
  native: Record<string, KeySpec>,
  compat: CompatTable,
  strict = true,
): Schema {
  const root: Schema = { type: "object", properties: {}, additionalProperties: !strict };
  const place = (path: string[], leaf: Schema, overwrite: boolean) => {
    let node = root;
    for (const part of path.slice(0, -1)) {
      const props = node.properties as Record<string, Schema>;
      props[part] ??= { type: "object", properties: {}, additionalProperties: false };
      if (!props[part].properties) return; // a Go section covers everything below it
      node = props[part];
    }
    const props = node.properties as Record<string, Schema>;
    const name = path.at(-1)!;
    if (name === "*") {
      node.additionalProperties = leaf;
      return;
    }
    if (overwrite || !props[name]) props[name] = leaf;
  };
  for (const [key, spec] of Object.entries(native)) place(key.split("."), valueSchema(spec), true);
  for (const [key, spec] of Object.entries(compat)) {
    if (native[key] || key === "profiles" || key === "jobs") continue;
    place(key.split("."), goKeySchema(spec, native), false);
  }
  return root;
}

/** docs/crabbox.schema.json (draft-07, what yaml-language-server reads). */
export function renderJsonSchema(): Schema {
  const top = objectSchema(KEYS, GO_TOP_KEYS);
  const profile = objectSchema(PROFILE_SPECS, GO_PROFILE_KEYS);
  const job = objectSchema(JOB_KEYS, GO_JOB_KEYS);
  const props = top.properties as Record<string, Schema>;
  props.profiles = { type: "object", description: "Named overlays.", additionalProperties: profile };
  props.jobs = {
    type: "object",
    description: "Named jobs (repo config only).",
    propertyNames: { pattern: JOB_NAME.source },
    additionalProperties: job,
  };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://github.com/OWNER/crabbox/docs/crabbox.schema.json",
    title: "crabbox configuration (.crabbox.yaml, ~/.config/crabbox/config.yaml)",
    ...top,
    patternProperties: { "^x-": { description: "Holds YAML anchors for merge keys; not a setting." } },
  };
}
