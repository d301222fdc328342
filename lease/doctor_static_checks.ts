/**
 * `crabbox doctor` under `provider: ssh`: verdicts on the static hosts' config, each host's ssh and host
 * key, its tools, its work root and its lease record, as pure functions of what lease/doctor_static.ts
 * observed. Every warning and failure ends with the fix.
 */
import { formatDurationMs } from "../core/duration.ts";
import type { Labels } from "../providers/hetzner/port.ts";
import { decideServer } from "../labels/sweep.ts";
import type { CheckResult, CheckStatus } from "./doctor_checks.ts";

function result(
  check: string,
  status: CheckStatus,
  message: string,
  fix: string | null,
  details: Record<string, unknown>,
): CheckResult {
  return { check, status, message, fix: status === "ok" || status === "skip" ? null : fix, details };
}

export interface StaticConfigState {
  /** `user@host:port` of each configured host; null when the hosts are misconfigured. */
  hosts: string[] | null;
  /** The config problem (no host, a bad host, a missing ssh.configFile): message and hint. */
  problem: { message: string; hint: string } | null;
  keyFile: string;
  /** The key's permission bits; "missing" or "not-a-file" when it cannot be used. */
  key: number | "missing" | "not-a-file";
  keySource: string;
  workRoot: string;
}

export function staticConfigCheck(s: StaticConfigState): CheckResult {
  const details = { hosts: s.hosts, keyFile: s.keyFile, workRoot: s.workRoot };
  const fail = (message: string, fix: string) => result("static-config", "fail", message, fix, details);
  if (s.problem) return fail(s.problem.message, s.problem.hint);
  if (s.key === "missing" || s.key === "not-a-file") {
    return fail(
      `ssh.key: ${s.keyFile} ${s.key === "missing" ? "does not exist" : "is not a file"} (${s.keySource})`,
      "set ssh.key (or pass --ssh-key) to the private key the static hosts trust",
    );
  }
  const mode = (s.key & 0o777).toString(8).padStart(4, "0");
  if (s.key & 0o077) {
    return fail(
      `ssh.key: ${s.keyFile} is mode ${mode}: ssh refuses a private key others can read`,
      `chmod 600 ${s.keyFile}`,
    );
  }
  const hosts = s.hosts ?? [];
  return result(
    "static-config",
    "ok",
    `provider ssh: ${hosts.length} host${hosts.length === 1 ? "" : "s"} (${
      hosts.join(", ")
    }), key ${s.keyFile} (${mode}), work root ${s.workRoot}`,
    null,
    details,
  );
}

export type HostKeyState =
  | { from: "pinned"; fingerprint: string }
  | { from: "known_hosts"; file: string; fingerprint: string }
  | { from: "unknown"; looked: string[] };

/** Whether ssh got in: exit 0, or ssh's own failure (exit 255 and its last stderr line). */
export type SshOutcome = { ok: true } | { ok: false; code: number; stderr: string };

export function staticHostCheck(input: {
  host: string;
  hostKey: HostKeyState;
  pinFile: string;
  ssh: SshOutcome | null;
}): CheckResult {
  const { host, hostKey, ssh } = input;
  const details = { host, hostKey: hostKey.from };
  const fail = (message: string, fix: string) => result("static-host", "fail", message, fix, details);
  if (hostKey.from === "unknown") {
    return fail(
      `${host}: host key unknown (not pinned, not in ${hostKey.looked.join(" or ")})`,
      "check the host's key, then pin it with any command and --accept-host-key (crabbox --accept-host-key list), or add it to your known_hosts",
    );
  }
  if (ssh && !ssh.ok) {
    const stderr = ssh.stderr.trim();
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/i.test(stderr)) {
      return fail(
        `${host}: the host key does not match the ${hostKey.from === "pinned" ? "pinned" : "known"} one`,
        hostKey.from === "pinned"
          ? `if the host was reinstalled, remove its line from ${input.pinFile}`
          : `if the host was reinstalled, fix its line in ${hostKey.file}`,
      );
    }
    if (/Permission denied/i.test(stderr)) {
      return fail(
        `${host}: ssh.key was refused (${lastLine(stderr)})`,
        "add the key's public half to the login user's ~/.ssh/authorized_keys on the host, or fix static.user",
      );
    }
    return fail(
      `${host}: ssh failed (exit ${ssh.code}${stderr ? `: ${lastLine(stderr)}` : ""})`,
      "check that the host is up and static.host/static.port (ssh.configFile for a jump host)",
    );
  }
  const key = hostKey.from === "pinned"
    ? `host key pinned (${hostKey.fingerprint})`
    : `host key from ${hostKey.file} (${hostKey.fingerprint}; pinned on first use)`;
  return result("static-host", "ok", `${host}: reachable over ssh, ${key}`, null, details);
}

