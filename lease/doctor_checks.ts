/**
 * `crabbox doctor`'s verdicts (SPEC §13), as pure functions of what was observed: each turns one
 * observation into one line with a status and, for every warning and failure, the fix. The use case
 * (lease/doctor.ts) gathers the observations; nothing here touches the outside world.
 */
import type { FileInfo } from "../core/deps.ts";
import { formatBytes } from "../core/format.ts";
import { formatDurationMs } from "../core/duration.ts";
import type { Location, ServerType, WriteAccess } from "../providers/hetzner/port.ts";
import type { SweepReport } from "./sweep.ts";
import { type BudgetPolicy, freeable, hasBudget } from "./budget.ts";
import type { UsageReport } from "./usage.ts";
import { formatMoney } from "./cost.ts";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  check: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warning or failure; null when there is nothing to do. */
  fix: string | null;
  details: Record<string, unknown>;
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

function result(
  check: string,
  status: CheckStatus,
  message: string,
  fix: string | null = null,
  details: Record<string, unknown> = {},
): CheckResult {
  return { check, status, message, fix: status === "ok" || status === "skip" ? null : fix, details };
}

export const skipped = (check: string, why: string): CheckResult => result(check, "skip", why);

/**
 * `%-6s %-13s %s` (SPEC §13), the fix after the message. paintStatus colours the status word
 * (out.paint); the columns are aligned on the uncoloured word.
 */
export function renderLine(
  check: CheckResult,
  paintStatus: (status: string) => string = (status) => status,
): string {
  const fix = check.fix ? `; fix: ${check.fix}` : "";
  const status = paintStatus(check.status) + " ".repeat(Math.max(0, 6 - check.status.length));
  return `${status} ${check.check.padEnd(13)} ${check.message}${fix}`;
}

export function summarize(checks: CheckResult[]): DoctorReport {
  return { ok: checks.every((c) => c.status !== "fail"), checks };
}

// ---- ssh allowlist ------------------------------------------------------------------------------

/** ssh.allowCidrs: without it every box takes ssh connections from the whole internet (key-only). */
export function allowlistCheck(cidrs: string[], ports: number[], source: string): CheckResult {
  const where = `ports ${[...new Set(ports)].join(",")}`;
  if (cidrs.length === 0) {
    return result(
      "allowlist",
      "warn",
      `no ssh.allowCidrs: boxes accept ssh (${where}) from the whole internet (key-only)`,
      "set ssh.allowCidrs: [203.0.113.0/24] (your office or VPN range) in the user config, or pass --allow-cidr",
      { cidrs },
    );
  }
  return result(
    "allowlist",
    "ok",
    `ssh (${where}) admitted only from ${cidrs.join(", ")} (${source}) through a Hetzner Firewall`,
    null,
    { cidrs },
  );
}

// ---- local tools -------------------------------------------------------------------------------

/** What looking a tool up found: its path (null: not on PATH) and the text its version flag printed. */
export interface ToolProbe {
  path: string | null;
  output: string;
}

const INSTALL: Record<string, string> = {
  ssh: "install the OpenSSH client (apt install openssh-client / brew install openssh)",
  "ssh-keygen": "install the OpenSSH client (apt install openssh-client / brew install openssh)",
  git: "install git (apt install git / brew install git)",
  rsync: "install GNU rsync 3.2.3 or newer (apt install rsync / brew install rsync)",
};

/** ssh, ssh-keygen and git: present on PATH, with the version they report. */
export function toolCheck(name: "ssh" | "ssh-keygen" | "git", probe: ToolProbe): CheckResult {
  if (!probe.path) return result(name, "fail", `${name} not found on PATH`, INSTALL[name]);
  const version = name === "ssh"
    ? probe.output.match(/OpenSSH_[\w.]+/)?.[0]
    : name === "git"
    ? probe.output.match(/git version (\S+)/)?.[1]
    : undefined;
  const message = version ? `${name === "git" ? "git " : ""}${version} (${probe.path})` : probe.path;
  return result(name, "ok", message, null, { path: probe.path, version: version ?? null });
}

