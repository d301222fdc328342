/**
 * Every key of the Go crabbox CLI's `.crabbox.yaml` schema (openclaw/crabbox) and its fate here, in one
 * table per level (top level, profiles, jobs). Existing users' files are read through these tables, so a key
 * the Go CLI documents is never "unknown": it is
 *
 * - `same`    — accepted with the same meaning (most are native keys of config/schema.ts);
 * - `alias`   — accepted and mapped to a native key (`sync.gitSeed` → `sync.hydrate`);
 * - `ignored` — accepted, not applicable in direct Hetzner mode: one warning per key saying why;
 * - `refused` — an error naming the key, the value and why.
 *
 * Keys in neither schema stay errors with a "did you mean" (typos are still caught). Values that only some
 * providers can serve (`provider: aws`, `target: windows`) are decided after merging (config/load.ts): for
 * the file's defaults they are refusals; for one job they make just that job unavailable.
 * The docs table (docs/configuration.md) is generated from these tables.
 */

import { suggest } from "./values.ts";

export type Fate = "same" | "alias" | "ignored" | "refused";

/** What a Go value becomes here. */
export interface Outcome {
  /** The value for the native key (`to`); absent when there is nothing to set. */
  value?: unknown;
  /** A warning about this value (printed once per key). */
  warning?: string;
  /** In a job: why this job cannot run here (the job stays listed, `job run` refuses it). */
  unavailable?: string;
}

export interface GoKey {
  fate: Fate;
  /** What the key means here: the docs text, and the reason in its warning or refusal. */
  note: string;
  /** alias (or same, for a Go spelling of a native key): the native key it sets. */
  to?: string;
  /**
   * With the native key set in the same map: `append` (lists concatenate, maps merge), `override` (the Go
   * key wins, as `lease.ttl` does over `ttl` in Go), `yield` (the native key wins; a warning), `conflict`
   * (an error: keep one). Default `conflict`.
   */
  combine?: "append" | "override" | "yield" | "conflict";
  /** Turns the Go value into the native one; throws Error("…") for a value refused here. */
  convert?: (value: unknown) => Outcome;
  /** The key is a section: every key below it is covered by this entry, whatever its shape. */
  section?: boolean;
  /** ignored: a value that makes the key a refusal instead (`tailscale.enabled: true`); the reason or null. */
  refuseIf?: (value: unknown) => string | null;
  /** The fix printed with a refusal. */
  hint?: string;
}

export type CompatTable = Record<string, GoKey>;

const DIRECT = "this crabbox leases Hetzner Cloud directly";
const BROKER_WHY = `there is no broker or coordinator here; ${DIRECT}`;
const BROKER_HINT = "remove it: there is no broker or coordinator here; crabbox calls the Hetzner API " +
  "with HCLOUD_TOKEN (keep the Go CLI's broker settings in the config that CLI reads)";

/** The Go CLI's provider names (its routing list); all but hetzner are other providers here. */
const GO_PROVIDERS = `
  hetzner aws azure azure-dynamic-sessions gcp blacksmith-testbox blacksmith ssh static exe-dev daytona
  apple-vm apple-container local-container islo digitalocean vultr linode lambda nebius ovh scaleway
  tencentcloud github-codespaces incus proxmox firecracker parallels kubevirt external namespace morph e2b
  modal tart multipass hyperv
`.trim().split(/\s+/);

/** Sections configuring one other provider each (GO-CONFIG.md); not applicable when leasing on Hetzner. */
const PROVIDER_SECTIONS = `
  aws azure gcp digitalocean vultr linode lambda nebius ovh scaleway tencentcloud githubCodespaces
  awsLambdaMicroVM azureDynamicSessions incus proxmox firecracker xcpNg parallels kubevirt sealosDevbox
  agentSandbox external namespace namespaceInstance phala coder morph daytona e2b cubeSandbox exeDev
  railway fastapiCloud unikraftCloud runpod vast nvidiaBrev hostinger wandb orgo islo freestyle tenki
  tensorlake cua openComputer codeSandbox openSandbox nomad blaxel vercelSandbox cloudflareSandbox
  superserve crownest dockerSandbox anthropicSandboxRuntime cloudRunSandbox modal upstashBox smolvm
  asciiBox cloudflare cloudflareDynamicWorkers semaphore sprites localContainer appleContainer appleVM
  appleVZ mxc multipass machine0 tart lume hyperv windowsSandbox blacksmith
`.trim().split(/\s+/);

