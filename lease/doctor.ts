/**
 * `crabbox doctor` (SPEC §13): observes this machine, the config, the token and the API, and (with an
 * id) one box, then hands each observation to lease/doctor_checks.ts. It never changes anything: no
 * automatic sweep, no label write, no file or directory created, no host key pinned, and the one
 * POST it sends is a create Hetzner must refuse.
 */
import { join } from "node:path";
import type { Deps } from "../core/deps.ts";
import { CrabboxError } from "../core/errors.ts";
import { runtimeDir } from "../core/xdg.ts";
import { sshConfigFileFor } from "./shape.ts";
import type { HetznerApi, ServerType } from "../providers/hetzner/port.ts";
import { ownerLabel } from "../labels/ownership.ts";
import { priceTableFrom } from "./cost.ts";
import { summarizeUsage } from "./usage.ts";
import { HetznerApiError } from "../providers/hetzner/errors.ts";
import { resolveEndpoint } from "../providers/hetzner/endpoint.ts";
import { defaultValues, findRepoConfig, loadConfig, userConfigPath } from "../config/load.ts";
import { validateFile } from "../config/validate.ts";
import { type CrabboxConfig, toCrabboxConfig } from "../config/schema.ts";
import { crabboxServers } from "../labels/selectors.ts";
import { serverTypesFor } from "./classes.ts";
import { sweep, type SweepReport } from "./sweep.ts";
import { checkpointsCheck } from "./doctor_checkpoints.ts";
import { observeStatic } from "./doctor_static.ts";
import { isStaticProvider } from "../config/compat.ts";
import { configDir, leasePaths, leasesDir, listLeaseDirs, readLeaseRecord, stateDir } from "./store.ts";
import { Box, controlSocketDirOf, controlSocketDirProblem } from "./box.ts";
import { resolveLease } from "./resolve.ts";
import { controlSocketPath } from "../ssh/args.ts";
import { doctorProbeScript } from "../ssh/scripts.ts";
import { findGitRoot } from "../sync/manifest.ts";
import {
  allowlistCheck,
  apiCheck,
  type ApiFailure,
  budgetCheck,
  type CheckResult,
  clockCheck,
  configCheck,
  type ConfigFileState,
  controlDirCheck,
  type DoctorReport,
  endpointCheck,
  leaseFilesCheck,
  type LeaseFileState,
  locationsCheck,
  orphansCheck,
  parseRemoteProbe,
  remoteCheck,
  rsyncCheck,
  serverLimitCheck,
  skipped,
  summarize,
  tokenAccessCheck,
  tokenCheck,
  toolCheck,
  type ToolProbe,
  typesCheck,
} from "./doctor_checks.ts";

export interface DoctorOptions {
  /** --id: also probe this lease's box over SSH. */
  id?: string;
  /** --offline: no API call and no SSH. */
  offline: boolean;
  profile?: string;
  /** Global flags as config keys (`provider`, `static.host`, `ssh.key`, …); unset ones undefined. */
  flags?: Record<string, unknown>;
  /** The provider the config settled on, once read (the command warns about flags it ignores). */
  onProvider?: (provider: string) => void;
  signal: AbortSignal;
  /** Progress and --debug lines of the Hetzner client. */
  notify: (message: string) => void;
  debug: (message: string) => void;
}

const NETWORK_CHECKS = [
  "api",
  "token-access",
  "clock",
  "types",
  "locations",
  "orphans",
  "checkpoints",
  "server-limit",
  "budget",
];
const decoder = new TextDecoder();