/** GNU rsync ≥ 3.2.3: crabbox passes --mkpath, which older versions and openrsync do not know. */
export function rsyncCheck(probe: ToolProbe): CheckResult {
  if (!probe.path) return result("rsync", "fail", "rsync not found on PATH", INSTALL.rsync);
  const details = { path: probe.path };
  if (/openrsync/i.test(probe.output)) {
    return result("rsync", "fail", "openrsync is not GNU rsync (no --mkpath)", INSTALL.rsync, details);
  }
  const m = probe.output.match(/rsync\s+version\s+v?(\d+)\.(\d+)\.(\d+)(?:.*?protocol version (\d+))?/);
  if (!m) return result("rsync", "fail", "cannot read rsync's version", INSTALL.rsync, details);
  const [major, minor, patch] = m.slice(1, 4).map(Number);
  const version = `${major}.${minor}.${patch}`;
  const protocol = m[4] ? ` (protocol ${m[4]})` : "";
  if (major * 10000 + minor * 100 + patch < 30203) {
    return result("rsync", "fail", `rsync ${version} is too old (3.2.3 or newer)`, INSTALL.rsync, {
      ...details,
      version,
    });
  }
  return result("rsync", "ok", `rsync ${version}${protocol}`, null, { ...details, version });
}

// ---- config, token, endpoint ------------------------------------------------------------------

export interface ConfigFileState {
  path: string;
  kind: "user" | "repo";
  exists: boolean;
  /** Permission bits, or null when unknown. */
  mode: number | null;
  /** The validation error of this file alone (`path:line: …`), or null. */
  problem: string | null;
}

/** Every file on its own, then the merged result (env and profile errors show only there). */
export function configCheck(files: ConfigFileState[], mergeProblem: string | null): CheckResult {
  const problems = files.flatMap((f) => (f.problem ? [f.problem] : []));
  if (mergeProblem && problems.length === 0) problems.push(mergeProblem);
  const details = { files: files.map(({ path, kind, exists }) => ({ path, kind, exists })), problems };
  if (problems.length) {
    return result(
      "config",
      "fail",
      problems.join("; "),
      "correct the value at the file and line shown (crabbox config show lists every key)",
      details,
    );
  }
  const user = files.find((f) => f.kind === "user");
  if (user?.exists && user.mode !== null && (user.mode & 0o077) !== 0) {
    return result(
      "config",
      "warn",
      `user config ${user.path} has mode ${octal(user.mode)}; it should be 600`,
      `chmod 600 ${user.path}`,
      details,
    );
  }
  const described = files.map((f) => `${f.kind} ${f.exists ? f.path : "none"}`).join(", ");
  return result("config", "ok", `valid (${described})`, null, details);
}

/** The token is described by its source and length, never by any part of its value. */
export function tokenCheck(env: { HCLOUD_TOKEN?: string; HETZNER_TOKEN?: string }): CheckResult {
  for (const name of ["HCLOUD_TOKEN", "HETZNER_TOKEN"] as const) {
    const value = env[name]?.trim();
    if (value) {
      return result("token", "ok", `${name} set (${value.length} chars)`, null, {
        source: name,
        length: value.length,
      });
    }
  }
  return result(
    "token",
    "fail",
    "HCLOUD_TOKEN is not set",
    "export HCLOUD_TOKEN=<a read/write API token of your Hetzner Cloud project>",
    { source: null },
  );
}

export function endpointCheck(
  raw: { value: string; source: string } | null,
  resolved: { endpoint: string } | { error: string },
): CheckResult {
  if ("error" in resolved) {
    return result(
      "endpoint",
      "fail",
      resolved.error,
      `unset ${raw?.source ?? "the override"} or point it at https (http only to loopback)`,
      { source: raw?.source ?? null },
    );
  }
  const message = raw ? `${resolved.endpoint} (${raw.source})` : `${resolved.endpoint} (default)`;
  return result("endpoint", "ok", message, null, {
    endpoint: resolved.endpoint,
    source: raw?.source ?? null,
  });
}

// ---- the API ----------------------------------------------------------------------------------

/** A failed API call as doctor reports it (the client's HetznerApiError, or a transport failure). */
export interface ApiFailure {
  status: number;
  code: string;
  message: string;
  correlationId: string | null;
}

function describeFailure(f: ApiFailure): string {
  const status = f.status ? `${f.status} ` : "";
  const correlation = f.correlationId ? ` (correlation ${f.correlationId})` : "";
  return `${status}${f.code}: ${f.message}${correlation}`;
}