const same = (note: string, extra: Partial<GoKey> = {}): GoKey => ({ fate: "same", note, ...extra });
const alias = (to: string, note: string, extra: Partial<GoKey> = {}): GoKey => ({
  fate: "alias",
  to,
  note,
  ...extra,
});
const ignored = (note: string, extra: Partial<GoKey> = {}): GoKey => ({ fate: "ignored", note, ...extra });
const refused = (note: string, hint: string, extra: Partial<GoKey> = {}): GoKey => ({
  fate: "refused",
  note,
  hint,
  ...extra,
});
const section = (note: string, extra: Partial<GoKey> = {}): GoKey =>
  ignored(note, { section: true, ...extra });

const describe = (value: unknown) => typeof value === "string" ? JSON.stringify(value) : String(value);

/** `os: ubuntu:24.04` → the Hetzner image; Hetzner has no 26.04 image, so the Go CLI maps both to 24.04. */
function osImage(value: unknown): Outcome {
  if (value === "ubuntu:24.04") return { value: "ubuntu-24.04" };
  if (value === "ubuntu:26.04") {
    return {
      value: "ubuntu-24.04",
      warning: `"ubuntu:26.04": Hetzner has no Ubuntu 26.04 image, so ubuntu-24.04 is used (as the Go ` +
        "CLI does); set hetzner.image to choose an image yourself",
    };
  }
  throw new Error(
    `${describe(value)} is not supported: os takes ubuntu:24.04 or ubuntu:26.04 (both are the Hetzner ` +
      "image ubuntu-24.04); name any other image with hetzner.image",
  );
}

/** A value a job can only be served elsewhere: in a file's defaults a refusal, in a job "unavailable". */
function servable(
  key: string,
  ok: (value: unknown) => boolean,
  why: string,
  where: "file" | "job",
): (value: unknown) => Outcome {
  return (value) => {
    if (ok(value)) return {};
    const reason = `${key} ${describe(value)} is not supported: ${why}`;
    if (where === "job") return { unavailable: reason };
    throw new Error(`${describe(value)} is not supported: ${why}`);
  };
}

const NETWORK_WHY = "this crabbox reaches boxes over their public IPv4; Tailscale is not available";
const networkOk = (value: unknown) => value === "auto" || value === "public";
const networkCheck = (value: unknown) => {
  if (value !== "auto" && value !== "public" && value !== "tailscale") {
    throw new Error(`must be one of auto, public, tailscale, got ${describe(value)}`);
  }
};
const DESKTOP_WHY = "desktop, browser and code-server leases (VNC) are not available here";
const isFalse = (value: unknown) => value === false || value === null;
const boolCheck = (value: unknown) => {
  if (typeof value !== "boolean" && value !== null) {
    throw new Error(`must be true or false, got ${describe(value)}`);
  }
};
const checked = (check: (v: unknown) => void, then: (v: unknown) => Outcome) => (value: unknown) => {
  check(value);
  return then(value);
};

const ACTIONS_WHY = "GitHub Actions hydration is not done in direct mode: the box will not be hydrated " +
  "by a workflow (git hydration, sync.hydrate, still runs)";
const CAPACITY_WHY = "capacity markets, strategies and regions are AWS/Azure features; Hetzner has one " +
  "market, and locations come from hetzner.locations";

/** The top level of a config file. */
/** Go keys of other providers' features, the same at the top level and in a job. */
const NOT_DIRECT: CompatTable = {
  capacity: section(CAPACITY_WHY),
  market: ignored(CAPACITY_WHY),
  actions: section(ACTIONS_WHY),
  windows: section("Windows targets only"),
  desktopEnv: ignored("desktop leases are not available here"),
};

/** The Go CLI's run tooling, the same at the top level and in a profile. */
const TOOLING: CompatTable = {
  doctor: section("crabbox doctor checks this machine and the API; use run.preflightTools for the box"),
  presets: section("run --preset is not implemented here; use jobs"),
  proofTemplates: section("--emit-proof is not implemented here"),
};

/** Lease kinds this crabbox cannot serve: key, what the docs call it, the value it accepts, its check, why. */
const UNSERVABLE: [string, string, string, (v: unknown) => boolean, (v: unknown) => void, string][] = [
  ["desktop", "desktop", "false", isFalse, boolCheck, DESKTOP_WHY],
  ["browser", "browser", "false", isFalse, boolCheck, DESKTOP_WHY],
  ["code", "code-server", "false", isFalse, boolCheck, DESKTOP_WHY],
  ["network", "tailscale", "auto or public", networkOk, networkCheck, NETWORK_WHY],
];

/** In the file's defaults such a value is refused; in a job it makes only that job unavailable. */
function unservable(where: "file" | "job"): CompatTable {
  return Object.fromEntries(UNSERVABLE.map(([key, what, accepted, ok, check, why]) => [
    key,
    same(
      where === "file"
        ? `${accepted === "false" ? "false only" : accepted}; ${what} leases are refused`
        : `${accepted}; a ${what} job is listed but not runnable here`,
      { convert: checked(check, servable(key, ok, why, where)) },
    ),
  ]));
}