export async function runDoctor(deps: Deps, options: DoctorOptions): Promise<DoctorReport> {
  const checks: CheckResult[] = [];
  checks.push(toolCheck("ssh", await probeTool(deps, "ssh", ["-V"])));
  checks.push(toolCheck("ssh-keygen", await probeTool(deps, "ssh-keygen", null)));
  checks.push(toolCheck("git", await probeTool(deps, "git", ["--version"])));
  checks.push(rsyncCheck(await probeTool(deps, "rsync", ["--version"])));

  const config = await observeConfig(deps, options.profile, options.flags);
  options.onProvider?.(config.values.provider);
  checks.push(config.check);
  checks.push(allowlistCheck(
    config.values.ssh.allowCidrs,
    [config.values.ssh.port, ...config.values.ssh.fallbackPorts],
    config.sources["ssh.allowCidrs"] ?? "default",
  ));
  const values = config.values;
  if (isStaticProvider(values.provider)) {
    // Static hosts: no token, no API; each host over ssh instead.
    checks.push(...await observeStatic(deps, values, config.sources, options));
    checks.push(await observeLeaseFiles(deps, null));
    checks.push(await observeControlDir(deps, values.ssh.controlPersist));
    if (options.id !== undefined) {
      checks.push(skipped("remote", "provider ssh: the static-* checks probe each host"));
    }
    return summarize(checks);
  }
  const configuredEndpoint = (config.sources["hetzner.endpoint"] ?? "default") === "default"
    ? undefined
    : values.hetzner.endpoint || undefined;

  const token = tokenCheck({
    HCLOUD_TOKEN: deps.env.get("HCLOUD_TOKEN"),
    HETZNER_TOKEN: deps.env.get("HETZNER_TOKEN"),
  });
  checks.push(token);
  const endpoint = observeEndpoint(deps, configuredEndpoint);
  checks.push(endpoint);

  let report: SweepReport | null = null;
  let api: HetznerApi | null = null;
  const networkBlocked = options.offline
    ? "--offline"
    : token.status === "fail"
    ? "needs HCLOUD_TOKEN"
    : endpoint.status === "fail"
    ? "needs a valid endpoint"
    : null;
  if (networkBlocked) {
    for (const name of NETWORK_CHECKS) checks.push(skipped(name, networkBlocked));
  } else {
    api = deps.hetzner({
      endpoint: configuredEndpoint,
      notify: options.notify,
      debug: options.debug,
    });
    const network = await observeApi(deps, api, values, options.signal);
    checks.push(...network.checks);
    report = network.report;
  }

  checks.push(await observeLeaseFiles(deps, report));
  checks.push(await observeControlDir(deps, values.ssh.controlPersist));

  if (options.id !== undefined) {
    const apiOk = checks.find((c) => c.check === "api")?.status;
    if (!api || apiOk === "fail") {
      checks.push(skipped("remote", networkBlocked ?? "needs a working api check"));
    } else {
      checks.push(await observeRemote(deps, api, values, options.id, options.signal, options.debug));
    }
  }
  return summarize(checks);
}