function apiFix(f: ApiFailure): string {
  if (f.status === 401 || f.status === 403) {
    return "check HCLOUD_TOKEN is a current read/write token of the right project " +
      "(Hetzner Console → Security → API tokens)";
  }
  if (f.status === 0) return "check the network and HCLOUD_ENDPOINT, then run crabbox doctor again";
  if (f.status === 429) return "wait a few minutes; Hetzner allows 3600 requests per hour per project";
  return "retry later; quote the correlation id if you contact Hetzner support";
}

export function apiCheck(
  outcome: { crabboxServers: number; rateLimit: { limit: number; remaining: number } | null } | {
    failure: ApiFailure;
  },
): CheckResult {
  if ("failure" in outcome) {
    const accepted = outcome.failure.status === 401 || outcome.failure.status === 403
      ? "token not accepted: "
      : "";
    return result("api", "fail", `${accepted}${describeFailure(outcome.failure)}`, apiFix(outcome.failure), {
      status: outcome.failure.status,
      code: outcome.failure.code,
      correlationId: outcome.failure.correlationId,
    });
  }
  const rate = outcome.rateLimit
    ? `; rate limit ${outcome.rateLimit.remaining}/${outcome.rateLimit.limit} left`
    : "";
  const low = outcome.rateLimit !== null && outcome.rateLimit.remaining < 100;
  return result(
    "api",
    low ? "warn" : "ok",
    `token accepted; ${outcome.crabboxServers} crabbox server${
      outcome.crabboxServers === 1 ? "" : "s"
    }${rate}`,
    "wait for the rate limit to refill (1 request per second) before a large sweep or pool",
    { crabboxServers: outcome.crabboxServers, rateLimit: outcome.rateLimit },
  );
}

/** Read/write or read-only, from an invalid create that Hetzner refuses either way. */
export function tokenAccessCheck(outcome: WriteAccess | { failure: ApiFailure }): CheckResult {
  if ("failure" in outcome) {
    return result(
      "token-access",
      "warn",
      `could not tell read/write from read-only: ${describeFailure(outcome.failure)}`,
      apiFix(outcome.failure),
    );
  }
  switch (outcome.kind) {
    case "read_write":
      return result(
        "token-access",
        "ok",
        "read/write (an invalid create was refused with 422; nothing was created)",
        null,
        { access: "read_write" },
      );
    case "read_only":
      return result(
        "token-access",
        "fail",
        `read-only token (a create was refused with ${outcome.status} ${outcome.code}); crabbox cannot create or delete boxes`,
        "create a Read & Write API token (Hetzner Console → Security → API tokens) and export it as HCLOUD_TOKEN",
        { access: "read_only", status: outcome.status, code: outcome.code },
      );
    case "created":
      return result(
        "token-access",
        "fail",
        `Hetzner created server ${outcome.serverId ?? "?"} from a request it should have refused`,
        `delete server ${outcome.serverId ?? "(see the Hetzner Console)"} in the Hetzner Console`,
        { access: "read_write", serverId: outcome.serverId },
      );
  }
}

const CLOCK_TOLERANCE_MS = 30_000;

/** skewMs = Hetzner time − local time. Labels use Hetzner time, so a skew is a warning, not a failure. */
export function clockCheck(skewMs: number): CheckResult {
  const abs = Math.abs(skewMs);
  const details = { skewMs };
  if (abs <= CLOCK_TOLERANCE_MS) {
    return result(
      "clock",
      "ok",
      `local clock within ${formatDurationMs(Math.max(abs, 1000))} of Hetzner`,
      null,
      details,
    );
  }
  const direction = skewMs > 0 ? "behind" : "ahead of";
  return result(
    "clock",
    "warn",
    `local clock ${formatDurationMs(abs)} ${direction} Hetzner (labels use Hetzner time)`,
    "sync the local clock (timedatectl set-ntp true / sntp -sS time.apple.com); expiry shown locally is off by that much",
    details,
  );
}

/** Every type of the configured class (or the explicit type) exists at Hetzner and is not deprecated. */
export function typesCheck(wanted: string[], available: ServerType[]): CheckResult {
  const byName = new Map(available.map((t) => [t.name, t]));
  const unknown = wanted.filter((name) => !byName.has(name));
  const deprecated = wanted.filter((name) => byName.get(name)?.deprecated);
  const details = { wanted, unknown, deprecated };
  if (unknown.length === wanted.length) {
    return result(
      "types",
      "fail",
      `no server type of ${wanted.join(", ")} exists`,
      "pick a class or --type that Hetzner offers (tiny … beast)",
      details,
    );
  }
  if (unknown.length || deprecated.length) {
    const parts = [
      ...(unknown.length ? [`unknown: ${unknown.join(", ")}`] : []),
      ...(deprecated.length ? [`deprecated: ${deprecated.join(", ")}`] : []),
    ];
    return result(
      "types",
      "warn",
      `${parts.join("; ")} (skipped when leasing)`,
      "choose a class or --type without them",
      details,
    );
  }
  return result("types", "ok", `${wanted.join(", ")} available`, null, details);
}