export const GO_TOP_KEYS: CompatTable = {
  profile: same(
    "a profile name; with no profiles.<name> entry it is a plain label (a warning), as in Go",
  ),
  provider: same(
    `hetzner, or ssh (static hosts, static.*); any other provider is refused (${DIRECT}) unless --provider hetzner or ` +
      "CRABBOX_PROVIDER=hetzner overrides it",
  ),
  target: same("linux; macos and windows are refused (Linux servers only)"),
  targetOS: alias("target", "the Go CLI's other spelling of target"),
  architecture: same("amd64 (the classes' x86 types) or arm64 (Hetzner's Ampere CAX types)"),
  os: alias("hetzner.image", "ubuntu:24.04 and ubuntu:26.04 → the Hetzner image ubuntu-24.04", {
    convert: osImage,
    combine: "yield",
  }),
  class: same("tiny, small, standard, fast, large, beast, or a server type used verbatim"),
  serverType: same("an exact Hetzner server type, no class fallback"),
  ttl: same("hard lease cap"),
  idleTimeout: same("idle expiry"),
  workRoot: same("remote work root"),
  "lease.ttl": alias("ttl", "wins over top-level ttl, as in Go", { combine: "override" }),
  "lease.idleTimeout": alias("idleTimeout", "wins over top-level idleTimeout, as in Go", {
    combine: "override",
  }),
  "hetzner.location": same("one exact location"),
  "hetzner.image": same("Hetzner image name"),
  "hetzner.sshKey": ignored("crabbox always creates a labelled per-lease Hetzner SSH key"),
  "ssh.user": same("box login user"),
  "ssh.port": same('primary port; a digit string ("2222") is the same number'),
  "ssh.fallbackPorts": same('fallback ports; digit strings (["22"]) are numbers'),
  "ssh.key": same(
    "provider ssh: the private key the static hosts trust (Hetzner leases get a generated pair)",
  ),
  "static.host": same("provider ssh: the host leased (bring your own machine)"),
  "static.user": same("provider ssh: login user on the host"),
  "static.port": same('provider ssh: ssh port of the host; a digit string ("22") is the same number'),
  "static.workRoot": same("provider ssh: crabbox's own directory on the host"),
  "static.id": ignored("the lease id of a static host is a fresh cbx_ id per lease here"),
  "static.name": ignored("the slug of a static host's lease comes from the lease id or --slug here"),
  "sync.exclude": same("exclude rules (appended across files)"),
  "sync.excludes": alias("sync.exclude", "the Go CLI's other spelling", { combine: "append" }),
  "sync.include": same("include filters"),
  "sync.includes": alias("sync.include", "the Go CLI's other spelling", { combine: "append" }),
  "sync.delete": same("prune files deleted locally"),
  "sync.checksum": same("compare contents when syncing"),
  "sync.gitSeed": alias("sync.hydrate", "make the remote copy a git checkout (git hydration)"),
  "sync.gitOverlay": ignored(
    "the Go CLI's git overlay mode is not implemented; rsync plus git hydration is used",
  ),
  "sync.fingerprint": same("skip unchanged syncs"),
  "sync.baseRef": same("base ref for git hydration"),
  "sync.timeout": same("sync time limit"),
  "sync.warnFiles": same("guardrail"),
  "sync.warnBytes": same("guardrail (bytes or 5GiB)"),
  "sync.failFiles": same("guardrail"),
  "sync.failBytes": same("guardrail (bytes or 20GiB)"),
  "sync.allowLarge": same("bypass the size guardrails"),
  "env.allow": same("forwarded variable names / PREFIX_*"),
  "run.preflightTools": same(
    "tools checked with command -v on the box before the command (exit 7 when missing)",
  ),
  "results.junit": ignored(
    "runs do not collect JUnit by default here; list junit: globs in a job, or pass run --junit <glob>",
  ),
  "results.auto": ignored(
    "results are collected for jobs (junit:, artifacts:) and run --junit/--artifact only",
  ),
  "results.failOnFailures": ignored("the exit code is the command's own; JUnit failures do not change it"),
  shard: section("sharding is not implemented here"),
  ...NOT_DIRECT,
  cache: section("provider-backed caches and cache volumes are not available on Hetzner here"),
  ...TOOLING,
  warmup: section("warmup keeps a box only with --keep here (unused warm boxes expire)"),
  ...unservable("file"),
  tailscale: section("Tailscale is not available here; boxes are reached over their public IPv4", {
    refuseIf: (value) =>
      typeof value === "object" && value !== null && (value as Record<string, unknown>).enabled === true
        ? "enabled: true is not supported: Tailscale is not available here; boxes are reached over their public IPv4"
        : null,
    hint: "set tailscale.enabled: false (or remove the section) to use this file here",
  }),
  coordinator: refused(BROKER_WHY, BROKER_HINT),
  coordinatorToken: refused(BROKER_WHY, BROKER_HINT),
  hostId: refused(`dedicated hosts are for the broker and AWS; ${DIRECT}`, BROKER_HINT),
  broker: refused(BROKER_WHY, BROKER_HINT, { section: true }),
  profiles: same("per-profile settings (see the profile table)"),
  jobs: same("named jobs (see the job table)"),
  ...Object.fromEntries(
    PROVIDER_SECTIONS.map((name) => [name, section(`settings of another provider (${name}); ${DIRECT}`)]),
  ),
};