/** Looks the binary up on PATH and runs its version flag (ssh prints it on stderr). */
async function probeTool(deps: Deps, name: string, args: string[] | null): Promise<ToolProbe> {
  const path = await deps.proc.which(name);
  if (!path || !args) return { path, output: "" };
  try {
    const out = await deps.proc.run(name, args);
    return { path, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
  } catch {
    return { path, output: "" };
  }
}

/** Each file validated on its own (so both files' problems show), then the merged configuration. */
async function observeConfig(
  deps: Deps,
  profile: string | undefined,
  flags: Record<string, unknown> | undefined,
): Promise<{ check: CheckResult; values: CrabboxConfig; sources: Record<string, string> }> {
  let gitRoot: string | null = null;
  try {
    gitRoot = await findGitRoot(deps, deps.fs.cwd());
  } catch {
    gitRoot = null;
  }
  const files: ConfigFileState[] = [];
  const userPath = userConfigPath(deps);
  files.push(await observeConfigFile(deps, userPath, "user"));
  if (gitRoot) {
    try {
      const repoPath = await findRepoConfig(deps.fs, gitRoot);
      files.push(await observeConfigFile(deps, repoPath ?? join(gitRoot, ".crabbox.yaml"), "repo"));
    } catch (error) {
      files.push({ path: gitRoot, kind: "repo", exists: true, mode: null, problem: messageOf(error) });
    }
  }
  let values = defaultValues(deps.system);
  let sources: Record<string, string> = {};
  let mergeProblem: string | null = null;
  try {
    ({ values, sources } = await loadConfig(deps, { gitRoot, profile, flags }));
  } catch (error) {
    mergeProblem = messageOf(error);
  }
  return { check: configCheck(files, mergeProblem), values: toCrabboxConfig(values), sources };
}

async function observeConfigFile(deps: Deps, path: string, kind: "user" | "repo"): Promise<ConfigFileState> {
  const info = await deps.fs.lstat(path).catch(() => null);
  if (!info) return { path, kind, exists: false, mode: null, problem: null };
  const mode = info.mode === null ? null : info.mode & 0o777;
  if (!info.isFile && !info.isSymlink) {
    return { path, kind, exists: true, mode, problem: `${path} is not a regular file` };
  }
  try {
    validateFile(await deps.fs.readTextFile(path), path, kind);
    return { path, kind, exists: true, mode, problem: null };
  } catch (error) {
    return { path, kind, exists: true, mode, problem: messageOf(error) };
  }
}

function observeEndpoint(deps: Deps, fromConfig: string | undefined): CheckResult {
  const env = deps.env.get("HCLOUD_ENDPOINT");
  const raw = env
    ? { value: env, source: "HCLOUD_ENDPOINT" }
    : fromConfig
    ? { value: fromConfig, source: "hetzner.endpoint" }
    : null;
  try {
    return endpointCheck(raw, { endpoint: resolveEndpoint(raw?.value) });
  } catch (error) {
    return endpointCheck(raw, { error: messageOf(error) });
  }
}

async function observeApi(
  deps: Deps,
  api: HetznerApi,
  values: CrabboxConfig,
  signal: AbortSignal,
): Promise<{ checks: CheckResult[]; report: SweepReport | null }> {
  const checks: CheckResult[] = [];
  let crabbox: number;
  try {
    const count = await api.countServers({ labelSelector: crabboxServers() }, { signal });
    crabbox = count.total;
    checks.push(apiCheck({ crabboxServers: count.total, rateLimit: count.rateLimit }));
  } catch (error) {
    checks.push(apiCheck({ failure: failureOf(error) }));
    for (const name of NETWORK_CHECKS.slice(1)) checks.push(skipped(name, "the api check failed"));
    return { checks, report: null };
  }
  // Hetzner's Date header has set api.now() by now.
  const skewMs = api.now() - deps.clock.now();

  try {
    checks.push(tokenAccessCheck(await api.probeWriteAccess({ signal })));
  } catch (error) {
    checks.push(tokenAccessCheck({ failure: failureOf(error) }));
  }
  checks.push(clockCheck(skewMs));

  const className = values.class;
  const wantedTypes = serverTypesFor(className, values.serverType || undefined);
  const location = values.hetzner.location;
  const wantedLocations = location ? [location] : values.hetzner.locations;
  // Their prices also feed the budget check (read here, never written to the price cache).
  let types: ServerType[] | null = null;
  checks.push(
    await guarded(
      "types",
      async () => typesCheck(wantedTypes, types = await api.listServerTypes({ signal })),
    ),
  );
  checks.push(
    await guarded(
      "locations",
      async () => locationsCheck(wantedLocations, await api.listLocations({ signal })),
    ),
  );

  let report: SweepReport | null = null;
  checks.push(
    await guarded("orphans", async () => {
      report = await sweep(deps, api, {
        dryRun: true,
        graceSecs: values.sweep.grace,
        keys: true,
        local: false,
        signal,
      });
      return orphansCheck(report);
    }),
  );
  const swept = report as SweepReport | null;
  checks.push(
    swept ? checkpointsCheck(swept.checkpoints) : skipped("checkpoints", "needs a working orphans check"),
  );
  checks.push(
    await guarded(
      "server-limit",
      async () => serverLimitCheck((await api.countServers({}, { signal })).total, crabbox),
    ),
  );
  checks.push(
    await guarded("budget", async () => {
      const servers = await api.listServers({ labelSelector: crabboxServers() }, { signal });
      const usage = summarizeUsage(servers, {
        table: types && priceTableFrom(types),
        nowMs: api.now(),
        graceSecs: values.sweep.grace,
        owner: values.budget.scope === "owner" ? ownerLabel(values.owner, deps.system) : null,
      });
      return budgetCheck({ ...values.budget, graceSecs: values.sweep.grace }, usage);
    }),
  );
  return { checks, report };
}

/** A check whose API call failed says so (a warning: the api check above already passed). */
async function guarded(check: string, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run();
  } catch (error) {
    const failure = failureOf(error);
    return {
      check,
      status: "warn",
      message: `could not check: ${
        failure.status ? `${failure.status} ` : ""
      }${failure.code}: ${failure.message}`,
      fix: "run crabbox doctor again; add --debug to see the requests",
      details: {},
    };
  }
}

async function observeLeaseFiles(deps: Deps, report: SweepReport | null): Promise<CheckResult> {
  const files: LeaseFileState[] = [];
  const add = async (path: string, role: LeaseFileState["role"]) => {
    const info = await deps.fs.lstat(path).catch(() => null);
    if (info) files.push({ path, role, info });
    return info;
  };
  await add(configDir(deps), "config-dir");
  await add(stateDir(deps), "state-dir");
  const leases = await add(leasesDir(deps), "leases-dir");
  const dirs = leases?.isDirectory && !leases.isSymlink ? await listLeaseDirs(deps) : [];
  for (const { leaseId } of dirs) {
    const paths = leasePaths(deps, leaseId);
    await add(paths.dir, "lease-dir");
    await add(paths.clientKey, "private-key");
    await add(paths.clientPub, "public-key");
    await add(paths.hostKey, "host-key");
    await add(paths.hostPub, "public-key");
    await add(paths.knownHosts, "known-hosts");
    await add(paths.record, "record");
  }
  let withoutServer: string[] | null = null;
  if (report) {
    const alive = new Set((report as SweepReport).servers.map((s) => s.lease).filter((l) => l !== null));
    withoutServer = dirs.map((d) => d.leaseId).filter((id) => !alive.has(id));
  }
  return leaseFilesCheck(files, deps.system.uid(), withoutServer);
}