export function locationsCheck(wanted: string[], available: Location[]): CheckResult {
  const names = new Set(available.map((l) => l.name));
  const unknown = wanted.filter((name) => !names.has(name));
  const details = { wanted, unknown };
  if (unknown.length === wanted.length) {
    return result(
      "locations",
      "fail",
      `no location of ${wanted.join(", ")} exists`,
      `set hetzner.locations to some of: ${[...names].join(", ")}`,
      details,
    );
  }
  if (unknown.length) {
    return result(
      "locations",
      "warn",
      `unknown: ${unknown.join(", ")}`,
      `remove them from hetzner.locations (known: ${[...names].join(", ")})`,
      details,
    );
  }
  return result("locations", "ok", `${wanted.join(", ")} available`, null, details);
}

/** What a sweep would delete now (a dry run of lease/sweep.ts, its decisions unchanged). */
export function orphansCheck(report: SweepReport): CheckResult {
  const servers = report.servers.filter((s) => s.decision === "delete");
  const keys = report.sshKeys.filter((k) => k.result === "would_delete");
  const kept = report.servers.filter((s) => s.keep && s.decision === "skip");
  const details = {
    servers: servers.map((s) => ({ id: s.id, name: s.name, lease: s.lease, reason: s.reason })),
    sshKeys: keys.map((k) => ({ id: k.id, name: k.name, lease: k.lease, reason: k.reason })),
    keep: kept.map((s) => ({ id: s.id, name: s.name, lease: s.lease })),
  };
  const keepNote = kept.length
    ? `; ${kept.length} keep=true box${kept.length === 1 ? "" : "es"} within ttl`
    : "";
  if (servers.length === 0 && keys.length === 0) {
    return result("orphans", "ok", `nothing a sweep would delete${keepNote}`, null, details);
  }
  const listed = servers.slice(0, 3).map((s) => {
    const ago = s.overdueMs !== null && s.overdueMs > 0 ? ` ${formatDurationMs(s.overdueMs)} ago` : "";
    return `${s.name}: ${s.reason}${ago}`;
  });
  const more = servers.length > 3 ? `, +${servers.length - 3} more` : "";
  const serverPart = servers.length
    ? `${servers.length} server${servers.length === 1 ? "" : "s"} eligible for sweep (${
      listed.join(", ")
    }${more})`
    : "";
  const keyPart = keys.length
    ? `${keys.length} orphaned ssh key${keys.length === 1 ? "" : "s"} (${
      keys.slice(0, 3).map((k) => k.name).join(", ")
    })`
    : "";
  return result(
    "orphans",
    "warn",
    [serverPart, keyPart].filter(Boolean).join(" and ") + keepNote,
    "run: crabbox sweep (crabbox sweep --dry-run shows every decision)",
    details,
  );
}

/** The API does not publish a project's server limit; what it can tell is how many servers there are. */
export function serverLimitCheck(total: number, crabbox: number): CheckResult {
  return result(
    "server-limit",
    "ok",
    `${total} server${
      total === 1 ? "" : "s"
    } in the project (${crabbox} by crabbox); Hetzner's API does not ` +
      "publish the limit (a create past it fails with 403 resource_limit_exceeded)",
    null,
    { total, crabbox, limit: null },
  );
}

