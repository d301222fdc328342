/**
 * The configuration keys (SPEC §12.2) as data: type, default, environment variable, where they may be
 * set. Validation, env mapping and `config show` are all driven from this table.
 */

export type ValueType =
  | "string"
  | "duration"
  | "int"
  | "bool"
  | "stringList"
  | "intList"
  | "size"
  | "stringMap";

export interface KeySpec {
  type: ValueType;
  default: unknown;
  env?: string;
  /** May only be set in the user config (a cloned repo must never redirect the token). */
  userOnly?: boolean;
  min?: number;
  max?: number;
  choices?: string[];
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const KEYS: Record<string, KeySpec> = {
  owner: { type: "string", default: "", env: "CRABBOX_OWNER", userOnly: true },
  profile: { type: "string", default: "default", env: "CRABBOX_PROFILE" },
  class: { type: "string", default: "beast", env: "CRABBOX_CLASS" },
  serverType: { type: "string", default: "", env: "CRABBOX_SERVER_TYPE" },
  ttl: { type: "duration", default: 5400, env: "CRABBOX_TTL", min: 60, max: 168 * 3600 },
  idleTimeout: { type: "duration", default: 1800, env: "CRABBOX_IDLE_TIMEOUT", min: 60, max: 168 * 3600 },
  workRoot: { type: "string", default: "/work/crabbox", env: "CRABBOX_WORK_ROOT" },
  "hetzner.locations": {
    type: "stringList",
    default: ["fsn1", "nbg1", "hel1"],
    env: "CRABBOX_HETZNER_LOCATIONS",
  },
  "hetzner.location": { type: "string", default: "", env: "CRABBOX_HETZNER_LOCATION" },
  "hetzner.image": { type: "string", default: "ubuntu-24.04", env: "CRABBOX_HETZNER_IMAGE" },
  "hetzner.endpoint": { type: "string", default: "", userOnly: true },
  "lease.bootstrapTimeout": { type: "duration", default: 1200, env: "CRABBOX_BOOTSTRAP_TIMEOUT", min: 1 },
  "lease.ipTimeout": { type: "duration", default: 300, min: 1 },
  "lease.createAttempts": { type: "int", default: 2, min: 1, max: 3 },
  "ssh.user": { type: "string", default: "crabbox", env: "CRABBOX_SSH_USER" },
  "ssh.port": { type: "int", default: 2222, env: "CRABBOX_SSH_PORT", min: 1, max: 65535 },
  "ssh.fallbackPorts": {
    type: "intList",
    default: [22],
    env: "CRABBOX_SSH_FALLBACK_PORTS",
    min: 1,
    max: 65535,
  },
  "ssh.connectTimeout": { type: "duration", default: 10, min: 1 },
  "ssh.controlPersist": { type: "duration", default: 600, min: 0 },
  "ssh.configFile": { type: "string", default: "none", userOnly: true },
  "sync.exclude": { type: "stringList", default: [] },
  "sync.include": { type: "stringList", default: [] },
  "sync.delete": { type: "bool", default: true, env: "CRABBOX_SYNC_DELETE" },
  "sync.checksum": { type: "bool", default: false, env: "CRABBOX_SYNC_CHECKSUM" },
  "sync.fingerprint": { type: "bool", default: true, env: "CRABBOX_SYNC_FINGERPRINT" },
  "sync.hydrate": { type: "bool", default: true, env: "CRABBOX_SYNC_HYDRATE" },
  "sync.baseRef": { type: "string", default: "", env: "CRABBOX_SYNC_BASE_REF" },
  "sync.timeout": { type: "duration", default: 900, env: "CRABBOX_SYNC_TIMEOUT", min: 1 },
  "sync.warnFiles": { type: "int", default: 50_000, min: 1 },
  "sync.warnBytes": { type: "size", default: 5 * GiB, min: 1 },
  "sync.failFiles": { type: "int", default: 150_000, min: 1 },
  "sync.failBytes": { type: "size", default: 20 * GiB, min: 1 },
  "sync.allowLarge": { type: "bool", default: false, env: "CRABBOX_SYNC_ALLOW_LARGE" },
  "sync.massDeleteLimit": { type: "int", default: 200, min: 1 },
  "env.allow": { type: "stringList", default: ["CI", "NODE_OPTIONS"], env: "CRABBOX_ENV_ALLOW" },
  "env.set": { type: "stringMap", default: {} },
  "run.lockTimeout": { type: "duration", default: 600, min: 1 },
  "sweep.auto": { type: "bool", default: true },
  "sweep.grace": { type: "duration", default: 3600, env: "CRABBOX_SWEEP_GRACE", min: 0 },
  "sweep.budget": { type: "duration", default: 10, min: 1 },
  "sweep.minInterval": { type: "duration", default: 300, min: 0 },
  "results.dir": { type: "string", default: ".crabbox-results" },
  "results.maxArtifactBytes": { type: "size", default: 256 * MiB, min: 1 },
  "pool.name": { type: "string", default: "default", env: "CRABBOX_POOL" },
  "policy.jobsOnly": { type: "bool", default: false },
};

/** Keys a profile may overlay (SPEC §12.2). */
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
];

/** Job keys (SPEC §11.1) and their types. */
export const JOB_KEYS: Record<string, ValueType | "command" | "stop"> = {
  description: "string",
  command: "command",
  syncOnly: "bool",
  noSync: "bool",
  workdir: "string",
  timeout: "duration",
  profile: "string",
  class: "string",
  serverType: "string",
  location: "string",
  image: "string",
  ttl: "duration",
  idleTimeout: "duration",
  keep: "bool",
  pool: "string",
  "env.allow": "stringList",
  "env.set": "stringMap",
  junit: "stringList",
  artifacts: "stringList",
  requiredArtifacts: "stringList",
  stop: "stop",
};

/** Environment variables crabbox knows besides the KEYS' own (unknown CRABBOX_* only warn). */
export const OTHER_ENV = [
  "CRABBOX_CONFIG",
  "CRABBOX_PROVIDER",
  "CRABBOX_DEBUG",
  "CRABBOX_NO_SWEEP",
  "CRABBOX_ALLOW_MASS_DELETIONS",
  "CRABBOX_INSTALL_DIR",
  "CRABBOX_VERSION",
  "CRABBOX_BASE_URL",
  "CRABBOX_OS",
  "CRABBOX_ARCH",
];
