/**
 * The configuration keys (SPEC §12.2, §11.1) as data: type, default, environment variable, flag, where a
 * key may be set, ranges and value checks. Validation, env mapping and `config show` all read this table.
 */
import { DEFAULT_ENDPOINT, resolveEndpoint } from "../providers/hetzner/endpoint.ts";
import { globProblem } from "../sync/rules.ts";
import { classProblem } from "../lease/classes.ts";
import { MAX_WAIT_SECS } from "../core/duration.ts";
import { DEFAULT_POND_RANGE, MAX_POND, normalizePondName, pondRangeProblem } from "../labels/pond.ts";
import { cidrListProblem } from "../lease/firewall_rules.ts";

export type ValueType =
  | "string"
  | "duration"
  | "int"
  | "bool"
  | "stringList"
  | "intList"
  | "number"
  | "size"
  | "stringMap"
  | "command";

export interface KeySpec {
  type: ValueType;
  /** One sentence for the reference (docs/configuration.md) and the JSON Schema's descriptions. */
  doc?: string;
  default: unknown;
  env?: string;
  /** The command-line flag that overrides it (sources read `flag --ttl`). */
  flag?: string;
  /** May only be set in the user config (a cloned repo must never redirect the token or run local commands). */
  userOnly?: boolean;
  /** Inclusive bounds for numbers (seconds for durations, bytes for sizes, each element of an intList). */
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** A list that must keep at least one element. */
  nonEmpty?: boolean;
  /** Extra rule on the parsed value: a problem ("must be …") or null. */
  check?: (value: unknown) => string | null;
  /** The hint for a bad flag value, when "pass a valid --x" says too little. */
  hint?: string;
  /** Whole numbers may also be written as digit strings in YAML (`port: "2222"`, as the Go CLI writes them). */
  digits?: boolean;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const HOUR = 3600;
const LEASE_BOUNDS = { min: 60, max: 168 * HOUR };

const nonEmptyString = (v: unknown) => (v === "" ? "must not be empty" : null);
const checkpointRefValue = (v: unknown) =>
  typeof v === "string" &&
    /^(chk_[0-9a-f]{12}|(?!chk_)[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)$/.test(v)
    ? null
    : "must be a checkpoint id (chk_ and 12 hex digits) or a checkpoint name";
const pondRange = (v: unknown) => pondRangeProblem(String(v));
/** The Go CLI's --pond rules, as a job key. */
const pondValue = (v: unknown) => {
  const name = normalizePondName(String(v));
  if (name === "") return "must contain at least one letter or digit";
  return name.length > MAX_POND ? `must be ${MAX_POND} characters or fewer after normalization` : null;
};
const classValue = (v: unknown) => nonEmptyString(v) ?? classProblem(v as string);
const absolutePath = (v: unknown) =>
  typeof v === "string" && v.startsWith("/") && !v.split("/").includes("..")
    ? null
    : "must be an absolute path without ..";
/** A path relative to the repo (or job workdir) that cannot climb out of it. */
export const relativeInside = (v: unknown) =>
  typeof v === "string" && v !== "" && !v.startsWith("/") && !v.split("/").includes("..")
    ? null
    : "must be a relative path inside the repo (no leading / and no ..)";
const eachRelativeInside = (v: unknown) =>
  (v as string[]).map(relativeInside).find((p) => p !== null)?.replace("must be", "entries must be") ?? null;

/** Rule lines as .crabboxignore takes them ("!" re-includes, "\\!" is a literal "!"). */
const syncPatterns = (v: unknown) => {
  for (const entry of v as string[]) {
    const problem = globProblem(entry.startsWith("!") || entry.startsWith("\\!") ? entry.slice(1) : entry);
    if (problem) return `has an invalid pattern "${entry}": ${problem}`;
  }
  return null;
};

export { DEFAULT_ENDPOINT };

/** `command -v` names: no spaces, quotes or shell syntax. */
const TOOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const toolNames = (v: unknown) => {
  const bad = (v as string[]).find((name) => !TOOL_NAME.test(name));
  return bad === undefined
    ? null
    : `has an invalid tool name ${JSON.stringify(bad)} (letters, digits, . _ + -)`;
};

/** `remote=local`: both relative paths that stay inside the workdir and the repo. */
const downloadPairs = (v: unknown) => {
  for (const pair of v as string[]) {
    const [remote, local, ...rest] = pair.split("=");
    if (rest.length > 0 || !remote || !local) {
      return `entries must be remote=local, got ${JSON.stringify(pair)}`;
    }
    for (const path of [remote, local]) {
      if (relativeInside(path) !== null || path.includes("*")) {
        return `entries must be relative paths inside the workdir and the repo (no leading /, .. or *), got ${
          JSON.stringify(pair)
        }`;
      }
    }
    // A hook or config written under .git/ would run code on this machine.
    if (local.split("/").some((part) => part.toLowerCase() === ".git")) {
      return `entries must not write into .git/, got ${JSON.stringify(pair)}`;
    }
  }
  return null;
};

export const STOP_POLICIES = ["auto", "always", "success", "failure", "never"] as const;
const TARGETS = ["linux", "macos", "windows"] as const;
const ARCHITECTURES = ["amd64", "arm64"] as const;
const BUDGET_SCOPES = ["owner", "project"] as const;
export type Architecture = typeof ARCHITECTURES[number];
export type StopPolicy = typeof STOP_POLICIES[number];

/** SPEC §6: https, or http to loopback; never credentials in the URL (the message must not echo it). */
const endpointUrl = (v: unknown) => {
  try {
    resolveEndpoint(v as string);
    return null;
  } catch {
    return "must be an https URL (http only to a loopback address) without credentials, query or fragment";
  }
};

/** Every top-level key by its dotted name. `owner`'s real default (`<user>@<short host>`) is filled in by load. */
export const KEYS: Record<string, KeySpec> = {
  owner: {
    doc: "Sanitized into the `owner` label (default `<user>@<short hostname>`).",
    type: "string",
    default: "",
    env: "CRABBOX_OWNER",
    userOnly: true,
  },
  provider: {
    doc:
      "`hetzner` (Hetzner Cloud), or `ssh` (your own hosts, `static.*`). A file written for the Go crabbox CLI may name another; it is refused unless `--provider hetzner` or `CRABBOX_PROVIDER=hetzner` overrides it.",
    type: "string",
    default: "hetzner",
    env: "CRABBOX_PROVIDER",
    flag: "--provider",
    check: nonEmptyString,
  },
  target: {
    doc: "`linux`. `macos` and `windows` (Go CLI targets) are refused.",
    type: "string",
    default: "linux",
    choices: TARGETS,
  },
  architecture: {
    doc:
      "`amd64`, or `arm64`: the classes then map to Hetzner's Ampere CAX types (tiny cax11, small cax21, standard cax31, fast/large/beast cax41).",
    type: "string",
    default: "amd64",
    flag: "--arch",
    choices: ARCHITECTURES,
  },
  profile: {
    doc:
      "The profile to apply. Without a `profiles.<name>` entry it is a plain label (a warning); `--profile`/`CRABBOX_PROFILE` naming an undefined profile is an error.",
    type: "string",
    default: "default",
    env: "CRABBOX_PROFILE",
    flag: "--profile",
    check: nonEmptyString,
  },
  class: {
    doc: "`tiny`, `small`, `standard`, `fast`, `large`, `beast`, or a server type used verbatim.",
    type: "string",
    default: "beast",
    env: "CRABBOX_CLASS",
    flag: "--class",
    check: classValue,
    hint: "pick one of those classes, or pass an exact server type with --type (e.g. --type cpx32)",
  },
  serverType: {
    doc: "An exact Hetzner server type, tried alone (no class fallback).",
    type: "string",
    default: "",
    env: "CRABBOX_SERVER_TYPE",
    flag: "--type",
  },
  ttl: {
    doc: "Hard cap from creation (1m–168h).",
    type: "duration",
    default: 90 * 60,
    env: "CRABBOX_TTL",
    flag: "--ttl",
    ...LEASE_BOUNDS,
  },
  idleTimeout: {
    doc: "Idle expiry (1m–168h); a longer one than the ttl is capped by the ttl, with a warning.",
    type: "duration",
    default: 30 * 60,
    env: "CRABBOX_IDLE_TIMEOUT",
    flag: "--idle-timeout",
    ...LEASE_BOUNDS,
  },
  workRoot: {
    doc: "Absolute work root on the box.",
    type: "string",
    default: "/work/crabbox",
    env: "CRABBOX_WORK_ROOT",
    check: absolutePath,
  },
  "hetzner.locations": {
    doc: "Ordered location fallback.",
    type: "stringList",
    default: ["fsn1", "nbg1", "hel1"],
    env: "CRABBOX_HETZNER_LOCATIONS",
    nonEmpty: true,
  },
  "hetzner.location": {
    doc: "One exact location (conflicts with `locations` in the same file).",
    type: "string",
    default: "",
    env: "CRABBOX_HETZNER_LOCATION",
    flag: "--location",
  },
  "hetzner.image": {
    doc: "Hetzner image name.",
    type: "string",
    default: "ubuntu-24.04",
    env: "CRABBOX_HETZNER_IMAGE",
    flag: "--image",
    check: nonEmptyString,
  },
  "hetzner.endpoint": {
    doc: "API URL: https, or http to loopback.",
    type: "string",
    default: DEFAULT_ENDPOINT,
    env: "HCLOUD_ENDPOINT",
    userOnly: true,
    check: endpointUrl,
  },
  "lease.bootstrapTimeout": {
    doc: "SSH readiness deadline.",
    type: "duration",
    default: 20 * 60,
    env: "CRABBOX_BOOTSTRAP_TIMEOUT",
    flag: "--bootstrap-timeout",
    min: 1,
  },
  "lease.ipTimeout": {
    doc: "How long to wait for the server's IPv4.",
    type: "duration",
    default: 5 * 60,
    min: 1,
  },
  "lease.createAttempts": {
    doc: "Whole acquires tried when the bootstrap times out (1–3).",
    type: "int",
    default: 2,
    min: 1,
    max: 3,
  },
  "ssh.user": {
    doc: "Login user on the box.",
    type: "string",
    default: "crabbox",
    env: "CRABBOX_SSH_USER",
    check: nonEmptyString,
  },
  "ssh.port": {
    doc: 'Primary SSH port (a digit string such as `"2222"` is the same number).',
    type: "int",
    default: 2222,
    env: "CRABBOX_SSH_PORT",
    min: 1,
    max: 65535,
    digits: true,
  },
  "ssh.fallbackPorts": {
    doc: "Ports tried after `ssh.port` on connection failure; `[]` for none.",
    type: "intList",
    default: [22],
    env: "CRABBOX_SSH_FALLBACK_PORTS",
    min: 1,
    max: 65535,
    digits: true,
  },
  "ssh.allowCidrs": {
    doc:
      "IPv4 ranges (`203.0.113.0/24`) that alone may reach the boxes' ssh ports: crabbox applies a Hetzner Firewall, one per owner and set, at create time. `[]`: open to the internet. A crabbox extension.",
    type: "stringList",
    default: [],
    env: "CRABBOX_SSH_ALLOW_CIDRS",
    flag: "--allow-cidr",
    check: cidrListProblem,
    hint: "pass an IPv4 range such as 203.0.113.0/24 (a single address is 203.0.113.7/32)",
  },
  "ssh.connectTimeout": { doc: "ssh ConnectTimeout.", type: "duration", default: 10, min: 1 },
  "ssh.controlPersist": {
    doc:
      "How long an idle ControlMaster lingers after the last channel (ssh `ControlPersist`); `0` turns multiplexing off.",
    type: "duration",
    default: 10 * 60,
    min: 0,
  },
  "ssh.configFile": {
    doc:
      "An ssh config file read with `-F` instead of `-F none` (proxies, jump hosts); `~/` is expanded and the file must exist. crabbox's own options still win.",
    type: "string",
    default: "none",
    userOnly: true,
    check: nonEmptyString,
  },
  "ssh.key": {
    doc:
      "provider ssh: the private key the static hosts trust (default `~/.ssh/id_ed25519`); unencrypted, as ssh runs in batch mode without an agent.",
    type: "string",
    default: "",
    env: "CRABBOX_SSH_KEY",
    flag: "--ssh-key",
  },
  "static.host": {
    doc:
      "provider ssh: the host (name or address) crabbox leases; it must already run sshd with bash, flock, rsync and git.",
    type: "string",
    default: "",
    env: "CRABBOX_STATIC_HOST",
    flag: "--static-host",
  },
  "static.hosts": {
    doc:
      "provider ssh: more hosts (same user, port and work root); a lease takes the first free one. A crabbox extension.",
    type: "stringList",
    default: [],
  },
  "static.user": {
    doc: "provider ssh: login user on the hosts (default `ssh.user`).",
    type: "string",
    default: "",
    env: "CRABBOX_STATIC_USER",
    flag: "--static-user",
  },
  "static.port": {
    doc: 'provider ssh: ssh port of the hosts (a digit string such as `"22"` is the same number).',
    type: "int",
    default: 22,
    env: "CRABBOX_STATIC_PORT",
    flag: "--static-port",
    min: 1,
    max: 65535,
    digits: true,
  },
  "static.workRoot": {
    doc:
      "provider ssh: crabbox's own directory on the hosts (default `workRoot`): lease record, lock, lease workdirs. Nothing outside it is touched.",
    type: "string",
    default: "",
    env: "CRABBOX_STATIC_WORK_ROOT",
    flag: "--static-work-root",
    check: (v) => v === "" ? null : absolutePath(v),
  },
  "sync.exclude": {
    doc: "Exclude rules, appended across user, repo and profile (`!pat` re-includes).",
    type: "stringList",
    default: [],
    check: syncPatterns,
  },
  "sync.include": {
    doc: "When non-empty, only paths matching these are synced.",
    type: "stringList",
    default: [],
    check: syncPatterns,
  },
  "sync.delete": {
    doc: "Prune remote files deleted locally.",
    type: "bool",
    default: true,
    env: "CRABBOX_SYNC_DELETE",
  },
  "sync.checksum": {
    doc: "Compare contents, not sizes and times.",
    type: "bool",
    default: false,
    env: "CRABBOX_SYNC_CHECKSUM",
  },
  "sync.fingerprint": {
    doc: "Skip a sync when nothing changed.",
    type: "bool",
    default: true,
    env: "CRABBOX_SYNC_FINGERPRINT",
  },
  "sync.hydrate": {
    doc: "Make the remote copy a git checkout (git hydration).",
    type: "bool",
    default: true,
    env: "CRABBOX_SYNC_HYDRATE",
  },
  "sync.baseRef": {
    doc: "Base ref fetched by git hydration (default: origin's HEAD).",
    type: "string",
    default: "",
    env: "CRABBOX_SYNC_BASE_REF",
  },
  "sync.timeout": {
    doc: "Overall rsync limit.",
    type: "duration",
    default: 15 * 60,
    env: "CRABBOX_SYNC_TIMEOUT",
    min: 1,
  },
  "sync.warnFiles": { doc: "Warn at this many files.", type: "int", default: 50_000, min: 1 },
  "sync.warnBytes": { doc: "Warn at this many bytes.", type: "size", default: 5 * GiB, min: 1 },
  "sync.failFiles": { doc: "Refuse at this many files.", type: "int", default: 150_000, min: 1 },
  "sync.failBytes": { doc: "Refuse at this many bytes.", type: "size", default: 20 * GiB, min: 1 },
  "sync.allowLarge": {
    doc: "Bypass the size guardrails.",
    type: "bool",
    default: false,
    env: "CRABBOX_SYNC_ALLOW_LARGE",
  },
  "sync.massDeleteLimit": {
    doc: "Most remote files one sync may delete.",
    type: "int",
    default: 200,
    min: 1,
  },
  "env.allow": {
    doc: "Local variables forwarded to the box (names or `PREFIX_*`).",
    type: "stringList",
    default: ["CI", "NODE_OPTIONS"],
    env: "CRABBOX_ENV_ALLOW",
  },
  "env.set": { doc: "Constants set on the box (not secrets).", type: "stringMap", default: {} },
  "run.lockTimeout": {
    doc: "How long to wait for a busy box.",
    type: "duration",
    default: 10 * 60,
    min: 1,
    max: MAX_WAIT_SECS,
  },
  "run.preflightTools": {
    doc: "Tools checked with `command -v` on the box before the command; missing ones exit 7, named.",
    type: "stringList",
    default: [],
    check: toolNames,
  },
  "sweep.auto": { doc: "The automatic sweep on networked commands.", type: "bool", default: true },
  "sweep.grace": {
    doc: "Extra time for running and provisioning boxes.",
    type: "duration",
    default: HOUR,
    env: "CRABBOX_SWEEP_GRACE",
    min: 0,
  },
  "sweep.budget": { doc: "Time budget of one automatic sweep.", type: "duration", default: 10, min: 1 },
  "sweep.minInterval": {
    doc: "At most one automatic sweep per interval.",
    type: "duration",
    default: 5 * 60,
    min: 0,
  },
  "results.dir": {
    doc: "Where job plans, results and artifacts go.",
    type: "string",
    default: ".crabbox-results",
    check: relativeInside,
  },
  "results.maxArtifactBytes": {
    doc: "Artifact download limit per job.",
    type: "size",
    default: 256 * MiB,
    min: 1,
  },
  "pool.name": {
    doc: "Default pool for `--pool`.",
    type: "string",
    default: "default",
    env: "CRABBOX_POOL",
    check: nonEmptyString,
  },
  "pond.ipRange": {
    doc:
      "Private range (RFC 1918, at least a /24) whose /24s pond networks take, one per pond. A crabbox extension (docs/ponds.md).",
    type: "string",
    default: DEFAULT_POND_RANGE,
    env: "CRABBOX_POND_IP_RANGE",
    check: pondRange,
  },
  "policy.jobsOnly": { doc: "Only named jobs run (repo config only).", type: "bool", default: false },
  "budget.maxActive": {
    doc:
      "Most crabbox boxes alive at once in `budget.scope`; a create past it is refused (exit 8, nothing created). `0`: no limit. Across the user and repo files the tighter limit wins. A crabbox extension (docs/cost.md).",
    type: "int",
    default: 0,
    env: "CRABBOX_BUDGET_MAX_ACTIVE",
    min: 0,
  },
  "budget.maxHourly": {
    doc:
      "Most euros per hour (net prices from GET /server_types, an estimate) the boxes of `budget.scope` may burn together, the new one included; `0`: no limit. Across the files the tighter limit wins. A crabbox extension.",
    type: "number",
    default: 0,
    env: "CRABBOX_BUDGET_MAX_HOURLY",
    min: 0,
  },
  "budget.scope": {
    doc:
      "Whose boxes count: `owner` (this machine's owner label) or `project` (every crabbox box). Across the files `project` wins. A crabbox extension.",
    type: "string",
    default: "owner",
    env: "CRABBOX_BUDGET_SCOPE",
    choices: BUDGET_SCOPES,
  },
};

/** Keys a profile may overlay (SPEC §12.2); their types come from KEYS. */
export const PROFILE_KEYS = [
  "class",
  "serverType",
  "hetzner.locations",
  "hetzner.image",
  "ttl",
  "idleTimeout",
  "env.allow",
  "env.set",
  "sync.exclude",
] as const;

const jobString = { type: "string", default: undefined } as const;
const jobGlobs = { type: "stringList", default: [], check: eachRelativeInside } as const;

/** Job keys (SPEC §11.1). Lease-shape keys share the top-level bounds. */
export const JOB_KEYS: Record<string, KeySpec> = {
  description: { doc: "Shown by `job list`.", type: "string", default: "" },
  label: {
    doc: "The Go CLI's run label; shown by `job list` when there is no description.",
    type: "string",
    default: "",
  },
  provider: {
    doc:
      "`hetzner`; a job for another provider is listed but not runnable here (unless `--provider hetzner`).",
    ...jobString,
    check: nonEmptyString,
  },
  target: {
    doc: "`linux`; a `macos` or `windows` job is listed but not runnable here.",
    type: "string",
    default: undefined,
    choices: TARGETS,
  },
  architecture: {
    doc: "`amd64` or `arm64` (CAX types).",
    type: "string",
    default: undefined,
    choices: ARCHITECTURES,
  },
  command: {
    doc: "A string (runs under `bash -lc`; with `shell: false` split into argv) or a list (argv).",
    type: "command",
    default: null,
  },
  shell: {
    doc:
      "`true`: the string runs under `bash -lc`. `false`: split on whitespace into argv as the Go CLI does (quotes not parsed; a shell line when it contains `&& || ; | > >> < 2> 2>>` or starts with `NAME=value`). Absent: by the command's type.",
    type: "bool",
    default: null,
  },
  syncOnly: { doc: "Sync, run nothing (exactly one of `command`/`syncOnly`).", type: "bool", default: false },
  noSync: { doc: "Skip the sync.", type: "bool", default: false },
  checksum: { doc: "Compare contents when syncing.", type: "bool", default: false },
  forceSyncLarge: { doc: "Bypass the size guardrails.", type: "bool", default: false },
  workdir: { doc: "Relative directory to run in.", type: "string", default: null, check: relativeInside },
  timeout: {
    doc: "Command wall-clock limit (exit 5).",
    type: "duration",
    default: null,
    min: 1,
    max: MAX_WAIT_SECS,
  },
  profile: { doc: "Profile for the lease (or a plain label).", ...jobString, check: nonEmptyString },
  class: { doc: "Machine class.", ...jobString, check: classValue },
  serverType: { doc: "Exact server type (Go: `type`).", ...jobString },
  location: { doc: "Exact location.", ...jobString },
  image: { doc: "Hetzner image.", ...jobString, check: nonEmptyString },
  ttl: { doc: "Lease cap.", type: "duration", default: undefined, ...LEASE_BOUNDS },
  idleTimeout: {
    doc: "Idle expiry (the ttl caps it).",
    type: "duration",
    default: undefined,
    ...LEASE_BOUNDS,
  },
  keep: { doc: "Keep the box (idle-exempt, ttl-capped).", type: "bool", default: false },
  pool: { doc: "Claim from this warm pool.", ...jobString, check: nonEmptyString },
  checkpoint: {
    doc: "Fork the box from this checkpoint (id `chk_…` or name), as `crabbox checkpoint fork` does.",
    ...jobString,
    check: checkpointRefValue,
  },
  pond: { doc: "Lease the box into this pond (docs/ponds.md).", ...jobString, check: pondValue },
  allowCidrs: {
    doc:
      "The job's `ssh.allowCidrs` for a fresh box (replaces the config's; `[]`: open); `--allow-cidr` still wins.",
    type: "stringList",
    default: undefined,
    check: cidrListProblem,
    hint: "pass an IPv4 range such as 203.0.113.0/24 (a single address is 203.0.113.7/32)",
  },
  "env.allow": { doc: "Appended to the allowlist.", type: "stringList", default: [] },
  "env.set": { doc: "Constants for this job.", type: "stringMap", default: {} },
  junit: { doc: "JUnit globs, relative to the workdir.", ...jobGlobs },
  artifacts: { doc: "Artifact globs (Go: `artifactGlobs`).", ...jobGlobs },
  requiredArtifacts: { doc: "Globs that must match after a passing command (else exit 7).", ...jobGlobs },
  downloads: {
    doc:
      "`remote=local` pairs: the remote file (relative to the workdir) is written to `local` (relative to the repo root, never through a symlink or into `.git/`).",
    type: "stringList",
    default: [],
    check: downloadPairs,
  },
  stop: {
    doc: "`auto`, `always`, `success`, `failure`, `never`.",
    type: "string",
    default: "auto",
    choices: STOP_POLICIES,
  },
};

export const JOB_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** CRABBOX_* variables that are not a key's own; read elsewhere, validated here when boolean. */
export const OTHER_ENV: Record<string, "bool" | "string"> = {
  CRABBOX_CONFIG: "string",
  CRABBOX_DEBUG: "bool",
  CRABBOX_NO_SWEEP: "bool",
  CRABBOX_ALLOW_MASS_DELETIONS: "bool",
  CRABBOX_INSTALL_DIR: "string",
  CRABBOX_VERSION: "string",
  CRABBOX_BASE_URL: "string",
  CRABBOX_OS: "string",
  CRABBOX_ARCH: "string",
  // Injected on the box; harmless if set locally (and dropped when forwarding).
  CRABBOX_LEASE_ID: "string",
  CRABBOX_RUN_ID: "string",
  CRABBOX_SLUG: "string",
  CRABBOX_JOB: "string",
};

/** The effective configuration, nested as in the YAML. Durations are seconds, sizes bytes. */
export interface CrabboxConfig {
  owner: string;
  provider: string;
  target: string;
  architecture: Architecture;
  profile: string;
  class: string;
  serverType: string;
  ttl: number;
  idleTimeout: number;
  workRoot: string;
  hetzner: { locations: string[]; location: string; image: string; endpoint: string };
  lease: { bootstrapTimeout: number; ipTimeout: number; createAttempts: number };
  ssh: {
    user: string;
    port: number;
    fallbackPorts: number[];
    connectTimeout: number;
    controlPersist: number;
    configFile: string;
    key: string;
    allowCidrs: string[];
  };
  static: { host: string; hosts: string[]; user: string; port: number; workRoot: string };
  sync: {
    exclude: string[];
    include: string[];
    delete: boolean;
    checksum: boolean;
    fingerprint: boolean;
    hydrate: boolean;
    baseRef: string;
    timeout: number;
    warnFiles: number;
    warnBytes: number;
    failFiles: number;
    failBytes: number;
    allowLarge: boolean;
    massDeleteLimit: number;
  };
  env: { allow: string[]; set: Record<string, string> };
  run: { lockTimeout: number; preflightTools: string[] };
  sweep: { auto: boolean; grace: number; budget: number; minInterval: number };
  results: { dir: string; maxArtifactBytes: number };
  pool: { name: string };
  pond: { ipRange: string };
  policy: { jobsOnly: boolean };
  budget: { maxActive: number; maxHourly: number; scope: typeof BUDGET_SCOPES[number] };
}

/** One job (SPEC §11.1). Unset lease-shape keys are inherited from the effective config. */
export interface JobConfig {
  description: string;
  /** The Go CLI's run label; job list shows it when there is no description. */
  label: string;
  provider?: string;
  target?: string;
  architecture?: Architecture;
  command: string | string[] | null;
  /** true: a string command runs under bash -lc; false: split on whitespace (Go); null: by its type. */
  shell: boolean | null;
  syncOnly: boolean;
  noSync: boolean;
  checksum: boolean;
  forceSyncLarge: boolean;
  workdir: string | null;
  /** Seconds, or null for no limit. */
  timeout: number | null;
  profile?: string;
  class?: string;
  serverType?: string;
  location?: string;
  image?: string;
  ttl?: number;
  idleTimeout?: number;
  keep: boolean;
  pool?: string;
  checkpoint?: string;
  pond?: string;
  allowCidrs?: string[];
  env: { allow: string[]; set: Record<string, string> };
  junit: string[];
  artifacts: string[];
  requiredArtifacts: string[];
  /** `remote=local` pairs. */
  downloads: string[];
  stop: StopPolicy;
}

/** Builds a nested object from dotted keys: {"ssh.port": 1} → {ssh: {port: 1}}. */
export function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = value;
  }
  return out;
}

export function toCrabboxConfig(values: Record<string, unknown>): CrabboxConfig {
  return nest(values) as unknown as CrabboxConfig;
}

export function toJobConfig(values: Record<string, unknown>): JobConfig {
  const withDefaults: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(JOB_KEYS)) {
    const value = key in values ? values[key] : structuredClone(spec.default);
    if (value !== undefined) withDefaults[key] = value;
  }
  return nest(withDefaults) as unknown as JobConfig;
}