/** budget.* against the boxes alive now (docs/cost.md): whether one is set, and whether the next create passes. */
export function budgetCheck(policy: BudgetPolicy, usage: UsageReport): CheckResult {
  const { boxes, priceHourly, costSoFar, unpriced } = usage.totals;
  const scope = usage.scope === "owner" ? `owner ${usage.owner}` : "whole project";
  const alive = `${boxes} box${boxes === 1 ? "" : "es"} alive (${scope}) at ${formatMoney(priceHourly)}/h, ${
    formatMoney(costSoFar)
  } so far (net, estimate)`;
  const details = { ...policy, boxes, priceHourly, costSoFar, unpriced };
  if (!hasBudget(policy)) {
    return result(
      "budget",
      "ok",
      `no budget set (budget.maxActive, budget.maxHourly); ${alive}`,
      null,
      details,
    );
  }
  const limits = [
    ...(policy.maxActive > 0 ? [`maxActive ${policy.maxActive}`] : []),
    ...(policy.maxHourly > 0 ? [`maxHourly ${formatMoney(policy.maxHourly)}/h`] : []),
  ].join(", ");
  const full = (policy.maxActive > 0 && boxes >= policy.maxActive) ||
    (policy.maxHourly > 0 && priceHourly >= policy.maxHourly);
  if (full) {
    return result(
      "budget",
      "warn",
      `${limits}: ${alive}; the next create is refused (exit 8)`,
      `${freeable(usage)}; or raise the limit`,
      details,
    );
  }
  if (policy.maxHourly > 0 && unpriced > 0) {
    return result(
      "budget",
      "warn",
      `${limits}: ${alive}; ${unpriced} of unknown price not counted`,
      "prices come from GET /server_types: check the types check above and crabbox usage",
      details,
    );
  }
  return result("budget", "ok", `${limits}: ${alive}`, null, details);
}

// ---- local files ------------------------------------------------------------------------------

export type LeaseFileRole =
  | "config-dir"
  | "leases-dir"
  | "state-dir"
  | "lease-dir"
  | "private-key"
  | "host-key"
  | "record"
  | "known-hosts"
  | "public-key";

export interface LeaseFileState {
  path: string;
  role: LeaseFileRole;
  info: FileInfo;
}

const DIR_ROLES = new Set<LeaseFileRole>(["config-dir", "leases-dir", "state-dir", "lease-dir"]);
const PRIVATE_ROLES = new Set<LeaseFileRole>(["private-key", "host-key", "record", "known-hosts"]);

/** SPEC §12.5: dirs 0700, keys, records and known_hosts 0600, no symlinks, all ours. */
function leaseFileProblems(files: LeaseFileState[], uid: number | null): {
  failures: string[];
  warnings: string[];
  fixes: string[];
} {
  const failures: string[] = [], warnings: string[] = [], fixes: string[] = [];
  for (const { path, role, info } of files) {
    const mode = info.mode === null ? null : info.mode & 0o777;
    if (info.isSymlink) {
      failures.push(`${path} is a symlink`);
      fixes.push(`replace the symlink ${path} with a real ${DIR_ROLES.has(role) ? "directory" : "file"}`);
      continue;
    }
    if (uid !== null && info.uid !== null && info.uid !== uid) {
      warnings.push(`${path} is owned by uid ${info.uid}, not by you (uid ${uid})`);
      fixes.push(`chown ${uid} ${path}`);
    }
    if (mode === null) continue;
    if (DIR_ROLES.has(role) && (mode & 0o077) !== 0) {
      warnings.push(`${path} has mode ${octal(mode)}; it should be 700`);
      fixes.push(`chmod 700 ${path}`);
    } else if (PRIVATE_ROLES.has(role) && (mode & 0o077) !== 0) {
      // ssh refuses a private key others can read ("UNPROTECTED PRIVATE KEY FILE"): runs would fail.
      (role === "private-key" ? failures : warnings).push(`${path} has mode ${octal(mode)}; it must be 600`);
      fixes.push(`chmod 600 ${path}`);
    }
  }
  return { failures, warnings, fixes };
}

/**
 * Modes of the config, state and lease files, plus lease dirs with no server (known only after a
 * complete listing; null when the API was not asked).
 */
export function leaseFilesCheck(
  files: LeaseFileState[],
  uid: number | null,
  dirsWithoutServer: string[] | null,
): CheckResult {
  const { failures, warnings, fixes } = leaseFileProblems(files, uid);
  const leaseDirs = files.filter((f) => f.role === "lease-dir").length;
  if (dirsWithoutServer?.length) {
    warnings.push(
      `${dirsWithoutServer.length} local lease dir${
        dirsWithoutServer.length === 1 ? "" : "s"
      } without a server (${dirsWithoutServer.slice(0, 3).join(", ")})`,
    );
    fixes.push("crabbox sweep removes those older than 1h");
  }
  const details = { checked: files.length, leaseDirs, failures, warnings, dirsWithoutServer };
  const fix = [...new Set(fixes)].join("; ");
  if (failures.length) {
    return result("lease-files", "fail", [...failures, ...warnings].join("; "), fix, details);
  }
  if (warnings.length) return result("lease-files", "warn", warnings.join("; "), fix, details);
  if (files.length === 0) {
    return result("lease-files", "ok", "no config, state or lease files yet", null, details);
  }
  return result(
    "lease-files",
    "ok",
    `${files.length} path${files.length === 1 ? "" : "s"} checked (${leaseDirs} lease dir${
      leaseDirs === 1 ? "" : "s"
    }); modes private, no symlinks`,
    null,
    details,
  );
}