/** Keys of one `profiles.<name>` entry. */
export const GO_PROFILE_KEYS: CompatTable = {
  "env.*": alias("env.set", "literal values (profiles.<name>.env.NAME: value) → env.set", {
    combine: "append",
    convert: (value) => {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        return { value: String(value) };
      }
      throw new Error(`must be a string value, got ${Array.isArray(value) ? "a list" : "a map"}`);
    },
  }),
  "env.allow": same("appended to the allowlist when the profile is selected"),
  envAllow: alias("env.allow", "merged with env.allow, as in Go", { combine: "append" }),
  artifactGlobs: ignored(
    "a profile's artifact globs are not collected by run; list artifacts: in a job, or pass run --artifact",
  ),
  ...TOOLING,
};

/** Keys of one `jobs.<name>` entry. */
export const GO_JOB_KEYS: CompatTable = {
  provider: same(`hetzner; a job for another provider is listed but not runnable here (${DIRECT})`),
  target: same("linux; a macos or windows job is listed but not runnable here"),
  targetOS: alias("target", "the Go CLI's other spelling of target"),
  profile: same("a profile name, or a plain label"),
  class: same("machine class"),
  architecture: same("amd64 or arm64 (Hetzner CAX types)"),
  type: alias("serverType", "exact server type (the Go CLI's name)"),
  serverType: same("exact server type"),
  ttl: same("lease cap"),
  idleTimeout: same("idle expiry (the ttl caps it)"),
  shell: same(
    "true: the string runs under bash -lc; false: split on whitespace into argv, as in Go " +
      "(a shell line when it contains && || ; | > < or starts with NAME=value)",
  ),
  command: same("a string (bash -lc, or argv with shell: false) or a list (argv)"),
  noSync: same("skip the sync"),
  syncOnly: same("sync, run nothing"),
  checksum: same("compare contents when syncing"),
  forceSyncLarge: same("bypass the size guardrails"),
  junit: same("JUnit globs (a list)"),
  label: same("a label for the run; shown by job list when there is no description"),
  artifactGlobs: alias("artifacts", "artifact globs (the Go CLI's name)", { combine: "append" }),
  requiredArtifacts: same("globs that must match after the command (exit 7 when missing)"),
  downloads: same("remote=local pairs pulled back after the run (local paths inside the repo)"),
  stop: same("auto, always, success, failure, never"),
  hydrate: section(ACTIONS_WHY),
  ...NOT_DIRECT,
  ...unservable("job"),
};

/** The entry covering a dotted key: exact, a `group.*` wildcard (one level), or a section above it. */
export function lookupGoKey(table: CompatTable, key: string): { id: string; spec: GoKey } | null {
  if (Object.hasOwn(table, key)) return { id: key, spec: table[key] };
  const dot = key.lastIndexOf(".");
  if (dot > 0 && Object.hasOwn(table, `${key.slice(0, dot)}.*`)) {
    const id = `${key.slice(0, dot)}.*`;
    return { id, spec: table[id] };
  }
  const parts = key.split(".");
  for (let i = parts.length - 1; i > 0; i--) {
    const id = parts.slice(0, i).join(".");
    if (Object.hasOwn(table, id) && table[id].section) return { id, spec: table[id] };
  }
  return null;
}

/** Why a provider or target cannot be served here, or null. */
export function providerProblem(provider: string): string | null {
  if (provider === "hetzner" || isStaticProvider(provider)) return null;
  if (!GO_PROVIDERS.includes(provider)) {
    // Not a Go crabbox provider either: most likely a typo.
    return `provider ${JSON.stringify(provider)} is not a crabbox provider${
      suggest(provider, GO_PROVIDERS)
    }; ` +
      DIRECT;
  }
  return `provider ${JSON.stringify(provider)} is not supported: ${DIRECT}`;
}

/** `ssh` (the Go CLI's name for bring-your-own hosts, also spelled `static`): leases on static.* hosts. */
export function isStaticProvider(provider: string): boolean {
  return provider === "ssh" || provider === "static";
}

export function targetProblem(target: string): string | null {
  return target === "linux"
    ? null
    : `target ${JSON.stringify(target)} is not supported: this crabbox leases Linux servers on Hetzner Cloud`;
}