async function observeControlDir(deps: Deps, controlPersistSecs: number): Promise<CheckResult> {
  const dir = controlSocketDirOf(deps);
  const info = await deps.fs.lstat(dir).catch(() => null);
  const uid = deps.system.uid();
  const socket = controlSocketPath({
    runtimeDir: runtimeDir(deps),
    tmpDir: deps.system.tmpDir(),
    uid,
    leaseId: "cbx_000000000000",
    ip: "255.255.255.255",
    port: 65535,
  });
  return controlDirCheck({
    dir,
    info,
    controlPersistSecs,
    problem: info ? controlSocketDirProblem(dir, info, uid) : null,
    socketPathFits: socket !== null,
  });
}

/**
 * Prints `key=value` lines: the login user, whether the work root is writable, its disk, git and rsync
 * versions, and crabbox-ready's verdict. Reads only.
 */
async function observeRemote(
  deps: Deps,
  api: HetznerApi,
  values: CrabboxConfig,
  id: string,
  signal: AbortSignal,
  debug: (line: string) => void,
): Promise<CheckResult> {
  const unreachable = (message: string, fix: string) => remoteCheck({ unreachable: message, fix });
  let leaseId: string, host: string | null;
  try {
    const resolution = await resolveLease(deps, api, id, signal);
    if (resolution.kind === "gone") {
      return unreachable(
        `lease ${resolution.leaseId} no longer exists`,
        "start a new lease (crabbox warmup)",
      );
    }
    leaseId = resolution.server.labels.lease!;
    host = resolution.server.ipv4;
  } catch (error) {
    return unreachable(messageOf(error), "run crabbox list to see your boxes");
  }
  if (!host) return unreachable(`${leaseId} has no IPv4 yet`, `wait for it: crabbox status ${id} --wait`);
  const paths = leasePaths(deps, leaseId);
  if (!(await deps.fs.lstat(paths.clientKey))?.isFile) {
    return unreachable(
      `no local key for ${leaseId} on this machine`,
      "run doctor --id on the machine that leased it (only it holds the key)",
    );
  }
  if (!(await deps.fs.lstat(paths.knownHosts))) {
    // Pinning it would be a write: doctor leaves that to status.
    return unreachable(`${leaseId} has no known_hosts yet`, `pin the host key: crabbox status ${id}`);
  }
  const record = await readLeaseRecord(deps, leaseId);
  const ports = record?.sshPort
    ? [record.sshPort]
    : [...new Set([values.ssh.port, ...values.ssh.fallbackPorts])];
  const workRoot = values.workRoot;
  const user = values.ssh.user;
  const box = new Box(deps, {
    leaseId,
    paths,
    user,
    host,
    ports,
    workRoot,
    connectTimeoutSecs: 5,
    controlPersist: 0,
    sshConfigFile: await sshConfigFileFor({ system: deps.system }, values.ssh.configFile),
    debug,
  });
  let last = "closed";
  let port: number | null = null;
  for (const candidate of ports) {
    last = await box.probe(candidate);
    if (last === "ok" || last.startsWith("not-ready")) {
      port = candidate;
      break;
    }
  }
  if (port === null) {
    const fix = last === "hostkey"
      ? `the box's host key does not match the pinned one; stop it (crabbox stop ${id}) and lease a new one`
      : last === "auth"
      ? "this machine's key for the lease was refused; stop the box and lease a new one"
      : `check the box: crabbox status ${id}`;
    return unreachable(`ssh to ${user}@${host} on port ${ports.join("/")} failed (${last})`, fix);
  }
  box.usePort(port);
  const result = await box.run(doctorProbeScript({ workRoot }));
  if (result.code !== 0) {
    return unreachable(
      `the probe over ssh exited ${result.code}: ${decoder.decode(result.stderr).trim().slice(0, 200)}`,
      `check the box: crabbox ssh ${id}`,
    );
  }
  return remoteCheck({
    destination: `${user}@${host}:${port}`,
    workRoot,
    probe: parseRemoteProbe(decoder.decode(result.stdout)),
  });
}

function failureOf(error: unknown): ApiFailure {
  if (error instanceof HetznerApiError) {
    return {
      status: error.status,
      code: error.code,
      message: error.apiMessage,
      correlationId: error.correlationId,
    };
  }
  if (error instanceof CrabboxError) {
    return { status: 0, code: error.kind, message: error.message, correlationId: null };
  }
  return { status: 0, code: "error", message: messageOf(error), correlationId: null };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