/**
 * The ControlMaster socket dir (SPEC §9.3): missing is fine (made 0700 on first use); a problem
 * found by lease/box.ts's rule fails, because run and warmup refuse to start then.
 */
export function controlDirCheck(input: {
  dir: string;
  info: FileInfo | null;
  controlPersistSecs: number;
  problem: { message: string; hint: string } | null;
  socketPathFits: boolean;
}): CheckResult {
  const details = { dir: input.dir };
  if (input.controlPersistSecs === 0) {
    return skipped("control-dir", "multiplexing off (ssh.controlPersist: 0)");
  }
  if (input.problem) return result("control-dir", "fail", input.problem.message, input.problem.hint, details);
  if (!input.socketPathFits) {
    return result(
      "control-dir",
      "warn",
      `socket paths under ${input.dir} are too long for a UNIX socket; multiplexing will be off`,
      "set XDG_RUNTIME_DIR (or TMPDIR) to a shorter directory",
      details,
    );
  }
  const state = input.info ? "ours, mode 700" : "created mode 700 on first use";
  return result("control-dir", "ok", `${input.dir} (${state})`, null, details);
}

// ---- the box (--id) ---------------------------------------------------------------------------

/** `key=value` lines from lease/doctor.ts's remote probe script. */
export function parseRemoteProbe(stdout: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = line.match(/^([a-z_]+)=(.*)$/);
    if (m) values[m[1]] = m[2].trim();
  }
  return values;
}

const MIN_FREE_BYTES = 1024 ** 3;

export function remoteCheck(
  outcome:
    | { unreachable: string; fix: string }
    | { destination: string; workRoot: string; probe: Record<string, string> },
): CheckResult {
  if ("unreachable" in outcome) return result("remote", "fail", outcome.unreachable, outcome.fix);
  const { probe, workRoot, destination } = outcome;
  const free = Number(probe.disk_free_kb) * 1024;
  const total = Number(probe.disk_total_kb) * 1024;
  const details = {
    destination,
    user: probe.user ?? null,
    workRoot,
    workRootState: probe.workroot ?? null,
    diskFreeBytes: Number.isFinite(free) ? free : null,
    git: probe.git || null,
    rsync: probe.rsync || null,
    ready: probe.ready ?? null,
  };
  const problems: string[] = [], fixes: string[] = [];
  if (probe.ready !== "yes") {
    problems.push(`box not ready (crabbox-ready: ${probe.ready ?? "no answer"})`);
    fixes.push("wait for cloud-init (crabbox status <id> --wait) or stop the box and lease a new one");
  }
  if (probe.workroot !== "writable") {
    problems.push(`work root ${workRoot} is ${probe.workroot ?? "unknown"}`);
    fixes.push(
      `check workRoot in your config; the box's cloud-init creates ${workRoot} for ${
        probe.user ?? "crabbox"
      }`,
    );
  }
  if (!probe.git) {
    problems.push("git missing on the box");
    fixes.push("install git in the image (the remote checkout needs it)");
  }
  if (problems.length) return result("remote", "fail", problems.join("; "), fixes.join("; "), details);
  const disk = Number.isFinite(free) && Number.isFinite(total)
    ? `${formatBytes(free)} free of ${formatBytes(total)}`
    : "disk unknown";
  const message = `${destination}: user ${probe.user}, ${workRoot} writable, ${disk}, ${probe.git}` +
    (probe.rsync ? `, ${probe.rsync}` : "");
  if (Number.isFinite(free) && free < MIN_FREE_BYTES) {
    return result(
      "remote",
      "warn",
      message,
      `free disk space in ${workRoot} (crabbox sweep, or a larger class)`,
      details,
    );
  }
  return result("remote", "ok", message, null, details);
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8);
}
