/**
 * `crabbox doctor` under `provider: ssh`: observes the static hosts' config and, over ssh with the user's
 * key, each host (its host key as already known, its tools, work root and lease record), then hands each
 * observation to lease/doctor_static_checks.ts. Read only, like doctor: no host key is pinned, nothing
 * is written on the host (no lease lock taken), no token is needed.
 */
import type { Deps } from "../core/deps.ts";
import { CrabboxError } from "../core/errors.ts";
import type { CrabboxConfig } from "../config/schema.ts";
import { sshConfigFileFor } from "./shape.ts";
import { configDir } from "./store.ts";
import { describeHost, type StaticHost, staticHosts } from "../providers/static/hosts.ts";
import { fingerprint, knownHostKey, knownHostsName } from "../providers/static/host_keys.ts";
import { remoteBash, staticSshArgs } from "../providers/static/ssh.ts";
import { staticAccessOf, staticKeyFile, staticPinFile, userKnownHosts } from "../providers/static/config.ts";
import doctorScript from "../providers/static/scripts/doctor.sh" with { type: "text" };
import { type CheckResult, parseRemoteProbe, skipped } from "./doctor_checks.ts";
import {
  staticConfigCheck,
  type StaticConfigState,
  staticHostCheck,
  staticLeaseCheck,
  staticToolsCheck,
  staticWorkRootCheck,
} from "./doctor_static_checks.ts";

const HOST_CHECKS = ["static-host", "static-tools", "static-root", "static-lease"];
const decoder = new TextDecoder();

export async function observeStatic(
  deps: Deps,
  values: CrabboxConfig,
  sources: Record<string, string>,
  options: { offline: boolean; signal: AbortSignal },
): Promise<CheckResult[]> {
  const access = staticAccessOf(values);
  const home = deps.system.homeDir();
  const keyFile = staticKeyFile(values, home);
  let hosts: StaticHost[] | null = null;
  let configFile = "none";
  let problem: StaticConfigState["problem"] = null;
  try {
    hosts = staticHosts({ host: values.static.host, hosts: values.static.hosts, ...access, sources });
    configFile = await sshConfigFileFor(deps, values.ssh.configFile);
  } catch (error) {
    if (!(error instanceof CrabboxError)) throw error;
    problem = { message: error.message, hint: error.hint ?? "fix the config" };
  }
  const info = await deps.fs.lstat(keyFile).catch(() => null);
  const config = staticConfigCheck({
    hosts: hosts?.map(describeHost) ?? null,
    problem,
    keyFile,
    key: !info ? "missing" : !info.isFile ? "not-a-file" : info.mode ?? 0o600,
    keySource: sources["ssh.key"] ?? "default",
    workRoot: access.workRoot,
  });
  if (config.status === "fail" || !hosts) {
    return [config, ...HOST_CHECKS.map((name) => skipped(name, "needs a working static-config check"))];
  }
  if (options.offline) return [config, ...HOST_CHECKS.map((name) => skipped(name, "--offline"))];
  const pinFile = staticPinFile(configDir(deps));
  const perHost = await Promise.all(hosts.map(async (host) => {
    const checks: CheckResult[] = [];
    const name = describeHost(host);
    const looked = userKnownHosts(home);
    const known = await knownHostKey(deps, host, { pinFile, userKnownHosts: looked });
    if (!known) {
      checks.push(staticHostCheck({ host: name, hostKey: { from: "unknown", looked }, pinFile, ssh: null }));
      return [...checks, ...HOST_CHECKS.slice(1).map((c) => skipped(c, `needs ${name}'s host key`))];
    }
    // A key only in the user's known_hosts is checked there, under its own name: doctor pins nothing.
    const argv = staticSshArgs(host, {
      keyFile,
      pinFile: known.from === "pinned" ? pinFile : known.file,
      hostKeyAlias: known.from === "pinned" ? undefined : knownHostsName(host),
      configFile,
      connectTimeoutSecs: values.ssh.connectTimeout,
    });
    const ran = await deps.proc.run("ssh", [...argv, remoteBash(doctorScript, [host.workRoot])], {
      signal: options.signal,
    });
    const hostKey = known.from === "pinned"
      ? { from: "pinned" as const, fingerprint: fingerprint(known.key) }
      : { from: "known_hosts" as const, file: known.file, fingerprint: fingerprint(known.key) };
    const ssh = ran.code === 0
      ? { ok: true as const }
      : { ok: false as const, code: ran.code, stderr: decoder.decode(ran.stderr) };
    checks.push(staticHostCheck({ host: name, hostKey, pinFile, ssh }));
    if (!ssh.ok) return [...checks, ...HOST_CHECKS.slice(1).map((c) => skipped(c, `needs ssh to ${name}`))];
    const probe = parseRemoteProbe(decoder.decode(ran.stdout));
    checks.push(staticToolsCheck(name, probe));
    checks.push(staticWorkRootCheck(name, host.workRoot, probe));
    checks.push(
      staticLeaseCheck({
        host: name,
        record: probe.record ?? "",
        nowMs: deps.clock.now(),
        graceSecs: values.sweep.grace,
      }),
    );
    return checks;
  }));
  return [config, ...perHost.flat()];
}