const TOOLS = ["bash", "flock", "rsync", "git"];

export function staticToolsCheck(host: string, probe: Record<string, string>): CheckResult {
  const missing = TOOLS.filter((t) => probe[`tool_${t}`] !== "yes");
  const details = { host, missing };
  if (missing.length) {
    return result(
      "static-tools",
      "fail",
      `${host} lacks ${missing.join(", ")}`,
      `install ${missing.join(", ")} on the host (flock is in util-linux)`,
      details,
    );
  }
  return result("static-tools", "ok", `${host}: ${TOOLS.join(", ")}`, null, details);
}

export function staticWorkRootCheck(
  host: string,
  workRoot: string,
  probe: Record<string, string>,
): CheckResult {
  const state = probe.workroot ?? "unknown";
  const user = probe.user || "the login user";
  const details = { host, workRoot, state, user: probe.user ?? null };
  if (state === "writable") {
    return result("static-root", "ok", `${host}: ${workRoot} writable by ${user}`, null, details);
  }
  if (state === "creatable") {
    return result("static-root", "ok", `${host}: ${workRoot} will be created by ${user}`, null, details);
  }
  return result(
    "static-root",
    "fail",
    `${host}: ${workRoot} is ${state} for ${user}`,
    `on the host: install -d -o ${
      probe.user || "<user>"
    } ${workRoot}; or point static.workRoot at a directory ${user} may write`,
    details,
  );
}

/** The lease record: free, held (by whom, until when), or expired (the next sweep frees it). */
export function staticLeaseCheck(input: {
  host: string;
  record: string;
  nowMs: number;
  graceSecs: number;
}): CheckResult {
  const { host } = input;
  if (input.record === "") return result("static-lease", "ok", `${host}: free`, null, { host, lease: null });
  let parsed: { lease?: string; createdMs?: number; labels?: Labels };
  try {
    parsed = JSON.parse(input.record);
  } catch {
    return result(
      "static-lease",
      "fail",
      `${host}: the lease record is not JSON`,
      "inspect <workRoot>/.crabbox/lease.json on the host; remove it with lease.id to free the host",
      { host, lease: null },
    );
  }
  const labels = parsed.labels ?? {};
  const lease = parsed.lease ?? labels.lease ?? "?";
  const who = [
    labels.slug && `slug ${labels.slug}`,
    labels.owner && `owner ${labels.owner}`,
    labels.state && `state ${labels.state}`,
  ].filter(Boolean).join(", ");
  const held = `${host}: leased by ${lease}${who ? ` (${who})` : ""}`;
  const details = { host, lease, owner: labels.owner ?? null, state: labels.state ?? null };
  const decision = decideServer({ labels, createdMs: parsed.createdMs ?? 0 }, input.nowMs, input.graceSecs);
  if (decision.decision === "delete") {
    const ago = decision.deadlineMs === null
      ? ""
      : ` ${formatDurationMs(input.nowMs - decision.deadlineMs)} ago`;
    return result(
      "static-lease",
      "warn",
      `${held}, expired${ago} (${decision.reason})`,
      `the next command's sweep frees it, or now: crabbox stop ${lease}`,
      { ...details, expired: true },
    );
  }
  if (decision.reason === "not_canonical") {
    return result(
      "static-lease",
      "warn",
      `${held}: not a crabbox lease record (the sweep never frees it)`,
      "inspect <workRoot>/.crabbox/lease.json on the host",
      details,
    );
  }
  const until = decision.deadlineMs === null
    ? ""
    : `, expires in ${formatDurationMs(decision.deadlineMs - input.nowMs)}`;
  return result("static-lease", "ok", `${held}${until}`, null, { ...details, expired: false });
}

function lastLine(text: string): string {
  return text.split("\n").at(-1)!.trim();
}
